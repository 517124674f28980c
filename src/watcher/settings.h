/* The watcher's settings, from its environment (envtable.h) and the two
 * secret files it names: the bearer token (WATCHER_TOKEN_FILE) and the SMTP
 * password (SMTP_PASSWORD_FILE). Secrets are only ever read from files -
 * systemd's LoadCredential hands them over without putting them in the
 * environment, where /proc/PID/environ and `systemctl show` would expose
 * them - and never appear in a message. */
#ifndef WD_SETTINGS_H
#define WD_SETTINGS_H

#include <stddef.h>

#include "envvar.h"
#include "listenaddr.h"
#include "machine.h"
#include "smtpconf.h"
#include "smtpsend.h"
#include "webhook.h"

#define WD_SECRET_MAX 1024

struct wd_settings {
    struct listen_addr listen;
    char token[WD_TOKEN_MAX + 1];
    const char *cluster;
    const char *watched;
    struct wd_policy policy;
    const char *state_file;
    int backoff_s;
    struct smtp_server smtp; /* smtp.password points at smtp_password */
    char smtp_password[WD_SECRET_MAX];
    const char *from; /* header values */
    const char *to;
    char from_addr[320]; /* bare addresses for the envelope */
    char rcpt_buf[SMTP_MAX_RCPT][320];
    const char *rcpt[SMTP_MAX_RCPT];
    size_t nrcpt;
};

/* Returns 0, or -1 with the first problem in err (names the variable or
 * the file; never a secret's value). Strings point into get's storage. */
int wd_settings_load(struct wd_settings *c, env_get_fn get, char *err, size_t errsz);
/* Overwrites the secrets. */
void wd_settings_wipe(struct wd_settings *c);

#endif
