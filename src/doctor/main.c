/* build/doctor: the preflight doctor. See docs/doctor.md. */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "envspec.h"
#include "scram.h"

/* Every secret value the .env holds, so the report can redact it wherever
 * it might surface. */
static void register_secrets(struct doctor *d)
{
    for (size_t i = 0; i < d->env.n; i++) {
        const struct dotenv_entry *e = &d->env.entries[i];
        if (!var_is_secret(e->key))
            continue;
        report_add_secret(d->rep, e->value);
        /* A DSN's password may surface alone (e.g. in a server message). */
        char *err = NULL;
        PQconninfoOption *opts = PQconninfoParse(e->value, &err);
        PQfreemem(err);
        if (!opts)
            continue;
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (!strcmp(o->keyword, "password") && o->val)
                report_add_secret(d->rep, o->val);
        PQconninfoFree(opts);
    }
}

int main(int argc, char **argv)
{
    struct options opt;
    char err[512] = "";
    if (argc > 1 && !strcmp(argv[1], "--scram-verifier"))
        return doc_scram_main(argc - 1, argv + 1);
    switch (options_parse(&opt, argc, argv, err, sizeof(err))) {
    case OPTIONS_HELP:
        options_usage(stdout);
        options_free(&opt);
        return 0;
    case OPTIONS_VERSION:
        printf("doctor %s\n", VERSION);
        options_free(&opt);
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "doctor: %s\n", err);
        options_free(&opt);
        return 2;
    case OPTIONS_RUN:
        break;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "doctor: libcurl could not initialise\n");
        return 2;
    }

    struct report rep;
    report_init(&rep, opt.json ? NULL : stdout);
    rep.skip = opt.skip;
    struct doctor d = {.opt = &opt, .rep = &rep};
    dotenv_init(&d.env);
    d.env_loaded = dotenv_load(&d.env, opt.env_file, d.env_error, sizeof(d.env_error)) == 0;
    if (d.env_loaded)
        register_secrets(&d);

    static const struct {
        unsigned group;
        void (*run)(struct doctor *);
    } groups[] = {
        {GROUP_ENV, doctor_check_env},         {GROUP_S3, doctor_check_s3},
        {GROUP_SMTP, doctor_check_smtp},       {GROUP_SUPABASE, doctor_check_supabase},
        {GROUP_TARGETS, doctor_check_targets}, {GROUP_DNS, doctor_check_dns},
        {GROUP_STACK, doctor_check_stack},
    };
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        if (!(opt.groups & groups[i].group))
            continue;
        if (report_skipped(&rep, group_name(groups[i].group))) {
            report_skip(&rep, group_name(groups[i].group), "skipped by --skip");
            continue;
        }
        groups[i].run(&d);
    }

    if (opt.json) {
        char *json = report_json(&rep, opt.env_file, VERSION);
        puts(json);
        free(json);
    } else {
        report_print_summary(&rep, stdout);
    }
    int status = rep.failed ? 1 : 0;
    report_free(&rep);
    dotenv_free(&d.env);
    options_free(&opt);
    curl_global_cleanup();
    return status;
}
