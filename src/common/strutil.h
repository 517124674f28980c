/* Small string predicates every program needs: prefix, suffix and
 * case-insensitive comparisons on NUL-terminated strings. Pure, no
 * allocation. */
#ifndef COMMON_STRUTIL_H
#define COMMON_STRUTIL_H

#include <stdbool.h>

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
bool str_iequals(const char *a, const char *b);
/* Case-insensitive substring search; an empty needle is always found. */
bool str_icontains(const char *haystack, const char *needle);

#endif
