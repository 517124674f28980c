/* Group s3: Wasabi as the Thanos sidecar will use it, with requests signed
 * by libcurl's AWS SigV4. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "doctor.h"
#include "httpclient.h"
#include "s3.h"
#include "validate.h"

enum s3_style { STYLE_SERVICE, STYLE_PATH, STYLE_VHOST };

struct s3 {
    struct doctor *d;
    const char *endpoint;
    const char *bucket;
    const char *region;
    const char *access_key;
    const char *secret_key;
    char sigv4[128];
};

struct s3_answer {
    struct http_response http;
    struct s3_outcome outcome;
};

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

/* Queries are written pre-sorted and with "=" on every parameter: that is
 * the canonical form SigV4 signs, whatever the libcurl version does. */
static void s3_call(struct s3 *s, const char *method, enum s3_style style, const char *key,
                    const char *query, const char *body, size_t body_len, struct s3_answer *a)
{
    struct strbuf url;
    sb_init(&url);
    if (style == STYLE_VHOST)
        sb_printf(&url, "https://%s.%s/", s->bucket, s->endpoint);
    else if (style == STYLE_PATH)
        sb_printf(&url, "https://%s/%s/", s->endpoint, s->bucket);
    else
        sb_printf(&url, "https://%s/", s->endpoint);
    if (key)
        sb_puts(&url, key);
    if (query)
        sb_printf(&url, "?%s", query);

    /* S3 requires x-amz-content-sha256 on every SigV4 request; libcurl
     * (before 8.x) does not add it, and it must equal the body's hash. */
    char hash[65], hdr[100];
    sha256_hex(body ? body : "", body ? body_len : 0, hash);
    snprintf(hdr, sizeof(hdr), "x-amz-content-sha256: %s", hash);
    struct curl_slist *headers = curl_slist_append(NULL, hdr);
    if (body)
        headers = curl_slist_append(headers, "Content-Type: text/plain");

    struct http_request rq = {
        .method = method,
        .url = sb_str(&url),
        .body = body,
        .body_len = body_len,
        .headers = headers,
        .aws_sigv4 = s->sigv4,
        .user = s->access_key,
        .password = s->secret_key,
        .timeout = s->d->opt->timeout,
        .cacert = s->d->opt->cacert,
        .head = method && !strcmp(method, "HEAD"),
    };
    http_response_init(&a->http);
    http_perform(&rq, &a->http);
    char region_hdr[64];
    bool have_region = http_header(&a->http, "x-amz-bucket-region", region_hdr, sizeof(region_hdr));
    doc_s3_classify(a->http.status, sb_str(&a->http.body), have_region ? region_hdr : NULL,
                    &a->outcome);
    curl_slist_free_all(headers);
    sb_free(&url);
}

static void answer_free(struct s3_answer *a)
{
    http_response_free(&a->http);
}

static bool transport_failed(const struct s3_answer *a)
{
    return a->http.code != CURLE_OK;
}

static bool region_problem(const struct s3_answer *a)
{
    return !transport_failed(a) &&
           (a->outcome.kind == S3_WRONG_REGION || a->outcome.kind == S3_REDIRECT);
}

/* A failure line for an answer that is not one of the expected outcomes. */
static void fail_generic(struct s3 *s, const char *id, const char *what, const struct s3_answer *a)
{
    struct report *r = s->d->rep;
    if (transport_failed(a)) {
        doc_report_fail(r, id,
                        "check WASABI_ENDPOINT and that this server can reach it over HTTPS "
                        "(outbound 443)",
                        "%s: cannot reach https://%s: %s (%s)", what, s->endpoint,
                        http_failure_kind(a->http.code), a->http.error);
        return;
    }
    char text[400];
    doc_s3_outcome_text(&a->outcome, text, sizeof(text));
    switch (a->outcome.kind) {
    case S3_BAD_KEY:
        doc_report_fail(r, id,
                        "copy the access key id of the bucket's key from the Wasabi console into "
                        "WASABI_ACCESS_KEY",
                        "%s: the endpoint does not know WASABI_ACCESS_KEY (%s)", what, text);
        break;
    case S3_BAD_SECRET:
        doc_report_fail(r, id,
                        "WASABI_SECRET_KEY does not belong to WASABI_ACCESS_KEY: create a new key "
                        "pair if the secret was lost",
                        "%s: signature rejected, the secret key is wrong (%s)", what, text);
        break;
    case S3_TIME_SKEW:
        doc_report_fail(r, id, "synchronise the clock: timedatectl set-ntp true",
                        "%s: this server's clock is too far off for signed requests (%s)", what,
                        text);
        break;
    default:
        doc_report_fail(r, id, "see the server's answer; check WASABI_* in the .env",
                        "%s: unexpected answer %s", what, text);
    }
}

