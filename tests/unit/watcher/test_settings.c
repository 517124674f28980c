/* Settings from a fake environment and secret files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings.h"

static char dir[64], token_path[128], pw_path[128];

#define MAX_VARS 32
static const char *names[MAX_VARS], *values[MAX_VARS];
static size_t nvars;

static const char *fake_get(const char *name)
{
    for (size_t i = 0; i < nvars; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    return NULL;
}

static void set(const char *name, const char *value)
{
    for (size_t i = 0; i < nvars; i++)
        if (strcmp(names[i], name) == 0) {
            values[i] = value;
            return;
        }
    names[nvars] = name;
    values[nvars++] = value;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_wd_settings_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(token_path, sizeof(token_path), "%s/token", dir);
    snprintf(pw_path, sizeof(pw_path), "%s/smtp_password", dir);
    write_file(token_path, "0123456789abcdef-token\n");
    write_file(pw_path, "mailgun-password\n");
    nvars = 0;
    set("WATCHER_TOKEN_FILE", token_path);
    set("WATCHER_CLUSTER", "ecotrans-prod");
    set("SMTP_HOST", "smtp.eu.mailgun.org");
    set("SMTP_USER", "postmaster@mg.example.eu");
    set("SMTP_PASSWORD_FILE", pw_path);
    set("SMTP_FROM", "Monitoring <monitoring@mg.example.eu>");
    set("ALERT_EMAIL_TO", "ops@example.eu,boss@example.eu");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(token_path);
    unlink(pw_path);
    rmdir(dir);
    return 0;
}

static struct wd_settings cfg;
static char err[600];

static int load(void)
{
    err[0] = '\0';
    return wd_settings_load(&cfg, fake_get, err, sizeof(err));
}

static void defaults(void **state)
{
    (void)state;
    assert_int_equal(load(), 0);
    assert_string_equal(cfg.listen.text, "127.0.0.1:9202");
    assert_string_equal(cfg.token, "0123456789abcdef-token");
    assert_string_equal(cfg.smtp_password, "mailgun-password");
    assert_int_equal(cfg.policy.grace_s, 600);
    assert_int_equal(cfg.policy.remind_s, 10800);
    assert_int_equal(cfg.policy.steady_s, 300);
    assert_string_equal(cfg.state_file, "/var/lib/watcher/state");
    assert_int_equal(cfg.smtp.port, 587);
    assert_int_equal(cfg.smtp.tls, SMTP_TLS_STARTTLS);
    assert_string_equal(cfg.from_addr, "monitoring@mg.example.eu");
    assert_int_equal(cfg.nrcpt, 2);
    assert_string_equal(cfg.rcpt[1], "boss@example.eu");
    assert_string_equal(cfg.watched, "Server F");
    wd_settings_wipe(&cfg);
    assert_int_equal(cfg.token[0], 0);
    assert_int_equal(cfg.smtp_password[0], 0);
}

static void overrides(void **state)
{
    (void)state;
    set("WATCHER_LISTEN", "[::1]:19202");
    set("WATCHER_GRACE", "20s");
    set("WATCHER_REMIND", "1m");
    set("WATCHER_STEADY", "5s");
    set("SMTP_PORT", "465");
    assert_int_equal(load(), 0);
    assert_string_equal(cfg.listen.text, "[::1]:19202");
    assert_int_equal(cfg.policy.grace_s, 20);
    assert_int_equal(cfg.smtp.tls, SMTP_TLS_IMPLICIT);
}

static void refused(void **state)
{
    (void)state;
    set("WATCHER_CLUSTER", "");
    assert_int_equal(load(), -1);
    assert_non_null(strstr(err, "WATCHER_CLUSTER"));
    set("WATCHER_CLUSTER", "a b");
    assert_int_equal(load(), -1);
    set("WATCHER_CLUSTER", "ecotrans-prod");
    set("WATCHER_GRACE", "ten");
    assert_int_equal(load(), -1);
    assert_non_null(strstr(err, "WATCHER_GRACE"));
    set("WATCHER_GRACE", "4h");
    assert_int_equal(load(), -1); /* remind (3h) shorter than grace */
    assert_non_null(strstr(err, "remind"));
    set("WATCHER_GRACE", "10m");
    set("SMTP_PASSWORD", "in-the-environment");
    assert_int_equal(load(), -1);
    assert_non_null(strstr(err, "SMTP_PASSWORD_FILE"));
    assert_null(strstr(err, "in-the-environment"));
    set("SMTP_PASSWORD", NULL);
    set("SMTP_TLS", "none");
    assert_int_equal(load(), -1); /* credentials in clear over the network */
    set("SMTP_TLS", NULL);
    set("SMTP_USER", "postmaster @mg.example.eu");
    assert_int_equal(load(), -1);
    assert_non_null(strstr(err, "SMTP_USER"));
    set("SMTP_USER", "postmaster@mg.example.eu");
    set("ALERT_EMAIL_TO", "not-an-address");
    assert_int_equal(load(), -1);
    assert_non_null(strstr(err, "ALERT_EMAIL_TO"));
}

/* SMTP_PORT empty, as install-watcher.sh may leave it: the default every
 * sender and the doctor use (src/common/smtpconf.h); wrong, the message the
 * doctor gives for the same .env value. */
static void an_empty_smtp_port_is_the_default(void **state)
{
    (void)state;
    set("SMTP_PORT", "");
    assert_int_equal(load(), 0);
    assert_int_equal(cfg.smtp.port, 587);
    assert_int_equal(cfg.smtp.tls, SMTP_TLS_STARTTLS);
    set("SMTP_TLS", "tls");
    assert_int_equal(load(), 0);
    assert_int_equal(cfg.smtp.port, 465);
    assert_int_equal(cfg.smtp.tls, SMTP_TLS_IMPLICIT);
    set("SMTP_TLS", NULL);
    set("SMTP_PORT", "58x");
    assert_int_equal(load(), -1);
    assert_string_equal(err, "SMTP_PORT=58x is not a port number (1-65535) (" SMTP_PORT_FIX ")");
}

static void secret_files(void **state)
{
    (void)state;
    write_file(token_path, "short\n");
    assert_int_equal(load(), -1);
    assert_non_null(strstr(err, "WATCHER_TOKEN_FILE"));
    assert_null(strstr(err, "short\n"));
    write_file(token_path, "");
    assert_int_equal(load(), -1);
    assert_non_null(strstr(err, "empty"));
    set("WATCHER_TOKEN_FILE", "/nonexistent/token");
    assert_int_equal(load(), -1);
    assert_non_null(strstr(err, "/nonexistent/token"));
    set("WATCHER_TOKEN_FILE", token_path);
    write_file(token_path, "0123456789abcdef-token\n");
    set("SMTP_PASSWORD_FILE", NULL);
    assert_int_equal(load(), -1); /* user without password */
    assert_non_null(strstr(err, "SMTP_USER"));
    set("SMTP_USER", NULL);
    set("SMTP_HOST", "127.0.0.1");
    set("SMTP_TLS", "none");
    assert_int_equal(load(), 0); /* a loopback sink without credentials */
    assert_null(cfg.smtp.user);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(refused, setup, teardown),
        cmocka_unit_test_setup_teardown(secret_files, setup, teardown),
        cmocka_unit_test_setup_teardown(an_empty_smtp_port_is_the_default, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
