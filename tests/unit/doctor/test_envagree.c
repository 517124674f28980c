/* The doctor accepts exactly what the programs accept.
 *
 * For every program variable that compose fills from the .env (the
 * `dotenv` column of the programs' env tables), each value below is given
 *   - to the doctor, as that .env variable in an otherwise valid .env
 *     (doc_envspec_format_issues: the env.format check), and
 *   - to the program, in an otherwise valid environment, through its real
 *     loader (the daily report's dr_config_load + dr_config_load_delivery; the
 *     queue exporter's table check + libpq parameter building),
 * and both verdicts must be the same, good values and bad alike. The
 * tables' wiring is checked too: every .env name a program table gives is
 * one the doctor knows, has no second validator in the doctor, and is what
 * compose.yaml really passes (or, for a secret, the file config-init
 * renders it into). Pairs are another matter: the doctor also refuses
 * the SMTP_TLS/SMTP_PORT pairs Alertmanager cannot honour, which the
 * daily report alone could send with (smtp_check_alertmanager,
 * tests/unit/doctor/test_envspec.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daily-report/envtable.h"
#include "../daily-report/settings.h"
#include "../queue-exporter/envtable.h"
#include "envspec.h"
#include "pgconn.h"
#include "smtpconf.h"
#include "timeparse.h"
#include "validate.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_VALUES 24

/* Values per .env variable; none looks like a placeholder (the doctor
 * reports those separately) or holds '$' or a single quote. */
static const struct {
    const char *dotenv;
    const char *values[MAX_VALUES];
} CASES[] = {
    {"REPORT_TIME",
     {"8:00", "08:00", "23:59", "0:00", "00:00", "24:00", "8:60", "08:60", "8am", "8", "08:00:00",
      "-1:00", "12:5", "123:00", "8.00", NULL}},
    {"REPORT_TZ",
     {"Europe/Paris", "UTC", "CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT", ":Europe/Paris",
      "America/New_York", "<+0330>-3:30", "zone.tab", "tzdata.zi", "X1", "12345",
      "Nowhere1/Invalid", "Europe/Pariss", "Europe", "../etc/passwd", "Paris", "CET-1CEST,M3",
      NULL}},
    {"SMTP_HOST",
     {"smtp.eu.mailgun.org", "127.0.0.1", "localhost", "::1", "http://smtp.eu.mailgun.org",
      "smtp eu", "smtp/x", "-bad.eu", "bad-.eu", NULL}},
    {"SMTP_PORT", {"587", "465", "25", "2525", "65535", "0", "65536", "abc", "-1", "58 7", NULL}},
    {"SMTP_TLS", {"starttls", "tls", "none", "ssl", "STARTTLS", "yes", NULL}},
    {"SMTP_USER", {"postmaster@mg.ecotrans.eu", "u", "a b", NULL}},
    {"SMTP_FROM",
     {"monitoring@mg.ecotrans.eu", "Monitoring <monitoring@mg.ecotrans.eu>", "monitoring", "a@b",
      "Name <a@b.eu> x", "<a@b.eu", "a b@c.eu", "a@@b.eu", "@b.eu", "a@b.eu,c@d.eu", NULL}},
    {"REPORT_EMAIL_TO",
     {"ops@ecotrans.eu", "ops@ecotrans.eu,boss@ecotrans.eu", "ops@ecotrans.eu, boss@ecotrans.eu,",
      "Ops <ops@ecotrans.eu>", "not-an-address", " , ", "ops@ecotrans.eu;boss@ecotrans.eu", "a@b",
      NULL}},
    {"QUEUE_EXPORTER_DSN",
     {"host=db.abc.supabase.co port=5432 dbname=postgres user=queue_exporter password=pw "
      "sslmode=require",
      "host=db.abc.supabase.co port=5432 dbname=postgres user=queue_exporter password=pw "
      "sslmode=verify-full",
      "host=127.0.0.1 port=5432 dbname=postgres user=queue_exporter password=pw sslmode=disable",
      "host=db.abc.supabase.co port=5432 dbname=postgres user=queue_exporter password=pw "
      "sslmode=disable",
      "host=db.abc.supabase.co port=5432 dbname=postgres user=queue_exporter password=pw "
      "sslmode=prefer",
      "host=db.abc.supabase.co dbname=postgres user=queue_exporter password=pw sslmode=verify",
      "host=db.abc.supabase.co password pw", "bogus=1",
      "postgresql://queue_exporter:pw@db.abc.supabase.co:5432/postgres?sslmode=require",
      "postgresql://queue_exporter:pw@db.abc.supabase.co:5432/postgres?sslmode=disable", NULL}},
};

