#include "s3.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

bool doc_xml_tag(const char *xml, const char *tag, char *out, size_t outlen)
{
    size_t tl = strlen(tag);
    for (const char *a = strchr(xml, '<'); a; a = strchr(a + 1, '<')) {
        if (strncmp(a + 1, tag, tl) != 0)
            continue;
        char after = a[1 + tl];
        if (after != '>' && after != ' ' && after != '/')
            continue; /* a longer tag name with this prefix */
        const char *gt = strchr(a, '>');
        if (!gt)
            return false;
        if (gt[-1] == '/') { /* <Tag/> or <Tag attr="x"/>: empty */
            if (outlen)
                out[0] = '\0';
            return true;
        }
        char close[80];
        snprintf(close, sizeof(close), "</%s>", tag);
        const char *b = strstr(gt + 1, close);
        if (!b)
            return false;
        snprintf(out, outlen, "%.*s", (int)(b - gt - 1), gt + 1);
        return true;
    }
    return false;
}

void doc_s3_classify(long status, const char *body, const char *bucket_region_header,
                     struct s3_outcome *o)
{
    memset(o, 0, sizeof(*o));
    o->status = status;
    if (!body)
        body = "";
    doc_xml_tag(body, "Code", o->code, sizeof(o->code));
    doc_xml_tag(body, "Message", o->message, sizeof(o->message));
    doc_xml_tag(body, "Region", o->region, sizeof(o->region));
    doc_xml_tag(body, "Endpoint", o->endpoint, sizeof(o->endpoint));
    if (!o->region[0] && bucket_region_header)
        snprintf(o->region, sizeof(o->region), "%s", bucket_region_header);

    if (status >= 200 && status < 300) {
        o->kind = S3_OK;
        return;
    }
    const char *c = o->code;
    if (!strcmp(c, "NoSuchBucket"))
        o->kind = S3_NO_BUCKET;
    else if (!strcmp(c, "NoSuchKey"))
        o->kind = S3_NO_KEY;
    else if (!strcmp(c, "InvalidAccessKeyId"))
        o->kind = S3_BAD_KEY;
    else if (!strcmp(c, "SignatureDoesNotMatch"))
        o->kind = S3_BAD_SECRET;
    else if (!strcmp(c, "RequestTimeTooSkewed"))
        o->kind = S3_TIME_SKEW;
    else if (!strcmp(c, "AuthorizationHeaderMalformed") ||
             !strcmp(c, "IllegalLocationConstraintException") ||
             (!strcmp(c, "InvalidRequest") && o->region[0]))
        o->kind = S3_WRONG_REGION;
    else if (status == 301 || !strcmp(c, "PermanentRedirect"))
        o->kind = S3_REDIRECT;
    else if (!strcmp(c, "AccessDenied") || !strcmp(c, "AllAccessDisabled") ||
             (status == 403 && !c[0]))
        o->kind = S3_DENIED;
    else if (status == 404 && !c[0])
        /* HEAD answers carry no body: a bare 404 is a missing object or bucket;
         * callers know which they asked for. */
        o->kind = S3_NO_KEY;
    else
        o->kind = S3_OTHER;
}

void doc_s3_outcome_text(const struct s3_outcome *o, char *out, size_t outlen)
{
    if (o->code[0] && o->message[0])
        snprintf(out, outlen, "HTTP %ld %s: %s", o->status, o->code, o->message);
    else if (o->code[0])
        snprintf(out, outlen, "HTTP %ld %s", o->status, o->code);
    else
        snprintf(out, outlen, "HTTP %ld", o->status);
}
