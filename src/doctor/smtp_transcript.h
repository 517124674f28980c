/* The SMTP dialogue as libcurl's debug callback reports it, reduced to the
 * facts the smtp checks need. Client lines are recorded by command word
 * only: the AUTH exchange carries the credentials in base64. */
#ifndef DOCTOR_SMTP_TRANSCRIPT_H
#define DOCTOR_SMTP_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>

enum smtp_cmd { CMD_NONE, CMD_EHLO, CMD_STARTTLS, CMD_AUTH, CMD_NOOP, CMD_QUIT, CMD_OTHER };

struct smtp_transcript {
    enum smtp_cmd last; /* the command the next server line answers */
    int greeting_code;  /* 220 expected; 0 when none came */
    char greeting[160];
    int ehlo_count;       /* EHLOs answered with 250 */
    bool offers_starttls; /* in the latest EHLO answer */
    bool offers_auth;     /* in the latest EHLO answer */
    char auth_mechs[128]; /* from the latest EHLO answer */
    bool starttls_sent;
    int starttls_code;
    bool tls_up;
    char tls_info[128]; /* "TLSv1.3 / TLS_AES_256_GCM_SHA384" */
    bool auth_sent;
    char auth_mech[32];
    int auth_code; /* final (non-334) answer to AUTH */
    char auth_reply[200];
    int noop_code;
};

void doc_smtp_transcript_init(struct smtp_transcript *t);
/* A line the server sent (without CRLF). */
void doc_smtp_transcript_in(struct smtp_transcript *t, const char *line);
/* A line the client sent: only its command word is used. */
void doc_smtp_transcript_out(struct smtp_transcript *t, const char *line);
/* An informational line from libcurl (TLS session details). */
void doc_smtp_transcript_info(struct smtp_transcript *t, const char *text);

#endif