/* A valid .env and the program environment compose makes of it. */
static const char *BASE_DOTENV[][2] = {{"SMTP_HOST", "smtp.eu.mailgun.org"},
                                       {"SMTP_USER", "postmaster@mg.ecotrans.eu"},
                                       {"SMTP_PASSWORD", "pw"},
                                       {"SMTP_FROM", "monitoring@mg.ecotrans.eu"},
                                       {"REPORT_EMAIL_TO", "ops@ecotrans.eu"}};

static const struct env_table *const TABLES[] = {&dr_env_table, &dr_env_delivery_table,
                                                 &qe_env_table};

static const struct env_var *program_var(const char *dotenv, const struct env_table **table)
{
    for (size_t t = 0; t < N(TABLES); t++)
        for (size_t i = 0; i < TABLES[t]->n; i++)
            if (TABLES[t]->vars[i].dotenv && !strcmp(TABLES[t]->vars[i].dotenv, dotenv)) {
                *table = TABLES[t];
                return &TABLES[t]->vars[i];
            }
    return NULL;
}

static bool doctor_accepts(const char *key, const char *value, char *why, size_t whysz)
{
    struct strbuf text;
    sb_init(&text);
    for (size_t i = 0; i < N(BASE_DOTENV); i++)
        if (strcmp(BASE_DOTENV[i][0], key) != 0)
            sb_printf(&text, "%s=%s\n", BASE_DOTENV[i][0], BASE_DOTENV[i][1]);
    sb_printf(&text, "%s='%s'\n", key, value);
    struct dotenv env;
    doc_dotenv_init(&env);
    doc_dotenv_parse(&env, sb_str(&text), text.len);
    sb_free(&text);
    assert_string_equal(doc_dotenv_get(&env, key), value);
    if (doc_placeholder_kind(key, value))
        fail_msg("%s=%s looks like a placeholder", key, value);
    struct format_issue *v;
    size_t n = doc_envspec_format_issues(&env, &v);
    snprintf(why, whysz, "%s", n ? v[0].message : "");
    doc_format_issues_free(v, n);
    doc_dotenv_free(&env);
    return n == 0;
}

/* The program's environment: its variable names, from BASE_DOTENV as
 * compose maps them, then name=value. */
static const char *prog_name, *prog_value;

static const char *prog_get(const char *name)
{
    if (prog_name && !strcmp(name, prog_name))
        return prog_value;
    for (size_t i = 0; i < N(BASE_DOTENV); i++) {
        const struct env_table *t;
        const struct env_var *v = program_var(BASE_DOTENV[i][0], &t);
        if (v && !strcmp(v->name, name))
            return BASE_DOTENV[i][1];
    }
    return NULL;
}

static bool program_accepts(const struct env_table *t, char *why, size_t whysz)
{
    if (t == &qe_env_table) {
        /* What queue-exporter's main() does before it listens. */
        struct pg_params p;
        const struct pg_defaults d = {.application_name = "queue-exporter", .connect_timeout_s = 5};
        return env_table_check(t, prog_get, why, whysz) == 0 &&
               pg_params_build(&p, prog_get("QUEUE_EXPORTER_DSN"), "QUEUE_EXPORTER_DSN", &d, NULL,
                               why, whysz) == 0;
    }
    struct config c;
    bool ok = dr_config_load(&c, prog_get, why, whysz) == 0 &&
              dr_config_load_delivery(&c, prog_get, why, whysz) == 0;
    dr_config_free(&c);
    return ok;
}

