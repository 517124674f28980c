/* Command line, listen addresses and HTTP routing decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *fake_env[8][2];

static const char *env(const char *name)
{
    for (size_t i = 0; i < 8 && fake_env[i][0]; i++)
        if (strcmp(fake_env[i][0], name) == 0)
            return fake_env[i][1];
    return NULL;
}

static int parse(struct qe_cli *cli, char *err, size_t errsz, ...)
{
    char *argv[16] = {"queue-exporter"};
    int argc = 1;
    va_list ap;
    va_start(ap, errsz);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 15;)
        argv[argc++] = a;
    va_end(ap);
    err[0] = '\0';
    return qe_cli_parse(cli, argc, argv, env, err, errsz);
}

static void defaults_and_options(void **state)
{
    (void)state;
    memset(fake_env, 0, sizeof(fake_env));
    struct qe_cli c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof(err), NULL), 0);
    assert_int_equal(c.action, QE_RUN);
    assert_string_equal(c.listen, "127.0.0.1:9200");
    assert_null(c.config);
    assert_null(c.contract);
    assert_int_equal(c.log_level, LOG_LEVEL_INFO);
    assert_int_equal(parse(&c, err, sizeof(err), "--contract", "/etc/c.yaml", NULL), 0);
    assert_string_equal(c.contract, "/etc/c.yaml");

    assert_int_equal(parse(&c, err, sizeof(err), "--listen", "0.0.0.0:9300", "--config=/etc/q.ini",
                           "--log-level", "debug", NULL),
                     0);
    assert_string_equal(c.listen, "0.0.0.0:9300");
    assert_string_equal(c.config, "/etc/q.ini");
    assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);

    assert_int_equal(parse(&c, err, sizeof(err), "--check-config", NULL), 0);
    assert_int_equal(c.action, QE_CHECK_CONFIG);
    assert_int_equal(parse(&c, err, sizeof(err), "--probe", NULL), 0);
    assert_int_equal(c.action, QE_PROBE);
    assert_string_equal(c.probe_path, "/healthz");
    assert_int_equal(parse(&c, err, sizeof(err), "--probe=/readyz", NULL), 0);
    assert_string_equal(c.probe_path, "/readyz");
    assert_int_equal(parse(&c, err, sizeof(err), "--help", "--bogus", NULL), 0);
    assert_int_equal(c.action, QE_HELP);
    assert_int_equal(parse(&c, err, sizeof(err), "--version", NULL), 0);
    assert_int_equal(c.action, QE_VERSION);
    assert_non_null(strstr(qe_cli_usage(), "QUEUE_EXPORTER_DSN"));
}

static void environment_defaults(void **state)
{
    (void)state;
    memset(fake_env, 0, sizeof(fake_env));
    fake_env[0][0] = "QUEUE_EXPORTER_LISTEN";
    fake_env[0][1] = "0.0.0.0:9200";
    fake_env[1][0] = "QUEUE_EXPORTER_CONFIG";
    fake_env[1][1] = "/config/q.ini";
    fake_env[2][0] = "QUEUE_EXPORTER_CONTRACT";
    fake_env[2][1] = "/etc/queue-exporter/contract.yaml";
    struct qe_cli c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof(err), NULL), 0);
    assert_string_equal(c.contract, "/etc/queue-exporter/contract.yaml");
    assert_string_equal(c.listen, "0.0.0.0:9200");
    assert_string_equal(c.config, "/config/q.ini");
    /* The command line wins. */
    assert_int_equal(parse(&c, err, sizeof(err), "--listen", "127.0.0.1:1", NULL), 0);
    assert_string_equal(c.listen, "127.0.0.1:1");
    memset(fake_env, 0, sizeof(fake_env));
}

static void usage_errors(void **state)
{
    (void)state;
    memset(fake_env, 0, sizeof(fake_env));
    struct qe_cli c;
    char err[256];
    assert_int_equal(parse(&c, err, sizeof(err), "--dsn", "host=x password=secret", NULL), -1);
    assert_non_null(strstr(err, "never from the command line"));
    assert_null(strstr(err, "secret"));
    assert_int_equal(parse(&c, err, sizeof(err), "--dsn=postgres://u:secret@h/db", NULL), -1);
    assert_null(strstr(err, "secret"));
    assert_int_equal(parse(&c, err, sizeof(err), "--bogus", NULL), -1);
    assert_string_equal(err, "unknown option --bogus (see --help)");
    assert_int_equal(parse(&c, err, sizeof(err), "--url=postgres://u:secret@h/db", NULL), -1);
    assert_string_equal(err, "unknown option --url (see --help)");
    assert_int_equal(parse(&c, err, sizeof(err), "--listen", NULL), -1);
    assert_string_equal(err, "--listen needs a value");
    assert_int_equal(parse(&c, err, sizeof(err), "extra", NULL), -1);
    assert_string_equal(err, "unexpected argument 'extra' (see --help)");
    assert_int_equal(parse(&c, err, sizeof(err), "--log-level", "loud", NULL), -1);
    assert_string_equal(err, "--log-level loud: expected debug, info, warn or error");
    assert_int_equal(parse(&c, err, sizeof(err), "--probe=readyz", NULL), -1);
    assert_string_equal(err, "--probe=readyz: the path must start with /");
    assert_int_equal(parse(&c, err, sizeof(err), "--config=", NULL), -1);
    assert_string_equal(err, "--config: empty file name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_and_options),
        cmocka_unit_test(environment_defaults),
        cmocka_unit_test(usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
