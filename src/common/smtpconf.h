/* SMTP settings every mail sender shares, without libcurl, so the doctor's
 * checks and the env tables use the same rules as the senders:
 *   - the TLS mode, one rule everywhere: SMTP_TLS=starttls|tls|none when
 *     given; unset, port 465 means TLS from the first byte (smtps) and any
 *     other port STARTTLS. "none" carries credentials only to a loopback
 *     host (a local sink), never across a network;
 *   - mailboxes ("a@b.eu", "Name <a@b.eu>") and recipient lists
 *     ("a@b.eu,c@d.eu"), checked by src/common/validate.c's address rules
 *     and reduced to the bare address for MAIL FROM / RCPT TO. */
#ifndef COMMON_SMTPCONF_H
#define COMMON_SMTPCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

enum smtp_tls {
    SMTP_TLS_STARTTLS, /* smtp:// + mandatory STARTTLS (submission, 587) */
    SMTP_TLS_IMPLICIT, /* smtps:// (465) */
    SMTP_TLS_NONE,     /* plain SMTP: credentials only to a loopback host */
};

#define SMTP_MAX_RCPT 32

/* The port when SMTP_PORT is unset or empty: submission with STARTTLS, or
 * 465 with SMTP_TLS=tls. Stated here only: compose passes ${SMTP_PORT:-},
 * the senders and the doctor take it from here, and the shell renderer of
 * Alertmanager's smarthost (scripts/render-config.sh), which cannot include
 * this file, is compared with it by tests/static/test_alertmanager.sh. */
#define SMTP_PORT_DEFAULT 587
#define SMTP_PORT_DEFAULT_TLS 465
#define SMTP_STR_(x) #x
#define SMTP_STR(x) SMTP_STR_(x)
/* The fix every SMTP_PORT message gives (programs and doctor alike). */
#define SMTP_PORT_FIX                                                                              \
    "empty for the default, " SMTP_STR(SMTP_PORT_DEFAULT) " (STARTTLS) or " SMTP_STR(              \
        SMTP_PORT_DEFAULT_TLS) " with SMTP_TLS=tls; or e.g. SMTP_PORT=2525"

/* mode: the SMTP_TLS value or NULL/"" when unset; port 0 when unset.
 * Returns 0, or -1 when mode is not starttls, tls or none. */
int smtp_tls_resolve(const char *mode, int port, enum smtp_tls *out);
/* The port to use when SMTP_PORT is unset or empty: SMTP_PORT_DEFAULT_TLS
 * for tls, else SMTP_PORT_DEFAULT. */
int smtp_tls_default_port(enum smtp_tls tls);
const char *smtp_tls_name(enum smtp_tls tls);
/* The SMTP_TLS validator. */
bool smtp_check_tls_mode(const char *v, struct strbuf *why);

/* The rule Alertmanager adds (the stack's other sender, whose smarthost
 * scripts/render-config.sh renders from the same SMTP_TLS and SMTP_PORT):
 * its email notifier (v0.27, compose.yaml's pin; v0.25 in the tests)
 * chooses TLS by the port alone, TLS from the first byte on 465 and plain
 * TCP (then STARTTLS) on any other. So SMTP_TLS=tls is honoured on 465
 * only, and starttls and none everywhere but 465. tls and port as
 * resolved (smtp_tls_resolve, smtp_tls_default_port): an unset SMTP_TLS
 * always passes. false with the reason and the fix in why, the very text
 * render-config.sh refuses the render with. */
bool smtp_check_alertmanager(enum smtp_tls tls, int port, struct strbuf *why);

/* True for 127.0.0.0/8, ::1 and "localhost". */
bool smtp_host_is_loopback(const char *host);

/* The rule across SMTP settings: with credentials, SMTP_TLS=none only
 * towards a loopback host. false with the reason in why. */
bool smtp_check_cleartext(enum smtp_tls tls, const char *host, bool credentials,
                          struct strbuf *why);

/* Validators: one mailbox (display name allowed), and a comma-separated
 * list of at most SMTP_MAX_RCPT bare addresses. */
bool smtp_check_mailbox(const char *v, struct strbuf *why);
bool smtp_check_rcpt_list(const char *v, struct strbuf *why);
/* The SMTP_USER validator: a login without whitespace or control characters. */
bool smtp_check_user(const char *v, struct strbuf *why);

/* The bare address of a mailbox that smtp_check_mailbox accepts, or of one
 * list item. Returns 0, or -1 (not a mailbox, or longer than outsz). */
int smtp_mailbox_address(const char *s, char *out, size_t outsz);

#endif
