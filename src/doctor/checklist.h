/* The checklist: every check adds one result (pass, fail with a one-line
 * fix, or skip with why). Text lines are printed as results arrive; the
 * JSON document is printed at the end. Every detail and fix passes through
 * the secret redactor before it is stored, so no check can leak a secret
 * even by accident (e.g. a server echoing a password in an error). */
#ifndef DOCTOR_CHECKLIST_H
#define DOCTOR_CHECKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum check_status { CHECK_PASS, CHECK_FAIL, CHECK_SKIP };

struct check_result {
    char *id;    /* "group.name", e.g. "s3.bucket" */
    char *group; /* "s3" */
    enum check_status status;
    char *detail; /* what was found (pass), what is wrong (fail), why (skip) */
    char *fix;    /* one line, fail only; NULL otherwise */
};

struct report {
    struct check_result *items;
    size_t n;
    size_t cap;
    char **secrets; /* values never to print */
    size_t nsecrets, secrets_cap;
    bool secrets_sorted; /* sorted and unique (doc_report_redact keeps it so) */
    FILE *text_out;      /* NULL: no streaming text (JSON mode) */
    const char *skip;    /* --skip list, or NULL */
    size_t passed, failed, skipped;
};

void doc_report_init(struct report *r, FILE *text_out);
void doc_report_free(struct report *r);
/* Registers a value that must never appear in output. Values shorter than
 * 4 characters are ignored: redacting them would mangle ordinary words. */
void doc_report_add_secret(struct report *r, const char *value);

void doc_report_pass(struct report *r, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void doc_report_skip(struct report *r, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* fix is one line telling the operator what to do. */
void doc_report_fail(struct report *r, const char *id, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* True when id is selected by the --skip list: an exact id, a prefix up to
 * a '.' ("dns" skips "dns.grafana-domain") or a prefix ending in '*'.
 * Results added for a skipped id are recorded as skipped. */
bool doc_report_skipped(const struct report *r, const char *id);

/* Replaces every registered secret in text with "***"; caller frees. */
char *doc_report_redact(struct report *r, const char *text);

/* The summary line "N passed, N failed, N skipped". */
void doc_report_print_summary(const struct report *r, FILE *out);
/* The whole report as one JSON document (caller frees). */
char *doc_report_json(const struct report *r, const char *env_file, const char *version);

#endif