static void doctor_and_programs_agree_value_by_value(void **state)
{
    (void)state;
    size_t compared = 0, accepted = 0;
    for (size_t c = 0; c < N(CASES); c++) {
        const struct env_table *t;
        const struct env_var *v = program_var(CASES[c].dotenv, &t);
        if (!v)
            fail_msg("no program reads .env %s", CASES[c].dotenv);
        for (size_t i = 0; CASES[c].values[i]; i++) {
            const char *value = CASES[c].values[i];
            char dwhy[512] = "", pwhy[512] = "";
            bool d = doctor_accepts(CASES[c].dotenv, value, dwhy, sizeof(dwhy));
            prog_name = v->name;
            prog_value = value;
            bool p = program_accepts(t, pwhy, sizeof(pwhy));
            prog_name = NULL;
            if (d != p)
                fail_msg("%s='%s' (program %s, %s): doctor %s [%s], program %s [%s]",
                         CASES[c].dotenv, value, t->program, v->name, d ? "accepts" : "refuses",
                         dwhy, p ? "accepts" : "refuses", pwhy);
            compared++;
            accepted += d;
        }
    }
    /* Both verdicts occur, for every variable's list. */
    assert_true(accepted > 20);
    assert_true(compared - accepted > 40);
}

static void every_mapped_variable_is_covered_here(void **state)
{
    (void)state;
    for (size_t t = 0; t < N(TABLES); t++)
        for (size_t i = 0; i < TABLES[t]->n; i++) {
            const struct env_var *v = &TABLES[t]->vars[i];
            if (!v->dotenv || !v->check || !strcmp(v->dotenv, "SMTP_PASSWORD"))
                continue;
            bool found = false;
            for (size_t c = 0; c < N(CASES); c++)
                found |= !strcmp(CASES[c].dotenv, v->dotenv);
            if (!found)
                fail_msg("%s (.env %s) has no test values here", v->name, v->dotenv);
        }
}

static void one_validator_per_variable(void **state)
{
    (void)state;
    for (size_t t = 0; t < N(TABLES); t++)
        for (size_t i = 0; i < TABLES[t]->n; i++) {
            const struct env_var *v = &TABLES[t]->vars[i];
            if (!v->dotenv)
                continue;
            const struct env_var *own = doc_var_spec_find(v->dotenv);
            if (!own)
                fail_msg("%s reads .env %s, which the doctor does not know", v->name, v->dotenv);
            if (own->check)
                fail_msg(".env %s has a doctor validator besides %s's", v->dotenv, v->name);
            if ((own->flags & ENV_SECRET) != (v->flags & ENV_SECRET))
                fail_msg(".env %s and %s disagree on being a secret", v->dotenv, v->name);
            if (v->check)
                assert_ptr_equal(doc_env_validator(v->dotenv), v);
        }
}

/* Secrets that config-init renders from the .env into files (compose.yaml
 * passes where to find them, never the value): what compose gives instead. */
static const struct {
    const char *name, *compose;
} RENDERED[] = {
    {"QUEUE_EXPORTER_DSN", " QUEUE_EXPORTER_DSN: service=queue_exporter\n"},
    {"SMTP_PASSWORD", " SMTP_PASSWORD_FILE: /run/monitoring/smtp_password\n"},
};

static bool rendered_by_config_init(const char *text, const char *name)
{
    for (size_t r = 0; r < N(RENDERED); r++)
        if (!strcmp(RENDERED[r].name, name)) {
            if (!strstr(text, RENDERED[r].compose))
                fail_msg("compose.yaml does not pass%s", RENDERED[r].compose);
            return true;
        }
    return false;
}

/* compose.yaml's text into BUF (the tests run from the repository or from
 * build/tests). */
