/* Sending one message over SMTP with libcurl, the way every program does:
 * the TLS mode of smtpconf.h (STARTTLS required and verified, implicit TLS,
 * or plain only where smtp_check_cleartext allows it), AUTH when a user is
 * given, bounded connect and transfer times. The message is given whole
 * (RFC 5322 bytes, CRLF line ends), so a retry resends exactly the same
 * bytes; smtp_backoff_delay is the retry policy the senders share. */
#ifndef COMMON_SMTPSEND_H
#define COMMON_SMTPSEND_H

#include <curl/curl.h>
#include <stddef.h>

#include "smtpconf.h"

struct smtp_server {
    const char *host;
    int port;
    enum smtp_tls tls;
    const char *user;     /* NULL: no AUTH */
    const char *password; /* with user */
    const char *ca_file;  /* CA bundle replacing the system's, or NULL */
    long connect_timeout_s, timeout_s;
    /* Called during the transfer; non-zero aborts it (a stop request). */
    curl_xferinfo_callback progress;
};

enum smtp_result {
    SMTP_OK = 0,
    SMTP_TEMPORARY = -1, /* connection trouble, 4xx: worth another attempt */
    SMTP_PERMANENT = -2, /* 5xx (bad credentials, rejected address): retrying cannot help */
};

/* Sends msg from the bare address `from` to the bare addresses rcpt. On
 * failure err says "SMTP host:port: reason (last reply N)". */
enum smtp_result smtp_send(const struct smtp_server *s, const char *from, const char *const *rcpt,
                           size_t nrcpt, const char *msg, size_t len, char *err, size_t errsz);

/* The delay before attempt n (n >= 2): base_s * 2^(n-2), capped at 15 min. */
int smtp_backoff_delay(int base_s, int attempt);

#endif
