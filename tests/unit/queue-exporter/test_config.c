/* Configuration: built-in defaults, a valid file, and every error path
 * (each must name the file, the line when there is one, and the reason). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];
static struct qe_config cfg;
static char err[QE_ERR_MAX];

/* Writes text to a fresh file and loads it over the defaults. */
static int load(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/qe-config-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    qe_config_defaults(&cfg);
    err[0] = '\0';
    int rc = qe_config_load(&cfg, path, err, sizeof(err));
    unlink(path);
    return rc;
}

/* The load fails with "PATH:LINE: <reason containing needle>". */
static void assert_error_at(const char *text, int line, const char *needle)
{
    int rc = load(text);
    if (rc != -1)
        fail_msg("expected an error containing '%s' at line %d, the file loaded", needle, line);
    char prefix[128];
    if (line > 0)
        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
    else
        snprintf(prefix, sizeof(prefix), "%s: ", path);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, needle) == NULL)
        fail_msg("expected '%s...%s', got '%s'", prefix, needle, err);
}

static void defaults_serve_the_two_plan_tables(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    assert_int_equal(cfg.n_queues, 2);
    assert_string_equal(cfg.queues[0].name, "pending_transcriptions");
    assert_string_equal(cfg.queues[0].table, "pending_transcriptions");
    assert_string_equal(cfg.queues[1].table, "pending_pdf_processing");
    const struct qe_queue *q = &cfg.queues[0];
    assert_string_equal(q->status_column, "status");
    assert_string_equal(q->created_column, "created_at");
    assert_string_equal(q->updated_column, "updated_at");
    assert_string_equal(q->schema, "");
    assert_int_equal(qe_queue_depth_count(q), 3);
    assert_string_equal(qe_queue_depth_status(q, 0), "pending");
    assert_string_equal(qe_queue_depth_status(q, 1), "processing");
    assert_string_equal(qe_queue_depth_status(q, 2), "failed");
    assert_null(qe_queue_depth_status(q, 3));
    assert_string_equal(q->completed, "completed");
    assert_true(qe_queue_stuck_after(&cfg, q) == 35 * 60);
    assert_true(cfg.cache_ttl_seconds == 5);
    assert_int_equal(cfg.http_max_connections, 128);
    assert_int_equal(qe_config_enabled_queues(&cfg), 2);
}

static void file_renames_adds_and_disables(void **state)
{
    (void)state;
    int rc = load("; comment\n"
                  "# another comment\n"
                  "[exporter]\n"
                  "cache_ttl_seconds = 2.5\n"
                  "collect_timeout_seconds = 3\n"
                  "stuck_after_seconds = 600\n"
                  "reconnect_max_seconds = 10\n"
                  "http_max_connections = 300\n"
                  "http_max_connections_per_ip = 200\n"
                  "http_idle_timeout_seconds = 20\n"
                  "http_threads = 2\n"
                  "\n"
                  "[queue pending_transcriptions]\n"
                  "status_column = state\n"
                  "pending_status = queued\n"
                  "stuck_after_seconds = 120\n"
                  "\n"
                  "[queue pending_pdf_processing]\n"
                  "enabled = false\n"
                  "\n"
                  "[queue  emails ]\n"
                  "schema = jobs\n"
                  "table = outgoing \"mail\"\n"
                  "updated_column = changed_at\n"
                  "extra_statuses = retrying , waiting\n");
    assert_int_equal(rc, 0);
    assert_true(cfg.cache_ttl_seconds == 2.5);
    assert_true(cfg.collect_timeout_seconds == 3);
    assert_true(cfg.reconnect_max_seconds == 10);
    assert_int_equal(cfg.http_max_connections, 300);
    assert_int_equal(cfg.http_max_connections_per_ip, 200);
    assert_int_equal(cfg.http_idle_timeout_seconds, 20);
    assert_int_equal(cfg.http_threads, 2);
    assert_int_equal(cfg.n_queues, 3);
    assert_int_equal(qe_config_enabled_queues(&cfg), 2);

    const struct qe_queue *t = &cfg.queues[0];
    assert_string_equal(t->status_column, "state");
    assert_string_equal(t->pending, "queued");
    assert_string_equal(qe_queue_depth_status(t, 0), "queued");
    assert_true(qe_queue_stuck_after(&cfg, t) == 120);
    assert_int_equal(t->line, 13);

    assert_false(cfg.queues[1].enabled);

    const struct qe_queue *e = &cfg.queues[2];
    assert_string_equal(e->name, "emails");
    assert_string_equal(e->schema, "jobs");
    assert_string_equal(e->table, "outgoing \"mail\"");
    assert_string_equal(e->updated_column, "changed_at");
    assert_string_equal(e->created_column, "created_at");
    assert_int_equal(qe_queue_depth_count(e), 5);
    assert_string_equal(qe_queue_depth_status(e, 3), "retrying");
    assert_string_equal(qe_queue_depth_status(e, 4), "waiting");
    assert_true(qe_queue_stuck_after(&cfg, e) == 600); /* inherited */
}