static void check_credentials(struct s3 *s, bool *ok)
{
    struct s3_answer a;
    s3_call(s, "GET", STYLE_SERVICE, NULL, NULL, NULL, 0, &a);
    *ok = false;
    if (!transport_failed(&a) && a.outcome.kind == S3_OK) {
        doc_report_pass(s->d->rep, "s3.credentials", "%s accepted the key (it may list buckets)",
                        s->endpoint);
        *ok = true;
    } else if (!transport_failed(&a) && a.outcome.kind == S3_DENIED) {
        /* Authenticated but not allowed to list all buckets: exactly what a
         * key scoped to one bucket looks like. */
        doc_report_pass(s->d->rep, "s3.credentials",
                        "%s accepted the key (listing all buckets is denied: a bucket-scoped key, "
                        "as intended)",
                        s->endpoint);
        *ok = true;
    } else if (region_problem(&a)) {
        /* The region is judged by s3.region; credentials are tested again
         * by the bucket request. */
        doc_report_skip(s->d->rep, "s3.credentials",
                        "the endpoint rejected the region before checking the key (see s3.region)");
        *ok = true;
    } else {
        fail_generic(s, "s3.credentials", "list buckets", &a);
    }
    answer_free(&a);
}

static const char *const S3_IDS[] = {"s3.credentials", "s3.bucket", "s3.region", "s3.addressing",
                                     "s3.probe"};
#define S3_NIDS (sizeof(S3_IDS) / sizeof(S3_IDS[0]))

/* Step 0: the WASABI_* variables; false (everything reported) when one is
 * missing. */
static bool s3_inputs(struct doctor *d, struct s3 *s)
{
    struct strbuf why;
    sb_init(&why);
    /* Always HTTPS: thanos/objstore.yml sets insecure: false. */
    s->d = d;
    s->access_key = doc_input(d, "WASABI_ACCESS_KEY", &why);
    s->secret_key = doc_input(d, "WASABI_SECRET_KEY", &why);
    s->bucket = doc_input(d, "WASABI_BUCKET", &why);
    s->region = doc_input(d, "WASABI_REGION", &why);
    s->endpoint = doc_input(d, "WASABI_ENDPOINT", &why);
    bool ok = why.len == 0;
    if (!ok) {
        doc_report_fail(d->rep, "s3.credentials", doc_input_fix(d), "cannot check: %s",
                        sb_str(&why));
        for (size_t i = 1; i < S3_NIDS; i++)
            doc_report_skip(d->rep, S3_IDS[i], "needs the WASABI_* variables");
    }
    sb_free(&why);
    snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", ok ? s->region : "");
    return ok;
}

/* Step 1, offline: the endpoint's name says which region it serves. Every
 * request would be signed for the wrong region: false (reported) then. */
static bool s3_endpoint_matches_region(const struct s3 *s, char *ep_region, size_t len,
                                       bool *ep_has_region)
{
    *ep_has_region = endpoint_region(s->endpoint, ep_region, len);
    if (!*ep_has_region || strcmp(ep_region, s->region) == 0)
        return true;
    struct report *r = s->d->rep;
    for (size_t i = 0; i < S3_NIDS; i++) {
        if (!strcmp(S3_IDS[i], "s3.region"))
            doc_report_fail(r, "s3.region",
                            "set WASABI_REGION and WASABI_ENDPOINT to the bucket's region "
                            "(s3.<region>.wasabisys.com)",
                            "WASABI_REGION=%s but WASABI_ENDPOINT %s serves %s", s->region,
                            s->endpoint, ep_region);
        else
            doc_report_skip(r, S3_IDS[i],
                            "needs a region that matches the endpoint (see s3.region)");
    }
    return false;
}

