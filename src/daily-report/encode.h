/* Transfer encodings for the report's MIME message (mime.h) and data:
 * URIs: base64 (76-character lines for MIME, one line for data: URIs) and
 * quoted-printable that keeps every line under the 78 characters RFC 5322
 * asks for. Pure functions writing into a strbuf. */
#ifndef DAILY_REPORT_ENCODE_H
#define DAILY_REPORT_ENCODE_H

#include <stddef.h>

#include "strbuf.h"

/* Standard base64 (RFC 4648). line_len > 0 inserts CRLF every line_len
 * output characters (76 for MIME); 0 writes one unbroken line. */
void dr_encode_base64(struct strbuf *out, const unsigned char *data, size_t len, size_t line_len);

/* Quoted-printable (RFC 2045 6.7) of UTF-8 text: LF or CRLF line ends
 * become CRLF, lines are soft-wrapped below 76 characters, '=' and
 * non-ASCII bytes are encoded, and so is whitespace before a line end and a
 * '.' or "From " at a line start (both get mangled by some relays). */
void dr_encode_qp(struct strbuf *out, const char *text, size_t len);

#endif
