/* S3 response classification for the s3 group: an HTTP status and XML
 * error body turned into what went wrong (no bucket, denied, wrong region,
 * redirect to another endpoint) and the fix. Pure, unit-tested; the
 * requests themselves are signed by libcurl (AWS SigV4). */
#ifndef DOCTOR_S3_H
#define DOCTOR_S3_H

#include <stdbool.h>
#include <stddef.h>

enum s3_kind {
    S3_OK,
    S3_NO_BUCKET,    /* 404 NoSuchBucket */
    S3_NO_KEY,       /* 404 NoSuchKey / plain 404 on an object */
    S3_BAD_KEY,      /* InvalidAccessKeyId */
    S3_BAD_SECRET,   /* SignatureDoesNotMatch */
    S3_DENIED,       /* AccessDenied (authenticated, not allowed) */
    S3_WRONG_REGION, /* AuthorizationHeaderMalformed / region in the error */
    S3_REDIRECT,     /* 301 PermanentRedirect: the bucket lives elsewhere */
    S3_TIME_SKEW,    /* RequestTimeTooSkewed: this server's clock is off */
    S3_OTHER,
};

struct s3_outcome {
    enum s3_kind kind;
    long status;
    char code[64];      /* the XML <Code>, or "" */
    char message[256];  /* the XML <Message>, or "" */
    char region[64];    /* region the server says is right, or "" */
    char endpoint[256]; /* endpoint the server points to, or "" */
};

/* Copies the text of the first <tag>...</tag> in xml into out. */
bool doc_xml_tag(const char *xml, const char *tag, char *out, size_t outlen);
/* Classifies an HTTP answer. bucket_region_header is the value of
 * x-amz-bucket-region or NULL. */
void doc_s3_classify(long status, const char *body, const char *bucket_region_header,
                     struct s3_outcome *out);
/* "404 NoSuchBucket: The specified bucket does not exist" */
void doc_s3_outcome_text(const struct s3_outcome *o, char *out, size_t outlen);

#endif
