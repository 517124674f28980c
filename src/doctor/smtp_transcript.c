#include "smtp_transcript.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void doc_smtp_transcript_init(struct smtp_transcript *t)
{
    memset(t, 0, sizeof(*t));
}

static int reply_code(const char *line)
{
    if (!isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
        !isdigit((unsigned char)line[2]))
        return 0;
    return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

void doc_smtp_transcript_in(struct smtp_transcript *t, const char *line)
{
    int code = reply_code(line);
    if (!code)
        return;
    bool final = line[3] != '-';
    const char *text = line[3] ? line + 4 : "";
    switch (t->last) {
    case CMD_NONE:
        if (!t->greeting_code) {
            t->greeting_code = code;
            snprintf(t->greeting, sizeof(t->greeting), "%s", line);
        }
        break;
    case CMD_EHLO:
        if (code == 250) {
            if (str_iequals(text, "STARTTLS"))
                t->offers_starttls = true;
            else if (str_starts_with(text, "AUTH ") || str_starts_with(text, "AUTH=") ||
                     str_starts_with(text, "auth ")) {
                t->offers_auth = true;
                snprintf(t->auth_mechs, sizeof(t->auth_mechs), "%s", text + 5);
            }
            if (final)
                t->ehlo_count++;
        }
        break;
    case CMD_STARTTLS:
        if (final)
            t->starttls_code = code;
        break;
    case CMD_AUTH:
        /* 334 is a challenge: the exchange goes on. */
        if (final && code != 334) {
            t->auth_code = code;
            snprintf(t->auth_reply, sizeof(t->auth_reply), "%s", line);
        }
        break;
    case CMD_NOOP:
        if (final)
            t->noop_code = code;
        break;
    default:
        break;
    }
}

void doc_smtp_transcript_out(struct smtp_transcript *t, const char *line)
{
    char word[16];
    size_t n = strcspn(line, " \r\n");
    if (n >= sizeof(word)) {
        /* A long token is a SASL response (base64 credentials): ignore. */
        return;
    }
    memcpy(word, line, n);
    word[n] = '\0';
    if (str_iequals(word, "EHLO") || str_iequals(word, "HELO")) {
        t->last = CMD_EHLO;
        /* Capabilities are re-announced after STARTTLS; only the latest count. */
        t->offers_starttls = false;
        t->offers_auth = false;
        t->auth_mechs[0] = '\0';
    } else if (str_iequals(word, "STARTTLS")) {
        t->last = CMD_STARTTLS;
        t->starttls_sent = true;
    } else if (str_iequals(word, "AUTH")) {
        t->last = CMD_AUTH;
        t->auth_sent = true;
        const char *mech = line + n;
        while (*mech == ' ')
            mech++;
        size_t ml = strcspn(mech, " \r\n");
        snprintf(t->auth_mech, sizeof(t->auth_mech), "%.*s", (int)ml, mech);
    } else if (str_iequals(word, "NOOP")) {
        t->last = CMD_NOOP;
    } else if (str_iequals(word, "QUIT")) {
        t->last = CMD_QUIT;
    } else if (t->last != CMD_AUTH) {
        /* Inside AUTH, other client lines are SASL responses: keep state. */
        t->last = CMD_OTHER;
    }
}

void doc_smtp_transcript_info(struct smtp_transcript *t, const char *text)
{
    const char *p = strstr(text, "SSL connection using ");
    if (!p)
        return;
    p += strlen("SSL connection using ");
    size_t n = strcspn(p, "\r\n");
    snprintf(t->tls_info, sizeof(t->tls_info), "%.*s", (int)n, p);
    t->tls_up = true;
}
