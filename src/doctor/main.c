/* build/doctor: the preflight doctor. See docs/doctor.md. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_contract.h"
#include "contract.h"
#include "doctor.h"
#include "envspec.h"
#include "httpclient.h"
#include "renderdash.h"
#include "scram.h"

/* --print-contract: the contract as JSON for sql/roles.sh and the tests;
 * --print-exporter-config: the exporter's INI derived from it. */
static int doc_print_contract(const char *path, bool exporter)
{
    struct contract c;
    char err[512];
    if (ct_load_file(path, &c, err, sizeof(err)) != 0) {
        fprintf(stderr, "doctor: %s\n", err);
        return 2;
    }
    struct strbuf b;
    sb_init(&b);
    if (!exporter)
        ct_to_json(&c, &b);
    else if (doc_exporter_ini(&c, path, &b, err, sizeof(err)) != 0) {
        fprintf(stderr, "doctor: %s\n", err);
        sb_free(&b);
        return 2;
    }
    fputs(sb_str(&b), stdout);
    sb_free(&b);
    return 0;
}

int main(int argc, char **argv)
{
    struct options opt;
    char err[512] = "";
    if (argc > 1 && !strcmp(argv[1], "--scram-verifier"))
        return doc_scram_main(argc - 1, argv + 1);
    switch (doc_options_parse(&opt, argc, argv, err, sizeof(err))) {
    case OPTIONS_HELP:
        doc_options_usage(stdout);
        doc_options_free(&opt);
        return 0;
    case OPTIONS_VERSION:
        printf("doctor %s\n", VERSION);
        doc_options_free(&opt);
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "doctor: %s\n", err);
        doc_options_free(&opt);
        return 2;
    case OPTIONS_RUN:
        break;
    }
    if (opt.render_dashboards) {
        int rc = doc_render_dashboards(opt.contract, opt.dashboard_sql, opt.dashboards);
        doc_options_free(&opt);
        return rc;
    }
    if (opt.print_contract || opt.print_exporter_config) {
        int rc = doc_print_contract(opt.contract, opt.print_exporter_config);
        doc_options_free(&opt);
        return rc;
    }
    if (http_global_init("ecotrans-doctor/" VERSION, NULL) != 0) {
        fprintf(stderr, "doctor: libcurl could not initialise\n");
        return 2;
    }

    struct report rep;
    doc_report_init(&rep, opt.json ? NULL : stdout);
    rep.skip = opt.skip;
    struct doctor d = {.opt = &opt, .rep = &rep};
    doc_dotenv_init(&d.env);
    d.env_loaded = doc_dotenv_load(&d.env, opt.env_file, d.env_error, sizeof(d.env_error)) == 0;
    if (d.env_loaded)
        doc_register_secrets(&d);

    static const struct {
        unsigned group;
        void (*run)(struct doctor *);
    } groups[] = {
        {GROUP_ENV, doc_check_env},         {GROUP_S3, doc_check_s3},
        {GROUP_SMTP, doc_check_smtp},       {GROUP_SUPABASE, doc_check_supabase},
        {GROUP_TARGETS, doc_check_targets}, {GROUP_DNS, doc_check_dns},
        {GROUP_STACK, doc_check_stack},     {GROUP_WATCHER, doc_check_watcher},
    };
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        if (!(opt.groups & groups[i].group))
            continue;
        if (doc_report_skipped(&rep, doc_group_name(groups[i].group))) {
            doc_report_skip(&rep, doc_group_name(groups[i].group), "skipped by --skip");
            continue;
        }
        groups[i].run(&d);
    }

    if (opt.json) {
        char *json = doc_report_json(&rep, opt.env_file, VERSION);
        puts(json);
        free(json);
    } else {
        doc_report_print_summary(&rep, stdout);
    }
    int status = rep.failed ? 1 : 0;
    doc_report_free(&rep);
    doc_dotenv_free(&d.env);
    doc_options_free(&opt);
    curl_global_cleanup();
    return status;
}