static void read_compose(char *buf, size_t size)
{
    FILE *f = fopen("compose.yaml", "r");
    if (!f)
        f = fopen("../../compose.yaml", "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
}

static void compose_passes_what_the_tables_say(void **state)
{
    (void)state;
    static char text[1 << 17];
    read_compose(text, sizeof(text));
    for (size_t t = 0; t < N(TABLES); t++)
        for (size_t i = 0; i < TABLES[t]->n; i++) {
            const struct env_var *v = &TABLES[t]->vars[i];
            if (!v->dotenv || rendered_by_config_init(text, v->name))
                continue;
            char want[160];
            snprintf(want, sizeof(want), " %s: ${%s", v->name, v->dotenv);
            const char *hit = strstr(text, want);
            char next = hit ? hit[strlen(want)] : 0;
            if (!hit || (next != ':' && next != '}'))
                fail_msg("compose.yaml does not pass %s from ${%s}", v->name, v->dotenv);
        }
}

/* Variables with a default: compose passes them as ${VAR:-}, so the default
 * is the program's (src/daily-report/envtable.h) and stated nowhere else. */
static void compose_adds_no_default_of_its_own(void **state)
{
    (void)state;
    static char text[1 << 17];
    read_compose(text, sizeof(text));
    assert_non_null(strstr(text, " REPORT_TZ: ${REPORT_TZ:-}\n"));
    assert_non_null(strstr(text, " REPORT_TIME: ${REPORT_TIME:-}\n"));
    assert_null(strstr(text, DR_REPORT_TZ_DEFAULT));
    /* SMTP_PORT likewise: config-init (Alertmanager's smarthost, with
     * SMTP_TLS for the default) and the daily report get it as set. */
    const char *p = text;
    int n_port = 0;
    while ((p = strstr(p, " SMTP_PORT: ${SMTP_PORT:-}\n")))
        n_port++, p++;
    assert_int_equal(n_port, 2);
    assert_null(strstr(text, "${SMTP_PORT:-5"));
    assert_null(strstr(text, "${SMTP_PORT:-4"));
    assert_non_null(strstr(text, " SMTP_TLS: ${SMTP_TLS:-}\n"));
    /* And what compose then passes (empty) is the program's default. */
    static const char *empty[][2] = {{"REPORT_TZ", ""}, {"REPORT_TIME", ""}};
    for (size_t i = 0; i < N(empty); i++) {
        prog_name = empty[i][0];
        prog_value = empty[i][1];
        struct config c;
        char why[512];
        assert_int_equal(dr_config_load(&c, prog_get, why, sizeof(why)), 0);
        assert_string_equal(c.tz, DR_REPORT_TZ_DEFAULT);
        int h, m;
        assert_int_equal(time_of_day_parse(DR_REPORT_TIME_DEFAULT, &h, &m), 0);
        assert_int_equal(c.hour * 60 + c.minute, h * 60 + m);
        dr_config_free(&c);
    }
    prog_name = NULL;
}

/* SMTP_PORT empty: the daily report sends to smtpconf.h's default port (and
 * 465 with SMTP_TLS=tls); wrong, the program's message is the doctor's
 * (env.format detail, then its fix). */
static void an_empty_smtp_port_is_the_senders_default(void **state)
{
    (void)state;
    struct config c;
    char why[512];
    prog_name = "SMTP_PORT";
    prog_value = "";
    assert_int_equal(dr_config_load(&c, prog_get, why, sizeof(why)), 0);
    assert_int_equal(dr_config_load_delivery(&c, prog_get, why, sizeof(why)), 0);
    assert_int_equal(c.smtp_port, SMTP_PORT_DEFAULT);
    assert_int_equal(c.smtp_port, 587);
    assert_int_equal(c.smtp_tls, SMTP_TLS_STARTTLS);
    dr_config_free(&c);
    prog_value = "58x";
    assert_int_equal(dr_config_load(&c, prog_get, why, sizeof(why)), 0);
    assert_int_equal(dr_config_load_delivery(&c, prog_get, why, sizeof(why)), -1);
    dr_config_free(&c);
    char dwhy[512];
    assert_false(doctor_accepts("SMTP_PORT", "58x", dwhy, sizeof(dwhy)));
    char want[1024];
    snprintf(want, sizeof(want), "%s (%s)", dwhy, doc_var_spec_find("SMTP_PORT")->fix);
    assert_string_equal(why, want);
    assert_string_equal(dwhy, "SMTP_PORT=58x is not a port number (1-65535)");
    prog_name = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(doctor_and_programs_agree_value_by_value),
        cmocka_unit_test(every_mapped_variable_is_covered_here),
        cmocka_unit_test(one_validator_per_variable),
        cmocka_unit_test(compose_passes_what_the_tables_say),
        cmocka_unit_test(compose_adds_no_default_of_its_own),
        cmocka_unit_test(an_empty_smtp_port_is_the_senders_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
