/* Syntax of the values the stack is configured with: host names, IP
 * addresses, ports, email addresses, S3 bucket and region names, Supabase
 * URLs, and placeholder detection ("changeme", "<project-ref>"). Pure
 * functions (no network, no filesystem), shared by the env validators
 * (envvar.h, smtpconf.h) and the doctor. Time and time-zone syntax live in
 * timeparse.h. */
#ifndef COMMON_VALIDATE_H
#define COMMON_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* A DNS name: labels of letters, digits and '-', not starting or ending
 * with '-', each 1..63 long, 253 in all; a trailing dot is rejected. */
bool valid_hostname(const char *s);
bool valid_ipv4(const char *s);
bool valid_ipv6(const char *s);
bool valid_ip(const char *s);
/* host (name, IPv4 or [IPv6]) with an optional :port. */
bool valid_host_port(const char *s);
/* 1..65535, digits only. Stores the number in *port when given. */
bool valid_port(const char *s, int *port);
/* local@domain with a dotted domain; "Name <local@domain>" too when
 * allow_display_name. */
bool valid_email(const char *s, bool allow_display_name);
/* One bare address local@domain.tld of len bytes (not NUL-terminated). */
bool valid_addr_spec(const char *s, size_t len);
/* A comma-separated list of addresses; spaces around commas allowed. */
bool valid_email_list(const char *s);
/* S3 bucket naming rules: 3..63 of [a-z0-9.-], starting and ending with a
 * letter or digit, no "..", not an IPv4 address. */
bool valid_bucket_name(const char *s);
/* Region codes such as eu-central-1, us-east-1, ap-northeast-2. */
bool valid_region(const char *s);

/* The region an endpoint host name implies: s3.<region>.wasabisys.com and
 * s3.wasabisys.com (us-east-1) for Wasabi, s3.<region>.amazonaws.com and
 * s3-<region>.amazonaws.com for AWS. Returns false when the host does not
 * name its region. A ":port" suffix is ignored. */
bool endpoint_region(const char *endpoint, char *region, size_t regionlen);

/* Placeholder detection. Returns NULL for a real-looking value, or a short
 * description of the pattern matched ("<...>", "changeme", ...). Empty
 * values are not placeholders (they are "missing"). */
const char *placeholder_kind(const char *value);

/* The project ref of a Supabase URL https://<ref>.supabase.co[/]; false if
 * the URL does not have that form. */
bool supabase_url_ref(const char *url, char *ref, size_t reflen);

#endif
