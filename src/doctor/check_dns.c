/* Group dns: the public name of Grafana points at this server, or Caddy
 * cannot obtain a certificate and nobody reaches Grafana. */
#include <arpa/inet.h>
#include <string.h>

#include "doctor.h"
#include "resolve.h"
#include "validate.h"

void doc_check_dns(struct doctor *d)
{
    struct report *r = d->rep;
    struct strbuf why;
    sb_init(&why);
    const char *domain = doc_input(d, "GRAFANA_DOMAIN", &why);
    const char *ip = doc_input(d, "SERVER_F_PUBLIC_IP", &why);
    if (why.len) {
        doc_report_fail(r, "dns.grafana-domain", doc_input_fix(d), "cannot check: %s",
                        sb_str(&why));
        sb_free(&why);
        return;
    }
    sb_free(&why);
    if (!valid_ip(ip)) {
        doc_report_fail(r, "dns.grafana-domain", "set SERVER_F_PUBLIC_IP to this server's address",
                        "SERVER_F_PUBLIC_IP=%s is not an IP address", ip);
        return;
    }
    struct resolved res;
    char fix[400];
    bool v6 = strchr(ip, ':') != NULL;
    snprintf(fix, sizeof(fix), "create a DNS %s record %s -> %s (TTL 300), then wait for it",
             v6 ? "AAAA" : "A", domain, ip);
    if (!doc_resolve_host(domain, &res)) {
        doc_report_fail(r, "dns.grafana-domain", fix, "%s does not resolve: %s", domain, res.error);
        return;
    }
    char list[600];
    doc_resolved_list(&res, list, sizeof(list));
    if (!doc_resolved_contains(&res, ip)) {
        doc_report_fail(r, "dns.grafana-domain", fix,
                        "%s resolves to %s, not to SERVER_F_PUBLIC_IP %s", domain, list, ip);
        return;
    }
    /* Every address of the same family must be this server: clients and
     * the ACME validation pick any of them. */
    struct strbuf others;
    sb_init(&others);
    size_t n = v6 ? res.n6 : res.n4;
    for (size_t i = 0; i < n; i++) {
        const char *a = v6 ? res.v6[i] : res.v4[i];
        struct resolved one;
        memset(&one, 0, sizeof(one));
        if (v6)
            snprintf(one.v6[one.n6++], sizeof(one.v6[0]), "%s", a);
        else
            snprintf(one.v4[one.n4++], sizeof(one.v4[0]), "%s", a);
        if (!doc_resolved_contains(&one, ip))
            doc_sb_list_add(&others, ", ", "%s", a);
    }
    if (others.len) {
        snprintf(fix, sizeof(fix), "remove the %s records of %s that point elsewhere",
                 v6 ? "AAAA" : "A", domain);
        doc_report_fail(r, "dns.grafana-domain", fix,
                        "%s resolves to %s, but also to %s: some clients and Let's Encrypt would "
                        "reach another machine",
                        domain, ip, sb_str(&others));
    } else {
        size_t other_family = v6 ? res.n4 : res.n6;
        doc_report_pass(r, "dns.grafana-domain", "%s resolves to %s (SERVER_F_PUBLIC_IP)%s", domain,
                        list,
                        other_family ? "; the other address family is listed too: it must also "
                                       "reach this server"
                                     : "");
    }
    sb_free(&others);
}
