#include "settings.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envtable.h"
#include "smtpconf.h"
#include "timeparse.h"

static const char *env(config_getenv_fn get, const char *name)
{
    return env_nonempty(get, name);
}

int dr_config_load(struct config *c, config_getenv_fn get, char *err, size_t errsz)
{
    memset(c, 0, sizeof(*c));
    /* Every value is validated by the table the doctor uses too; what
     * follows only reads them. */
    if (env_table_check(&dr_env_table, get, err, errsz) != 0)
        return -1;
    c->prometheus_url = env(get, "PROMETHEUS_URL");
    c->alertmanager_url = env(get, "ALERTMANAGER_URL");
    c->db_dsn = env(get, "REPORT_DB_DSN");
    c->contract_file = env(get, "REPORT_SCHEMA_CONTRACT");
    c->grafana_url = env(get, "GRAFANA_URL");
    c->tz = env(get, "REPORT_TZ");
    if (!c->tz)
        c->tz = DR_REPORT_TZ_DEFAULT;
    const char *t = env(get, "REPORT_TIME");
    time_of_day_parse(t ? t : DR_REPORT_TIME_DEFAULT, &c->hour, &c->minute);
    c->db_timeout_s = 30;
    const char *dt = env(get, "REPORT_DB_TIMEOUT_SECONDS");
    if (dt)
        env_parse_int(dt, 1, 600, &c->db_timeout_s);
    c->catchup_minutes = 60;
    const char *cu = env(get, "REPORT_CATCHUP_MINUTES");
    if (cu)
        env_parse_int(cu, 0, 720, &c->catchup_minutes);
    c->state_file = env(get, "REPORT_STATE_FILE");
    if (!c->state_file)
        c->state_file = "/var/lib/daily-report/state";
    c->metrics_listen = env(get, "REPORT_METRICS_LISTEN");
    if (!c->metrics_listen)
        c->metrics_listen = "127.0.0.1:9201";
    return 0;
}

static int read_secret_file(const char *path, char **out, char *err, size_t errsz)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "SMTP_PASSWORD_FILE: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (bad) {
        snprintf(err, errsz, "SMTP_PASSWORD_FILE: %s is unreadable or longer than %zu bytes", path,
                 sizeof(buf) - 2);
        return -1;
    }
    buf[n] = '\0';
    /* Files written by editors or `echo` end with a newline that is not
     * part of the secret. */
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n == 0) {
        snprintf(err, errsz, "SMTP_PASSWORD_FILE: %s is empty", path);
        return -1;
    }
    *out = strdup(buf);
    return *out ? 0 : -1;
}

/* list passed smtp_check_rcpt_list: bare addresses, at most
 * CONFIG_MAX_RCPT of them. */
static int load_recipients(struct config *c, const char *list, char *err, size_t errsz)
{
    for (const char *p = list; *p && c->nrcpt < CONFIG_MAX_RCPT;) {
        size_t n = strcspn(p, ",");
        char item[512], addr[320];
        snprintf(item, sizeof(item), "%.*s", (int)n, p);
        p += n + (p[n] == ',');
        if (strspn(item, " \t") == strlen(item))
            continue; /* a blank item adds nothing */
        if (smtp_mailbox_address(item, addr, sizeof(addr)) != 0) {
            snprintf(err, errsz, "REPORT_TO: '%s' is not an e-mail address", item);
            return -1;
        }
        if (!(c->rcpt[c->nrcpt] = strdup(addr)))
            return -1;
        c->nrcpt++;
    }
    return 0;
}

/* SMTP_PASSWORD or SMTP_PASSWORD_FILE, and SMTP_USER with it. */
static int load_credentials(struct config *c, config_getenv_fn get, char *err, size_t errsz)
{
    c->smtp_user = env(get, "SMTP_USER");
    const char *pw = env(get, "SMTP_PASSWORD");
    const char *pwfile = env(get, "SMTP_PASSWORD_FILE");
    if (pw && pwfile) {
        snprintf(err, errsz, "SMTP_PASSWORD and SMTP_PASSWORD_FILE are both set; keep one");
        return -1;
    }
    if (pwfile) {
        if (read_secret_file(pwfile, &c->smtp_password, err, errsz) != 0)
            return -1;
    } else if (pw && !(c->smtp_password = strdup(pw))) {
        return -1;
    }
    if (c->smtp_user && !c->smtp_password) {
        snprintf(err, errsz, "SMTP_USER is set but SMTP_PASSWORD (or SMTP_PASSWORD_FILE) is not");
        return -1;
    }
    if (!c->smtp_user && c->smtp_password) {
        snprintf(err, errsz, "SMTP_PASSWORD is set but SMTP_USER is not");
        return -1;
    }
    return 0;
}

int dr_config_load_delivery(struct config *c, config_getenv_fn get, char *err, size_t errsz)
{
    if (env_table_check(&dr_env_delivery_table, get, err, errsz) != 0)
        return -1;
    c->smtp_host = env(get, "SMTP_HOST");
    const char *port = env(get, "SMTP_PORT");
    c->smtp_port = 0;
    if (port)
        env_parse_int(port, 1, 65535, &c->smtp_port);
    smtp_tls_resolve(env(get, "SMTP_TLS"), c->smtp_port, &c->smtp_tls);
    if (!port)
        c->smtp_port = smtp_tls_default_port(c->smtp_tls);
    if (load_credentials(c, get, err, errsz) != 0)
        return -1;
    struct strbuf why;
    sb_init(&why);
    if (!smtp_check_cleartext(c->smtp_tls, c->smtp_host, c->smtp_user != NULL, &why)) {
        snprintf(err, errsz, "%s", sb_str(&why));
        sb_free(&why);
        return -1;
    }
    sb_free(&why);
    c->smtp_ca_file = env(get, "SMTP_CA_FILE");
    c->from_header = env(get, "REPORT_FROM");
    char addr[320];
    if (smtp_mailbox_address(c->from_header, addr, sizeof(addr)) != 0 ||
        !(c->from_addr = strdup(addr))) {
        snprintf(err, errsz, "REPORT_FROM: no address found");
        return -1;
    }
    if (load_recipients(c, env(get, "REPORT_TO"), err, errsz) != 0)
        return -1;
    c->smtp_attempts = 5;
    c->smtp_backoff_s = 30;
    const char *a = env(get, "REPORT_SMTP_ATTEMPTS");
    const char *b = env(get, "REPORT_SMTP_BACKOFF_SECONDS");
    if (a)
        env_parse_int(a, 1, 20, &c->smtp_attempts);
    if (b)
        env_parse_int(b, 0, 3600, &c->smtp_backoff_s);
    return 0;
}

void dr_config_free(struct config *c)
{
    if (c->smtp_password) {
        /* Do not leave the secret in freed heap memory. */
        volatile char *p = c->smtp_password;
        while (*p)
            *p++ = '\0';
        free(c->smtp_password);
    }
    free(c->from_addr);
    for (size_t i = 0; i < c->nrcpt; i++)
        free(c->rcpt[i]);
    memset(c, 0, sizeof(*c));
}
