#include "validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "strutil.h"

bool valid_hostname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253)
        return false;
    size_t label = 0;
    char prev = '.';
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c == '.') {
            if (label == 0 || prev == '-')
                return false;
            label = 0;
        } else if (isalnum((unsigned char)c) || c == '-') {
            if (label == 0 && c == '-')
                return false;
            if (++label > 63)
                return false;
        } else {
            return false;
        }
        prev = c;
    }
    return label > 0 && prev != '-';
}

bool valid_ipv4(const char *s)
{
    struct in_addr a;
    return inet_pton(AF_INET, s, &a) == 1;
}

bool valid_ipv6(const char *s)
{
    struct in6_addr a;
    return inet_pton(AF_INET6, s, &a) == 1;
}

bool valid_ip(const char *s)
{
    return valid_ipv4(s) || valid_ipv6(s);
}

bool valid_port(const char *s, int *port)
{
    if (!*s || strlen(s) > 5)
        return false;
    int v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    if (port)
        *port = v;
    return true;
}

bool valid_host_port(const char *s)
{
    char host[300];
    const char *port = NULL;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (size_t)(close - s - 1) >= sizeof(host))
            return false;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        if (!valid_ipv6(host))
            return false;
        if (close[1] == '\0')
            return true;
        if (close[1] != ':')
            return false;
        return valid_port(close + 2, NULL);
    }
    const char *colon = strchr(s, ':');
    size_t hl = colon ? (size_t)(colon - s) : strlen(s);
    if (hl == 0 || hl >= sizeof(host))
        return false;
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (colon)
        port = colon + 1;
    if (!valid_hostname(host) && !valid_ipv4(host))
        return false;
    return !port || valid_port(port, NULL);
}

bool valid_addr_spec(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (!at || at == s)
        return false;
    for (const char *p = s; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 127 || strchr("<>()[]\\,;:\"@", c))
            return false;
    }
    size_t dl = len - (size_t)(at + 1 - s);
    char domain[256];
    if (dl == 0 || dl >= sizeof(domain))
        return false;
    memcpy(domain, at + 1, dl);
    domain[dl] = '\0';
    return strchr(domain, '.') && valid_hostname(domain);
}

bool valid_email(const char *s, bool allow_display_name)
{
    const char *lt = strchr(s, '<');
    if (lt && allow_display_name) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1] != '\0')
            return false;
        return valid_addr_spec(lt + 1, (size_t)(gt - lt - 1));
    }
    return valid_addr_spec(s, strlen(s));
}

bool valid_email_list(const char *s)
{
    bool any = false;
    const char *p = s;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *e = end;
        while (e > p && e[-1] == ' ')
            e--;
        if (e == p || !valid_addr_spec(p, (size_t)(e - p)))
            return false;
        any = true;
        p = comma ? comma + 1 : end;
        if (comma && !*p)
            return false; /* trailing comma */
    }
    return any;
}

bool valid_bucket_name(const char *s)
{
    size_t len = strlen(s);
    if (len < 3 || len > 63)
        return false;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '-'))
            return false;
    if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
        return false;
    if (strstr(s, ".."))
        return false;
    return !valid_ipv4(s);
}

bool valid_region(const char *s)
{
    /* letters "-" letters "-" digits, e.g. eu-central-1 */
    const char *p = s;
    int parts = 0;
    while (*p) {
        const char *start = p;
        if (parts < 2) {
            while (islower((unsigned char)*p))
                p++;
        } else {
            while (isdigit((unsigned char)*p))
                p++;
        }
        if (p == start)
            return false;
        parts++;
        if (*p == '-' && parts < 3)
            p++;
        else if (*p)
            return false;
    }
    return parts == 3;
}

