/* Small string predicates every program needs: prefix, suffix and
 * case-insensitive comparisons on NUL-terminated strings, and strict UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF),
 * which Prometheus, cairo and JSON all insist on. Pure, no allocation. */
#ifndef COMMON_STRUTIL_H
#define COMMON_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
bool str_iequals(const char *a, const char *b);
/* Case-insensitive substring search; an empty needle is always found. */
bool str_icontains(const char *haystack, const char *needle);

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 when the
 * bytes there (at most n) do not start one. */
size_t str_utf8_seq_len(const char *s, size_t n);
/* The whole string is well-formed UTF-8. */
bool str_valid_utf8(const char *s);
/* Copies in to out (outsz >= 4) as well-formed UTF-8: each byte that does
 * not start a valid sequence becomes '?', and a string longer than
 * outsz - 1 bytes is cut on a character boundary and ends in "...".
 * Returns true when nothing was replaced or cut. */
bool str_utf8_sanitize(const char *in, char *out, size_t outsz);

#endif
