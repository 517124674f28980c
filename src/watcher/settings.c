#include "settings.h"

#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "envtable.h"
#include "secretfile.h"

static int64_t period(env_get_fn get, const char *name, int64_t dflt)
{
    const char *v = env_nonempty(get, name);
    int64_t out = dflt;
    if (v)
        wd_duration_parse(v, &out); /* validated by the env table */
    return out;
}

static int load_recipients(struct wd_settings *c, char *err, size_t errsz)
{
    for (const char *p = c->to; *p && c->nrcpt < SMTP_MAX_RCPT;) {
        size_t n = strcspn(p, ",");
        char item[400];
        snprintf(item, sizeof(item), "%.*s", (int)n, p);
        p += n + (p[n] == ',');
        if (strspn(item, " \t") == strlen(item))
            continue;
        if (smtp_mailbox_address(item, c->rcpt_buf[c->nrcpt], sizeof(c->rcpt_buf[0])) != 0) {
            snprintf(err, errsz, "ALERT_EMAIL_TO: an item is not an e-mail address");
            return -1;
        }
        c->rcpt[c->nrcpt] = c->rcpt_buf[c->nrcpt];
        c->nrcpt++;
    }
    return 0;
}

static int load_smtp(struct wd_settings *c, env_get_fn get, char *err, size_t errsz)
{
    struct smtp_server *s = &c->smtp;
    s->host = env_nonempty(get, "SMTP_HOST");
    const char *port = env_nonempty(get, "SMTP_PORT");
    if (port)
        env_parse_int(port, 1, 65535, &s->port);
    smtp_tls_resolve(env_nonempty(get, "SMTP_TLS"), s->port, &s->tls);
    if (!port)
        s->port = smtp_tls_default_port(s->tls);
    s->user = env_nonempty(get, "SMTP_USER");
    const char *pwfile = env_nonempty(get, "SMTP_PASSWORD_FILE");
    if (env_nonempty(get, "SMTP_PASSWORD")) {
        snprintf(err, errsz,
                 "SMTP_PASSWORD is not read from the environment: put the password "
                 "in a file and set SMTP_PASSWORD_FILE");
        return -1;
    }
    if (!s->user != !pwfile) {
        snprintf(err, errsz, "SMTP_USER and SMTP_PASSWORD_FILE go together: set both or neither");
        return -1;
    }
    if (pwfile && secret_file_read("SMTP_PASSWORD_FILE", pwfile, c->smtp_password,
                                   sizeof(c->smtp_password), err, errsz) != 0)
        return -1;
    s->password = pwfile ? c->smtp_password : NULL;
    s->ca_file = env_nonempty(get, "SMTP_CA_FILE");
    s->connect_timeout_s = 15;
    s->timeout_s = 60;
    struct strbuf why;
    sb_init(&why);
    int ok = smtp_check_cleartext(s->tls, s->host, s->user != NULL, &why);
    if (!ok)
        snprintf(err, errsz, "%s", sb_str(&why));
    sb_free(&why);
    return ok ? 0 : -1;
}

int wd_settings_load(struct wd_settings *c, env_get_fn get, char *err, size_t errsz)
{
    memset(c, 0, sizeof(*c));
    if (env_table_check(&wd_env_table, get, err, errsz) != 0)
        return -1;
    const char *listen = env_nonempty(get, "WATCHER_LISTEN");
    if (listen_addr_parse(listen ? listen : "127.0.0.1:9202", &c->listen, err, errsz) != 0)
        return -1;
    char why[160];
    if (secret_file_read("WATCHER_TOKEN_FILE", env_nonempty(get, "WATCHER_TOKEN_FILE"), c->token,
                         sizeof(c->token), err, errsz) != 0)
        return -1;
    if (wd_token_clean(c->token, why, sizeof(why)) != 0) {
        snprintf(err, errsz, "WATCHER_TOKEN_FILE: the token %s", why);
        return -1;
    }
    c->cluster = env_nonempty(get, "WATCHER_CLUSTER");
    c->watched = env_nonempty(get, "WATCHER_WATCHED");
    if (!c->watched)
        c->watched = "Server F";
    c->policy.grace_s = period(get, "WATCHER_GRACE", 600);
    c->policy.remind_s = period(get, "WATCHER_REMIND", 3 * 3600);
    c->policy.steady_s = period(get, "WATCHER_STEADY", 300);
    if (wd_policy_check(&c->policy, why, sizeof(why)) != 0) {
        snprintf(err, errsz, "WATCHER_GRACE/WATCHER_REMIND/WATCHER_STEADY: %s", why);
        return -1;
    }
    c->state_file = env_nonempty(get, "WATCHER_STATE_FILE");
    if (!c->state_file)
        c->state_file = "/var/lib/watcher/state";
    c->backoff_s = 30;
    const char *b = env_nonempty(get, "WATCHER_SMTP_BACKOFF_SECONDS");
    if (b)
        env_parse_int(b, 1, 3600, &c->backoff_s);
    if (load_smtp(c, get, err, errsz) != 0)
        return -1;
    c->from = env_nonempty(get, "SMTP_FROM");
    c->to = env_nonempty(get, "ALERT_EMAIL_TO");
    if (smtp_mailbox_address(c->from, c->from_addr, sizeof(c->from_addr)) != 0) {
        snprintf(err, errsz, "SMTP_FROM: no address found");
        return -1;
    }
    return load_recipients(c, err, errsz);
}

void wd_settings_wipe(struct wd_settings *c)
{
    volatile char *p = c->token;
    for (size_t i = 0; i < sizeof(c->token); i++)
        p[i] = 0;
    p = c->smtp_password;
    for (size_t i = 0; i < sizeof(c->smtp_password); i++)
        p[i] = 0;
}