static void empty_file_keeps_defaults(void **state)
{
    (void)state;
    assert_int_equal(load(""), 0);
    assert_int_equal(cfg.n_queues, 2);
}

static void missing_file(void **state)
{
    (void)state;
    qe_config_defaults(&cfg);
    assert_int_equal(qe_config_load(&cfg, "/nonexistent/qe.ini", err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/qe.ini: cannot open: No such file or directory");
}

static void syntax_errors(void **state)
{
    (void)state;
    assert_error_at("[exporter]\ncache_ttl_seconds = 1\nthis line has no equals sign\n", 3,
                    "syntax error");
    assert_error_at("[exporter\ncache_ttl_seconds = 1\n", 1, "syntax error");
    /* A syntax error before one of ours is the one reported. */
    assert_error_at("[exporter]\nnonsense\nbogus_key = 1\n", 2, "syntax error");
}

static void section_errors(void **state)
{
    (void)state;
    assert_error_at("cache_ttl_seconds = 1\n", 1, "key 'cache_ttl_seconds' outside a section");
    assert_error_at("\n[exporters]\ncache_ttl_seconds = 1\n", 3,
                    "unknown section [exporters] (expected [exporter] or [queue NAME])");
    assert_error_at("[queue]\ntable = x\n", 2, "[queue] needs a name");
    assert_error_at("[queue a]\ntable = x\n[queue b]\ntable = y\n[queue a]\ntable = z\n", 6,
                    "section [queue a] appears more than once");
    assert_error_at("[exporter]\ncache_ttl_seconds = 1\n[exporter]\nhttp_threads = 2\n", 4,
                    "section [exporter] appears more than once");
    assert_error_at("[queue a]\n\n[queue b]\ntable = y\n", 1, "section [queue a] has no keys");
    assert_error_at("[exporter]\ncache_ttl_seconds = 1\n[queue last]\n", 3,
                    "section [queue last] has no keys");
    assert_error_at("[queue abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz]\ntable = x\n", 1,
                    "section name too long (at most 49 characters)");
}

static void too_many_queues(void **state)
{
    (void)state;
    char text[8192] = "";
    size_t n = 0;
    for (int i = 0; i < QE_MAX_QUEUES; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "[queue q%d]\ntable = t%d\n", i, i);
    /* 2 built-ins + 32 new ones: the 31st new queue is one too many. */
    assert_error_at(text, 2 * (QE_MAX_QUEUES - 2) + 2, "too many");
}

static void key_errors(void **state)
{
    (void)state;
    assert_error_at("[exporter]\ncache_ttl = 5\n", 2, "unknown key 'cache_ttl' in [exporter]");
    assert_error_at("[queue x]\ntable = x\nstatus = s\n", 3, "unknown key 'status' in [queue x]");
    assert_error_at("[queue x]\ntable = a\ntable = b\n", 3, "duplicate key 'table' in [queue x]");
    /* An indented line continues the previous value: reported as a repeat. */
    assert_error_at("[queue x]\ntable = a\n  b\n", 3, "duplicate key 'table'");
    assert_error_at("[exporter]\nhttp_threads = 2\nhttp_threads = 3\n", 3,
                    "duplicate key 'http_threads' in [exporter]");
}

static void number_errors(void **state)
{
    (void)state;
    assert_error_at("[exporter]\ncache_ttl_seconds = soon\n", 2,
                    "cache_ttl_seconds: 'soon' is not a number");
    assert_error_at("[exporter]\ncache_ttl_seconds = 5s\n", 2, "'5s' is not a number");
    assert_error_at("[exporter]\ncache_ttl_seconds = nan\n", 2, "'nan' is not a number");
    assert_error_at("[exporter]\ncache_ttl_seconds = 1e999\n", 2, "is not a number");
    assert_error_at("[exporter]\ncache_ttl_seconds = -1\n", 2,
                    "cache_ttl_seconds: -1 is out of range [0, 3600]");
    assert_error_at("[exporter]\ncollect_timeout_seconds = 0\n", 2,
                    "collect_timeout_seconds: 0 is out of range [0.1, 300]");
    assert_error_at("[exporter]\nhttp_threads = 0\n", 2, "http_threads: 0 is out of range [1, 64]");
    assert_error_at("[exporter]\nhttp_threads = 2.5\n", 2, "'2.5' is not a whole number");
    assert_error_at("[exporter]\nhttp_threads = -3\n", 2, "'-3' is not a whole number");
    assert_error_at("[exporter]\nhttp_max_connections = 99999999999999999999\n", 2,
                    "is not a whole number");
    assert_error_at("[queue x]\nstuck_after_seconds = 0\n", 2,
                    "stuck_after_seconds: 0 is out of range");
    assert_error_at("[queue x]\nenabled = maybe\n", 2, "enabled: 'maybe' is not a boolean");
}

static void name_errors(void **state)
{
    (void)state;
    assert_error_at("[queue x]\ntable =\n", 2, "table: empty value");
    assert_error_at("[queue x]\npending_status = \n", 2, "pending_status: empty value");
    assert_error_at("[queue x]\ntable = "
                    "a123456789b123456789c123456789d123456789e123456789f123456789g1234\n",
                    2, "is longer than 63 bytes");
    assert_error_at("[queue x]\ntable = bad\tname\n", 2,
                    "table: not valid UTF-8 text or contains control characters");
    assert_error_at("[queue x]\ntable = caf\xe9\n", 2, "not valid UTF-8");
    assert_error_at("[queue x]\ntable = \xc3\xa9t\xc3\xa9\nstatus_column = a\x01\n", 3,
                    "status_column: not valid UTF-8");
    /* issue 14: a surrogate, an out-of-range code point and overlong forms
     * passed --check-config, then Prometheus refused the whole scrape. */
    assert_error_at("[queue x]\npending_status = \xed\xa0\x80\n", 2, "not valid UTF-8");
    assert_error_at("[queue x]\nfailed_status = \xf4\x90\x80\x80\n", 2, "not valid UTF-8");
    assert_error_at("[queue x]\ntable = \xe0\x80\xaf\n", 2, "not valid UTF-8");
    assert_error_at("[queue x]\ntable = \xf0\x80\x80\xaf\n", 2, "not valid UTF-8");
    assert_error_at("[queue \xed\xbf\xbf]\ntable = t\n", 2, "not valid UTF-8");
    assert_int_equal(load("[queue x]\npending_status = \xf0\x9f\x98\x80\n"), 0); /* U+1F600 */
    /* A schema may be empty (unqualified table). */
    assert_int_equal(load("[queue x]\nschema =\n"), 0);
}

static void status_list_errors(void **state)
{
    (void)state;
    assert_error_at("[queue x]\nextra_statuses = a,,b\n", 2, "extra_statuses: empty status");
    assert_error_at("[queue x]\nextra_statuses = a,\n", 2, "extra_statuses: empty status");
    assert_error_at("[queue x]\nextra_statuses = a,b,c,d,e,f,g,h,i,j,k,l,m,n\n", 2,
                    "extra_statuses: more than 13 statuses");
    assert_error_at("[queue x]\ntable = x\n\nextra_statuses = completed\n", 1,
                    "extra_statuses must not list the completed status 'completed'");
    assert_error_at("[queue x]\nextra_statuses = retrying, retrying\n", 1,
                    "status 'retrying' is listed twice");
    assert_error_at("[queue x]\nextra_statuses = pending\n", 1, "status 'pending' is listed twice");
}

static void validation_errors(void **state)
{
    (void)state;
    assert_error_at("\n[queue pending_transcriptions]\npending_status = failed\n", 2,
                    "[queue pending_transcriptions]: pending_status and failed_status are both "
                    "'failed'");
    assert_error_at("[queue pending_transcriptions]\nenabled = no\n"
                    "[queue pending_pdf_processing]\nenabled = off\n",
                    0, "every queue is disabled: nothing to export");
    assert_error_at("[exporter]\nhttp_max_connections = 10\nhttp_max_connections_per_ip = 20\n", 0,
                    "http_max_connections_per_ip (20) exceeds http_max_connections (10)");
}

static void line_errors(void **state)
{
    (void)state;
    char text[512];
    memset(text, 0, sizeof(text));
    strcpy(text, "[exporter]\n; ");
    memset(text + strlen(text), 'x', 300);
    strcat(text, "\n");
    assert_error_at(text, 2, "line too long (at most 197 characters)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_serve_the_two_plan_tables),
        cmocka_unit_test(file_renames_adds_and_disables),
        cmocka_unit_test(empty_file_keeps_defaults),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(section_errors),
        cmocka_unit_test(too_many_queues),
        cmocka_unit_test(key_errors),
        cmocka_unit_test(number_errors),
        cmocka_unit_test(name_errors),
        cmocka_unit_test(status_list_errors),
        cmocka_unit_test(validation_errors),
        cmocka_unit_test(line_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