/* Step 3: the bucket, path-style: what thanos/objstore.yml configures
 * (bucket_lookup_type: path). list keeps the answer for the region step. */
static bool s3_check_bucket(struct s3 *s, struct s3_answer *list)
{
    struct report *r = s->d->rep;
    char fix[300];
    s3_call(s, "GET", STYLE_PATH, NULL, "list-type=2&max-keys=1", NULL, 0, list);
    int kind = transport_failed(list) ? -1 : (int)list->outcome.kind;
    if (kind == S3_OK) {
        doc_report_pass(r, "s3.bucket", "bucket %s exists and the key can list it", s->bucket);
        return true;
    }
    if (kind == S3_NO_BUCKET) {
        snprintf(fix, sizeof(fix),
                 "create bucket %s in region %s (Wasabi console), or correct WASABI_BUCKET",
                 s->bucket, s->region);
        doc_report_fail(r, "s3.bucket", fix, "bucket %s does not exist at %s", s->bucket,
                        s->endpoint);
    } else if (kind == S3_DENIED) {
        snprintf(fix, sizeof(fix), "allow s3:ListBucket on arn:aws:s3:::%s in the key's policy",
                 s->bucket);
        doc_report_fail(
            r, "s3.bucket", fix,
            "the key may not list bucket %s (403 AccessDenied; or the bucket belongs to "
            "another account)",
            s->bucket);
    } else if (region_problem(list)) {
        doc_report_skip(r, "s3.bucket", "the endpoint rejected the region (see s3.region)");
    } else {
        fail_generic(s, "s3.bucket", "list bucket", list);
    }
    return false;
}

/* The bucket's location when the key may read it; false when unknown. */
static bool s3_bucket_location(struct s3 *s, char *location, size_t len)
{
    struct s3_answer loc;
    bool have = false;
    s3_call(s, "GET", STYLE_PATH, NULL, "location=", NULL, 0, &loc);
    if (!transport_failed(&loc) && loc.outcome.kind == S3_OK) {
        const char *body = sb_str(&loc.http.body);
        /* An empty <LocationConstraint/> means us-east-1 (S3 convention). */
        if (strstr(body, "<LocationConstraint")) {
            have = true;
            if (!doc_xml_tag(body, "LocationConstraint", location, len) || !location[0])
                snprintf(location, len, "us-east-1");
        }
    }
    answer_free(&loc);
    return have;
}

/* The server rejected the signing region: say which one it wants. */
static void s3_region_rejected(const struct s3 *s, const struct s3_answer *list)
{
    struct report *r = s->d->rep;
    const struct s3_outcome *o = &list->outcome;
    char text[400], fix[400];
    doc_s3_outcome_text(o, text, sizeof(text));
    if (o->kind == S3_REDIRECT && o->endpoint[0]) {
        snprintf(fix, sizeof(fix), "set WASABI_ENDPOINT=%s and its region in WASABI_REGION",
                 o->endpoint);
        doc_report_fail(r, "s3.region", fix, "bucket %s lives at another endpoint: %s", s->bucket,
                        text);
    } else if (o->region[0]) {
        snprintf(fix, sizeof(fix), "set WASABI_REGION=%s and WASABI_ENDPOINT=s3.%s.wasabisys.com",
                 o->region, o->region);
        doc_report_fail(r, "s3.region", fix, "the server expects region %s, not %s: %s", o->region,
                        s->region, text);
    } else {
        doc_report_fail(r, "s3.region",
                        "set WASABI_REGION and WASABI_ENDPOINT to the bucket's region",
                        "the server rejected region %s: %s", s->region, text);
    }
}

