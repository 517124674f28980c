/* RFC 5322 / MIME message for the report:
 *   multipart/alternative
 *     text/plain (quoted-printable)
 *     multipart/related; type="text/html"
 *       text/html (quoted-printable)
 *       image/png ... (base64, Content-ID, inline)
 * CRLF line ends throughout, every line below 78 characters.
 * Written by hand rather than with curl_mime: libcurl has no way to hand
 * back the bytes of a curl_mime tree without a transfer, and these bytes
 * are what the unit tests check offline and what every retry must resend
 * identically (same Message-ID and Date). The sending itself is
 * src/common/smtpsend.h. */
#ifndef DAILY_REPORT_MIME_H
#define DAILY_REPORT_MIME_H

#include <stddef.h>
#include <time.h>

#include "strbuf.h"

struct mime_image {
    const char *cid; /* without angle brackets */
    const char *filename;
    const unsigned char *data;
    size_t len;
};

struct mime_message {
    const char *from_header; /* "Name <a@b>" or "a@b" */
    const char *from_addr;   /* bare address, for the Message-ID domain */
    char *const *to;         /* bare addresses */
    size_t nto;
    const char *subject; /* UTF-8; encoded-words when not plain ASCII */
    time_t date;
    long long report_time; /* X-Daily-Report-Time: the reference time */
    const char *text;
    const char *html;
    const struct mime_image *images;
    size_t nimages;
};

/* Returns 0, or -1 with err set (a header value with CR/LF, no memory). */
int dr_mime_build(const struct mime_message *m, struct strbuf *out, char *err, size_t errsz);

/* Header value helpers, exposed for unit tests. Appends an unstructured
 * header value: as is when printable ASCII, else RFC 2047 "B" encoded
 * words of at most 75 characters folded onto continuation lines. */
void dr_mime_header_text(struct strbuf *out, const char *value);
/* Appends a From-style mailbox: "Display" <addr>, or addr alone. */
int dr_mime_header_mailbox(struct strbuf *out, const char *from_header, const char *addr);

#endif
