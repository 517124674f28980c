#include "smtpconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "validate.h"

int smtp_tls_resolve(const char *mode, int port, enum smtp_tls *out)
{
    if (!mode || !*mode)
        *out = port == 465 ? SMTP_TLS_IMPLICIT : SMTP_TLS_STARTTLS;
    else if (strcmp(mode, "starttls") == 0)
        *out = SMTP_TLS_STARTTLS;
    else if (strcmp(mode, "tls") == 0)
        *out = SMTP_TLS_IMPLICIT;
    else if (strcmp(mode, "none") == 0)
        *out = SMTP_TLS_NONE;
    else
        return -1;
    return 0;
}

int smtp_tls_default_port(enum smtp_tls tls)
{
    return tls == SMTP_TLS_IMPLICIT ? SMTP_PORT_DEFAULT_TLS : SMTP_PORT_DEFAULT;
}

const char *smtp_tls_name(enum smtp_tls tls)
{
    switch (tls) {
    case SMTP_TLS_IMPLICIT:
        return "tls";
    case SMTP_TLS_NONE:
        return "none";
    case SMTP_TLS_STARTTLS:
        break;
    }
    return "starttls";
}

bool smtp_check_tls_mode(const char *v, struct strbuf *why)
{
    enum smtp_tls t;
    if (smtp_tls_resolve(v, 0, &t) == 0)
        return true;
    sb_puts(why, "is not one of starttls, tls, none");
    return false;
}

bool smtp_check_alertmanager(enum smtp_tls tls, int port, struct strbuf *why)
{
    /* Both senders must speak to the server alike: with the daily report
     * on smtps:// and Alertmanager on STARTTLS (or the reverse), one of
     * the two never gets a mail through, and only at the first alert. */
    if (tls == SMTP_TLS_IMPLICIT && port != SMTP_PORT_DEFAULT_TLS) {
        sb_printf(why,
                  "SMTP_TLS=tls with SMTP_PORT=%d: Alertmanager uses TLS from the first byte only "
                  "on port %d and STARTTLS on any other port; set SMTP_PORT=%d (or leave it "
                  "empty), or SMTP_TLS=starttls",
                  port, SMTP_PORT_DEFAULT_TLS, SMTP_PORT_DEFAULT_TLS);
        return false;
    }
    if (tls != SMTP_TLS_IMPLICIT && port == SMTP_PORT_DEFAULT_TLS) {
        sb_printf(why,
                  "SMTP_TLS=%s with SMTP_PORT=%d: Alertmanager uses TLS from the first byte on "
                  "port %d, not %s; set SMTP_TLS=tls, or SMTP_PORT=%d (or leave it empty)",
                  smtp_tls_name(tls), port, SMTP_PORT_DEFAULT_TLS,
                  tls == SMTP_TLS_NONE ? "plain SMTP" : "STARTTLS", SMTP_PORT_DEFAULT);
        return false;
    }
    return true;
}

bool smtp_host_is_loopback(const char *host)
{
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) == 1)
        return (ntohl(a.s_addr) >> 24) == 127;
    return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

bool smtp_check_cleartext(enum smtp_tls tls, const char *host, bool credentials, struct strbuf *why)
{
    /* Credentials in clear text over the Internet would leak the relay's
     * password; only a sink on this machine may go without TLS. */
    if (tls != SMTP_TLS_NONE || !credentials || smtp_host_is_loopback(host))
        return true;
    sb_printf(why,
              "SMTP_TLS=none would send SMTP_PASSWORD unencrypted to %s; use SMTP_TLS=starttls",
              host);
    return false;
}

bool smtp_check_mailbox(const char *v, struct strbuf *why)
{
    /* A display name goes into the From: header: no control characters. */
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f) {
            sb_puts(why, "contains a control character");
            return false;
        }
    if (!valid_email(v, true)) {
        sb_puts(why, "is not an email address (name@domain or Name <name@domain>)");
        return false;
    }
    return true;
}

bool smtp_check_rcpt_list(const char *v, struct strbuf *why)
{
    /* Blank items ("a@b.eu, c@d.eu,") add nothing: compose files and .env
     * lists often end with a comma. */
    size_t n = 0;
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s && !valid_addr_spec(s, (size_t)(e - s))) {
            sb_printf(why, "has '%.*s', which is not a bare email address (name@domain)",
                      (int)(e - s), s);
            return false;
        }
        n += e > s;
        p += len + (p[len] == ',');
    }
    if (n == 0) {
        sb_puts(why, "holds no recipient address");
        return false;
    }
    if (n > SMTP_MAX_RCPT) {
        sb_printf(why, "has %zu recipients; at most %d", n, SMTP_MAX_RCPT);
        return false;
    }
    return true;
}

int smtp_mailbox_address(const char *s, char *out, size_t outsz)
{
    const char *lt = strrchr(s, '<');
    const char *start = s, *end = s + strlen(s);
    if (lt) {
        start = lt + 1;
        end = strchr(start, '>');
        if (!end || end[1] != '\0')
            return -1;
    }
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= outsz || !valid_addr_spec(start, n))
        return -1;
    memcpy(out, start, n);
    out[n] = '\0';
    return 0;
}

bool smtp_check_user(const char *v, struct strbuf *why)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            sb_puts(why, "contains whitespace or control characters");
            return false;
        }
    return true;
}