bool endpoint_region(const char *endpoint, char *region, size_t regionlen)
{
    char host[256];
    size_t hl = strcspn(endpoint, ":/");
    if (hl == 0 || hl >= sizeof(host))
        return false;
    for (size_t i = 0; i < hl; i++)
        host[i] = (char)tolower((unsigned char)endpoint[i]);
    host[hl] = '\0';
    if (strcmp(host, "s3.wasabisys.com") == 0) {
        snprintf(region, regionlen, "us-east-1");
        return true;
    }
    const char *suffixes[] = {".wasabisys.com", ".amazonaws.com"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (!str_ends_with(host, suffixes[i]))
            continue;
        size_t rest = hl - strlen(suffixes[i]);
        const char *r = NULL;
        if (str_starts_with(host, "s3."))
            r = host + 3;
        else if (str_starts_with(host, "s3-"))
            r = host + 3;
        if (!r || (size_t)(r - host) >= rest)
            return false;
        size_t rl = rest - (size_t)(r - host);
        char tmp[128];
        if (rl >= sizeof(tmp))
            return false;
        memcpy(tmp, r, rl);
        tmp[rl] = '\0';
        /* s3.dualstack.<region>.amazonaws.com */
        const char *dual = "dualstack.";
        const char *reg = str_starts_with(tmp, dual) ? tmp + strlen(dual) : tmp;
        if (!valid_region(reg))
            return false;
        snprintf(region, regionlen, "%s", reg);
        return true;
    }
    return false;
}

/* RFC 5737 documentation ranges: an address copied from an example. */
static bool documentation_ipv4(const char *s)
{
    return str_starts_with(s, "192.0.2.") || str_starts_with(s, "198.51.100.") ||
           str_starts_with(s, "203.0.113.");
}

static bool only_char(const char *s, char c)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (tolower((unsigned char)*s) != c)
            return false;
    return true;
}

const char *placeholder_kind(const char *v)
{
    if (!*v)
        return NULL;
    /* "<project-ref>" is a placeholder; "Name <a@b.c>" is an address. */
    for (const char *lt = strchr(v, '<'); lt; lt = strchr(lt + 1, '<')) {
        const char *gt = strchr(lt, '>');
        if (gt && !memchr(lt, '@', (size_t)(gt - lt)))
            return "<...>";
    }
    if (str_icontains(v, "changeme") || str_icontains(v, "change-me") ||
        str_icontains(v, "change_me"))
        return "changeme";
    if (only_char(v, 'x') || strstr(v, "xxx") || strstr(v, "XXX"))
        return "xxx";
    if (strstr(v, "..."))
        return "...";
    if (str_starts_with(v, "your-") || str_starts_with(v, "your_") || str_starts_with(v, "YOUR_") ||
        str_starts_with(v, "YOUR-"))
        return "your-...";
    if (str_iequals(v, "example") || str_icontains(v, "example.com") ||
        str_icontains(v, "example.org") || str_icontains(v, "example.net") ||
        str_icontains(v, "@example.") || str_icontains(v, ".example"))
        return "example";
    if (str_iequals(v, "todo") || str_iequals(v, "tbd") || str_iequals(v, "fixme") ||
        str_iequals(v, "placeholder") || str_iequals(v, "secret") || str_iequals(v, "password") ||
        str_iequals(v, "none") || str_iequals(v, "null"))
        return "a placeholder word";
    if (documentation_ipv4(v))
        return "documentation address (RFC 5737)";
    return NULL;
}

bool supabase_url_ref(const char *url, char *ref, size_t reflen)
{
    const char *pfx = "https://";
    if (!str_starts_with(url, pfx))
        return false;
    const char *h = url + strlen(pfx);
    const char *dot = strchr(h, '.');
    if (!dot || dot == h)
        return false;
    const char *rest = dot;
    size_t rl = strcspn(rest, "/");
    if (rl != strlen(".supabase.co") || strncmp(rest, ".supabase.co", rl) != 0)
        return false;
    if (rest[rl] == '/' && rest[rl + 1] != '\0')
        return false;
    for (const char *p = h; p < dot; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p)))
            return false;
    if ((size_t)(dot - h) >= reflen)
        return false;
    memcpy(ref, h, (size_t)(dot - h));
    ref[dot - h] = '\0';
    return true;
}
