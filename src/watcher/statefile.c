#include "statefile.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"

#define MAGIC "watcher-state 1"
#define MAX_FILE 4096

/* The integer fields, by name. */
struct field {
    const char *key;
    size_t offset;
};
#define TIME_FIELD(k)                                                                              \
    {                                                                                              \
#k, offsetof(struct wd_state, k)                                                           \
    }
static const struct field time_fields[] = {
    TIME_FIELD(last_beat),        TIME_FIELD(outage_since), TIME_FIELD(outage_seen),
    TIME_FIELD(recovering_since), TIME_FIELD(outage_end),   TIME_FIELD(last_mail),
};
#define N_TIME_FIELDS (sizeof(time_fields) / sizeof(time_fields[0]))
/* Keys besides the time fields: phase, pending, alert_delivered, reminders. */
#define N_KEYS (N_TIME_FIELDS + 4)

void wd_state_format(const struct wd_state *s, struct strbuf *out)
{
    sb_printf(out, "%s\nphase=%s\npending=%s\nalert_delivered=%d\nreminders=%u\n", MAGIC,
              wd_phase_name(s->phase), wd_mail_name(s->pending), s->alert_delivered ? 1 : 0,
              s->reminders);
    for (size_t i = 0; i < N_TIME_FIELDS; i++) {
        const wd_time *v = (const wd_time *)((const char *)s + time_fields[i].offset);
        sb_printf(out, "%s=%" PRId64 "\n", time_fields[i].key, *v);
    }
}

static int parse_int(const char *v, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end || errno || n < lo || n > hi)
        return -1;
    *out = n;
    return 0;
}

/* One "key=value" line into s; seen[] marks keys already set. */
static int parse_line(char *line, struct wd_state *s, unsigned char *seen, const char **why)
{
    char *eq = strchr(line, '=');
    if (!eq) {
        *why = "expected key=value";
        return -1;
    }
    *eq = '\0';
    const char *k = line, *v = eq + 1;
    long long n;
    size_t idx;
    *why = "invalid value";
    if (strcmp(k, "phase") == 0) {
        idx = N_TIME_FIELDS;
        if (wd_phase_parse(v, &s->phase) != 0)
            return -1;
    } else if (strcmp(k, "pending") == 0) {
        idx = N_TIME_FIELDS + 1;
        if (wd_mail_parse(v, &s->pending) != 0)
            return -1;
    } else if (strcmp(k, "alert_delivered") == 0) {
        idx = N_TIME_FIELDS + 2;
        if (parse_int(v, 0, 1, &n) != 0)
            return -1;
        s->alert_delivered = n == 1;
    } else if (strcmp(k, "reminders") == 0) {
        idx = N_TIME_FIELDS + 3;
        if (parse_int(v, 0, 1000000, &n) != 0)
            return -1;
        s->reminders = (unsigned)n;
    } else {
        for (idx = 0; idx < N_TIME_FIELDS && strcmp(k, time_fields[idx].key) != 0; idx++)
            ;
        if (idx == N_TIME_FIELDS) {
            *why = "unknown key";
            return -1;
        }
        if (parse_int(v, 0, INT64_MAX / 2, &n) != 0)
            return -1;
        *(wd_time *)((char *)s + time_fields[idx].offset) = n;
    }
    if (seen[idx]++) {
        *why = "key given twice";
        return -1;
    }
    return 0;
}

int wd_state_parse(const char *text, struct wd_state *s, char *err, size_t errsz)
{
    struct wd_state st = {0};
    unsigned char seen[N_KEYS] = {0};
    char *copy = strdup(text);
    if (!copy) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    int rc = 0, lineno = 0;
    char *save = NULL;
    const char *why = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (lineno == 1 ? strcmp(line, MAGIC) != 0 : parse_line(line, &st, seen, &why) != 0) {
            snprintf(err, errsz, "line %d: %s", lineno,
                     lineno == 1 ? "not a watcher state file (\"" MAGIC "\" expected)" : why);
            rc = -1;
            break;
        }
    }
    for (size_t i = 0; rc == 0 && i < N_KEYS; i++)
        if (!seen[i]) {
            snprintf(err, errsz, "%s missing", lineno == 0 ? "everything" : "a key is");
            rc = -1;
        }
    free(copy);
    if (rc == 0) {
        st.watch_since = s->watch_since;
        *s = st;
    }
    return rc;
}

int wd_statefile_load(const char *path, struct wd_state *s, char *err, size_t errsz)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    char buf[MAX_FILE + 1];
    size_t n = fread(buf, 1, sizeof(buf), f);
    int rd_err = ferror(f);
    fclose(f);
    if (rd_err || n > MAX_FILE) {
        snprintf(err, errsz, "%s: %s", path, rd_err ? "read error" : "larger than expected");
        return -1;
    }
    buf[n] = '\0';
    char why[200];
    if (wd_state_parse(buf, s, why, sizeof(why)) != 0) {
        snprintf(err, errsz, "%s: %s (move the file away to start afresh)", path, why);
        return -1;
    }
    return 1;
}

int wd_statefile_save(const char *path, const struct wd_state *s, char *err, size_t errsz)
{
    struct strbuf b;
    sb_init(&b);
    wd_state_format(s, &b);
    int rc = -1;
    if (sb_failed(&b))
        snprintf(err, errsz, "%s: out of memory", path);
    else
        rc = atomic_file_replace(path, b.data, b.len, 0600, err, errsz);
    sb_free(&b);
    return rc;
}