/* Step 4: region from the endpoint's name, the server's own answers, and
 * the bucket's location when the key may read it. */
static void s3_check_region(struct s3 *s, const struct s3_answer *list, bool bucket_ok,
                            bool ep_has_region)
{
    struct report *r = s->d->rep;
    char location[64] = "";
    bool have_location = bucket_ok && s3_bucket_location(s, location, sizeof(location));
    if (region_problem(list)) {
        s3_region_rejected(s, list);
    } else if (have_location && strcmp(location, s->region) != 0) {
        char fix[300];
        snprintf(fix, sizeof(fix), "set WASABI_REGION=%s and WASABI_ENDPOINT=s3.%s.wasabisys.com",
                 location, location);
        doc_report_fail(r, "s3.region", fix, "bucket %s is in %s, WASABI_REGION says %s", s->bucket,
                        location, s->region);
    } else if (!bucket_ok && ep_has_region) {
        doc_report_pass(r, "s3.region",
                        "WASABI_REGION %s matches the endpoint %s (the bucket's "
                        "own location was not readable)",
                        s->region, s->endpoint);
    } else if (!bucket_ok) {
        doc_report_skip(r, "s3.region", "needs the bucket (see s3.bucket)");
    } else {
        struct strbuf how;
        sb_init(&how);
        if (ep_has_region)
            doc_sb_list_add(&how, ", ", "matches the endpoint %s", s->endpoint);
        if (have_location)
            doc_sb_list_add(&how, ", ", "is the bucket's location");
        doc_sb_list_add(&how, ", ", "requests signed for it are accepted");
        doc_report_pass(r, "s3.region", "%s %s", s->region, sb_str(&how));
        sb_free(&how);
    }
}

/* Step 5: addressing style: path (configured) and virtual-hosted
 * (information only). */
static void s3_check_addressing(struct s3 *s)
{
    char host[300], note[400];
    snprintf(host, sizeof(host), "%.*s", (int)strcspn(s->endpoint, ":"), s->endpoint);
    if (valid_ip(host) || s->endpoint[0] == '[') {
        snprintf(note, sizeof(note), "virtual-hosted style is impossible with an IP endpoint");
    } else if (strchr(s->bucket, '.')) {
        snprintf(note, sizeof(note),
                 "virtual-hosted style not tried: the bucket name has dots, which the "
                 "endpoint's wildcard certificate does not cover");
    } else {
        struct s3_answer vh;
        s3_call(s, "GET", STYLE_VHOST, NULL, "list-type=2&max-keys=1", NULL, 0, &vh);
        char text[300];
        if (transport_failed(&vh))
            snprintf(text, sizeof(text), "%s", http_failure_kind(vh.http.code));
        else
            doc_s3_outcome_text(&vh.outcome, text, sizeof(text));
        if (!transport_failed(&vh) && vh.outcome.kind == S3_OK)
            snprintf(note, sizeof(note), "virtual-hosted style (%s.%s) works too", s->bucket,
                     s->endpoint);
        else
            snprintf(note, sizeof(note), "virtual-hosted style (%s.%s) fails: %s", s->bucket,
                     s->endpoint, text);
        answer_free(&vh);
    }
    doc_report_pass(s->d->rep, "s3.addressing",
                    "path style works (thanos/objstore.yml uses bucket_lookup_type: path); %s",
                    note);
}

/* A failed probe write: denied, or anything else. */
static void s3_probe_write_failed(struct s3 *s, const char *key, struct s3_answer *put)
{
    if (!transport_failed(put) && put->outcome.kind == S3_DENIED) {
        char fix[400];
        snprintf(fix, sizeof(fix),
                 "allow s3:PutObject, s3:GetObject and s3:DeleteObject on "
                 "arn:aws:s3:::%s/* in the key's policy",
                 s->bucket);
        doc_report_fail(s->d->rep, "s3.probe", fix,
                        "write %s denied (403 AccessDenied): the sidecar could not upload blocks",
                        key);
    } else {
        fail_generic(s, "s3.probe", "write probe object", put);
    }
}

