/* Fixtures for the unit tests of the doctor's check groups: a struct doctor
 * built from .env text (no file needed unless a test writes one), lookups
 * of the results a check added, and the scripted loopback peer of
 * tests/unit/peer.h. Static: each test program has its own copy. */
#ifndef TESTS_UNIT_DOCTOR_DOCTORFIX_H
#define TESTS_UNIT_DOCTOR_DOCTORFIX_H

#define FIX_UNUSED __attribute__((unused))

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "peer.h"

struct fix {
    struct options opt;
    struct report rep;
    struct doctor d;
};

/* A doctor whose .env is env_text (NULL: the .env could not be read). */
FIX_UNUSED static void fix_init(struct fix *f, const char *env_text)
{
    memset(f, 0, sizeof(*f));
    f->opt.env_file = "/nonexistent/doctor-unit.env";
    f->opt.inventory = "/nonexistent/servers.txt";
    /* Long: a peer that answers is never cut short by a busy machine. A
     * test of a deadline sets a short one against a peer that never
     * answers. */
    f->opt.timeout = 30;
    f->opt.groups = GROUP_ALL;
    f->opt.prometheus_url = "http://127.0.0.1:1";
    f->opt.alertmanager_url = "http://127.0.0.1:1";
    f->opt.grafana_url = "http://127.0.0.1:1";
    f->opt.max_upload_age = 7200;
    f->opt.cert_min_days = 14;
    f->opt.contract = "sql/contract.yaml";
    f->opt.dashboards = "grafana/dashboards";
    doc_report_init(&f->rep, NULL);
    f->d.opt = &f->opt;
    f->d.rep = &f->rep;
    doc_dotenv_init(&f->d.env);
    if (env_text) {
        doc_dotenv_parse(&f->d.env, env_text, strlen(env_text));
        f->d.env_loaded = true;
    } else {
        snprintf(f->d.env_error, sizeof(f->d.env_error),
                 "/nonexistent/doctor-unit.env: No such file or directory");
    }
}

FIX_UNUSED static void fix_free(struct fix *f)
{
    doc_dotenv_free(&f->d.env);
    doc_report_free(&f->rep);
}

/* The result with this id, or NULL. */
FIX_UNUSED static const struct check_result *fix_find(const struct fix *f, const char *id)
{
    for (size_t i = 0; i < f->rep.n; i++)
        if (!strcmp(f->rep.items[i].id, id))
            return &f->rep.items[i];
    return NULL;
}

/* The result with this id and status; the test fails (naming both) when
 * it is absent or has another status. */
FIX_UNUSED static const struct check_result *fix_expect(const struct fix *f, const char *id,
                                                        enum check_status st)
{
    const struct check_result *c = fix_find(f, id);
    if (!c) {
        for (size_t i = 0; i < f->rep.n; i++)
            fprintf(stderr, "  have %s: %s\n", f->rep.items[i].id, f->rep.items[i].detail);
        fail_msg("no result %s", id);
    }
    if (c->status != st)
        fail_msg("%s has status %d (want %d): %s", id, (int)c->status, (int)st, c->detail);
    return c;
}

/* Asserts that haystack contains needle, printing both when not. */
#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                                \
            fail_msg("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);                    \
    } while (0)

#endif
