/* src/doctor/renderdash: `build/doctor --render-dashboards` on real files.
 * The committed contract, templates and dashboards are copied into a
 * scratch directory (unit tests run from the repository root): rendering
 * the committed contract rewrites nothing; an edited contract rewrites
 * exactly the dashboards whose SQL reads the renamed column, in place and
 * idempotently; a missing contract, templates file or directory, and a
 * dashboard with no template, give exit status 2 and leave the files as
 * they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "renderdash.h"

#define TEMPLATES "sql/dashboard-sql.json"
#define CONTRACT "sql/contract.yaml"

struct scratch {
    char dir[64];
    char dash[96];
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(8 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (8 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void copy(const char *from, const char *to)
{
    char *t = slurp(from);
    if (!t)
        fail_msg("%s: cannot read (run from the repository root)", from);
    spit(to, t);
    free(t);
}

static int mkdir_p(const char *dir)
{
    return mkdir(dir, 0700);
}

static int setup(void **state)
{
    struct scratch *s = calloc(1, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/renderdash-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    snprintf(s->dash, sizeof(s->dash), "%s/dash", s->dir);
    char p[160];
    if (mkdir_p(s->dash))
        return -1;
    const char *names[] = {"business-kpis.json", "processing-queues.json", "infra-overview.json"};
    for (size_t i = 0; i < 3; i++) {
        char from[96];
        snprintf(from, sizeof(from), "grafana/dashboards/%s", names[i]);
        snprintf(p, sizeof(p), "%s/%s", s->dash, names[i]);
        copy(from, p);
    }
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct scratch *s = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
    int rc = system(cmd);
    free(s);
    return rc == 0 ? 0 : -1;
}

static char *file_in(const struct scratch *s, const char *name)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/%s", s->dash, name);
    return slurp(p);
}

static void the_committed_contract_rewrites_nothing(void **state)
{
    struct scratch *s = *state;
    assert_int_equal(doc_render_dashboards(CONTRACT, TEMPLATES, s->dash), 0);
    const char *names[] = {"business-kpis.json", "processing-queues.json", "infra-overview.json"};
    for (size_t i = 0; i < 3; i++) {
        char from[96];
        snprintf(from, sizeof(from), "grafana/dashboards/%s", names[i]);
        char *want = slurp(from), *got = file_in(s, names[i]);
        assert_non_null(got);
        if (strcmp(want, got) != 0)
            fail_msg("%s changed although the contract is the committed one", names[i]);
        free(want);
        free(got);
    }
}

/* The committed contract with one job table's status column called state. */
static void write_renamed_contract(const char *path)
{
    char *c = slurp(CONTRACT);
    assert_non_null(c);
    char *at = strstr(c, "  pending_pdf_processing:");
    assert_non_null(at);
    char *col = strstr(at, "      status: status\n");
    assert_non_null(col);
    size_t head = (size_t)(col - c);
    const char *repl = "      status: state\n";
    char *out = malloc(strlen(c) + 16);
    memcpy(out, c, head);
    strcpy(out + head, repl);
    strcat(out, col + strlen("      status: status\n"));
    spit(path, out);
    free(out);
    free(c);
}

static void an_edited_contract_rewrites_the_sql_in_place(void **state)
{
    struct scratch *s = *state;
    char contract[160];
    snprintf(contract, sizeof(contract), "%s/contract.yaml", s->dir);
    write_renamed_contract(contract);
    char *infra_before = file_in(s, "infra-overview.json");
    assert_int_equal(doc_render_dashboards(contract, TEMPLATES, s->dash), 0);
    char *queues = file_in(s, "processing-queues.json");
    /* The PDF queue's targets now filter on state; the transcriptions
     * queue's keep status. */
    const char *pdf = "FROM pending_pdf_processing\\nWHERE state = 'completed'";
    if (!strstr(queues, pdf))
        fail_msg("processing-queues.json lacks %s after the rename", pdf);
    assert_null(strstr(queues, "FROM pending_pdf_processing\\nWHERE status ="));
    assert_non_null(strstr(queues, "FROM pending_transcriptions\\nWHERE status = 'completed'"));
    char *infra = file_in(s, "infra-overview.json");
    assert_string_equal(infra, infra_before); /* no SQL target: untouched */
    /* Rendering again with the same contract changes nothing more. */
    assert_int_equal(doc_render_dashboards(contract, TEMPLATES, s->dash), 0);
    char *again = file_in(s, "processing-queues.json");
    assert_string_equal(again, queues);
    free(again);
    free(infra);
    free(infra_before);
    free(queues);
}

static void bad_inputs_exit_2_and_change_nothing(void **state)
{
    struct scratch *s = *state;
    char missing[160], bad[160], dash2[160], p[200];
    snprintf(missing, sizeof(missing), "%s/no-such-file", s->dir);
    char *before = file_in(s, "business-kpis.json");
    assert_int_equal(doc_render_dashboards(missing, TEMPLATES, s->dash), 2);
    assert_int_equal(doc_render_dashboards(CONTRACT, missing, s->dash), 2);
    assert_int_equal(doc_render_dashboards(CONTRACT, TEMPLATES, missing), 2);
    snprintf(bad, sizeof(bad), "%s/templates.json", s->dir);
    spit(bad, "{ not json");
    assert_int_equal(doc_render_dashboards(CONTRACT, bad, s->dash), 2);
    char *after = file_in(s, "business-kpis.json");
    assert_string_equal(after, before);
    free(after);
    free(before);
    /* A dashboard with an SQL target that has no template is refused. */
    snprintf(dash2, sizeof(dash2), "%s/dash2", s->dir);
    assert_int_equal(mkdir_p(dash2), 0);
    snprintf(p, sizeof(p), "%s/stray.json", dash2);
    const char *stray = "{\"uid\": \"stray\", \"panels\": [{\"title\": \"Orphan\", \"targets\": "
                        "[{\"refId\": \"A\", \"rawSql\": \"SELECT 1\"}]}]}\n";
    spit(p, stray);
    assert_int_equal(doc_render_dashboards(CONTRACT, TEMPLATES, dash2), 2);
    char *kept = slurp(p);
    assert_string_equal(kept, stray);
    free(kept);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_committed_contract_rewrites_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(an_edited_contract_rewrites_the_sql_in_place, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_inputs_exit_2_and_change_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