/* Step 6, the probe: what the sidecar does (write), store/query do (read)
 * and the compactor does (delete). */
static void s3_check_probe(struct s3 *s)
{
    struct report *r = s->d->rep;
    char hostname[128] = "host", key[256], body[256], fix[400];
    gethostname(hostname, sizeof(hostname) - 1);
    hostname[strcspn(hostname, ".")] = '\0';
    time_t now = time(NULL);
    snprintf(key, sizeof(key), "doctor-probe/%s-%ld-%lld.txt", hostname, (long)getpid(),
             (long long)now);
    int blen = snprintf(body, sizeof(body), "ecotrans doctor probe from %s at %lld\n", hostname,
                        (long long)now);
    struct s3_answer put, get, del;
    s3_call(s, "PUT", STYLE_PATH, key, NULL, body, (size_t)blen, &put);
    bool put_ok = !transport_failed(&put) && put.outcome.kind == S3_OK;
    if (!put_ok)
        s3_probe_write_failed(s, key, &put);
    answer_free(&put);
    if (!put_ok)
        return;
    s3_call(s, "GET", STYLE_PATH, key, NULL, NULL, 0, &get);
    bool read_ok = !transport_failed(&get) && get.outcome.kind == S3_OK;
    bool same = read_ok && get.http.body.len == (size_t)blen &&
                memcmp(sb_str(&get.http.body), body, (size_t)blen) == 0;
    char get_text[300], del_text[300];
    doc_s3_outcome_text(&get.outcome, get_text, sizeof(get_text));
    answer_free(&get);
    s3_call(s, "DELETE", STYLE_PATH, key, NULL, NULL, 0, &del);
    bool del_ok = !transport_failed(&del) && del.outcome.kind == S3_OK;
    doc_s3_outcome_text(&del.outcome, del_text, sizeof(del_text));
    answer_free(&del);
    if (!read_ok) {
        snprintf(fix, sizeof(fix), "allow s3:GetObject on arn:aws:s3:::%s/*", s->bucket);
        doc_report_fail(r, "s3.probe", fix, "wrote %s but could not read it back: %s%s", key,
                        get_text, del_ok ? "" : " (and could not delete it)");
    } else if (!same) {
        doc_report_fail(r, "s3.probe", "check that WASABI_ENDPOINT is Wasabi itself, not a proxy",
                        "wrote %s but read back different bytes", key);
    } else if (!del_ok) {
        snprintf(fix, sizeof(fix),
                 "allow s3:DeleteObject on arn:aws:s3:::%s/* (the compactor deletes blocks); "
                 "then delete %s by hand",
                 s->bucket, key);
        doc_report_fail(r, "s3.probe", fix, "wrote and read %s but could not delete it: %s", key,
                        del_text);
    } else {
        doc_report_pass(r, "s3.probe", "wrote, read back and deleted %s (%d bytes)", key, blen);
    }
}

void doc_check_s3(struct doctor *d)
{
    struct s3 s = {.d = d};
    char ep_region[64] = "";
    bool ep_has_region;
    if (!s3_inputs(d, &s) ||
        !s3_endpoint_matches_region(&s, ep_region, sizeof(ep_region), &ep_has_region))
        return;
    bool cred_ok;
    check_credentials(&s, &cred_ok); /* step 2 */
    if (!cred_ok) {
        for (size_t i = 1; i < S3_NIDS; i++)
            doc_report_skip(d->rep, S3_IDS[i], "needs working credentials (see s3.credentials)");
        return;
    }
    struct s3_answer list;
    bool bucket_ok = s3_check_bucket(&s, &list);
    s3_check_region(&s, &list, bucket_ok, ep_has_region);
    answer_free(&list);
    if (!bucket_ok) {
        doc_report_skip(d->rep, "s3.addressing", "needs the bucket (see s3.bucket)");
        doc_report_skip(d->rep, "s3.probe", "needs the bucket (see s3.bucket)");
        return;
    }
    s3_check_addressing(&s);
    s3_check_probe(&s);
}
