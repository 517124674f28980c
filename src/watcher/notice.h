/* The watcher's three mails, composed without I/O: the alert ("monitoring
 * on Server F silent since ..."), the reminder, and "monitoring restored".
 * Each is a complete RFC 5322 message (CRLF line ends, UTF-8 plain text)
 * ready for smtpsend.h; the same state gives the same Message-ID, so a
 * mail retried after an SMTP failure is recognisably the same mail. The
 * alert says what to check first, in the order that finds the cause
 * fastest. */
#ifndef WD_NOTICE_H
#define WD_NOTICE_H

#include "machine.h"
#include "strbuf.h"

struct wd_notice_ctx {
    const char *from;     /* header value: "Monitoring <monitoring@example.eu>" */
    const char *to;       /* header value: comma-separated addresses */
    const char *watched;  /* what is watched, e.g. "Server F" */
    const char *cluster;  /* the cluster label, e.g. ecotrans-prod */
    const char *hostname; /* where the watcher runs */
    int64_t grace_s, remind_s;
};

/* Appends the whole message for mail m to out. */
void wd_notice_compose(enum wd_mail m, const struct wd_state *s, const struct wd_notice_ctx *c,
                       wd_time now, struct strbuf *out);

#endif
