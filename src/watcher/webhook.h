/* What counts as a heartbeat, decided without I/O: the bearer token of the
 * request and the body Alertmanager's webhook integration posts (JSON,
 * version "4": {"status", "receiver", "groupLabels", "commonLabels",
 * "alerts": [{"status", "labels", "annotations", "startsAt", ...}]}).
 *
 * A request is a heartbeat only when its token matches and its body holds
 * at least one *firing* alert named Watchdog whose `cluster` label (the
 * external label Prometheus adds) is the expected one: a resolved
 * Watchdog, another alert, another deployment's Watchdog (the test VPS
 * posting to production's watcher) or anything that is not such JSON is
 * refused and changes nothing. The body is bounded (WD_WEBHOOK_MAX_BODY)
 * before it reaches this module. */
#ifndef WD_WEBHOOK_H
#define WD_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

/* Alertmanager's body for one Watchdog is about 1 KB; a group of a few
 * hundred alerts stays well below this. Anything larger is refused unread
 * (413). */
#define WD_WEBHOOK_MAX_BODY (256 * 1024)
/* Longest token accepted in a token file (and compared). */
#define WD_TOKEN_MAX 512
/* Shortest: a guessable token would let anyone feed fake heartbeats. */
#define WD_TOKEN_MIN 16

/* The Authorization header value ("Bearer <token>", scheme in any case)
 * against the expected token, in time independent of where they differ.
 * NULL header: false. */
bool wd_bearer_ok(const char *authorization, const char *token);

/* Returns 0 when the body is a heartbeat from `cluster`, or -1 with a
 * short reason in why (safe to log and to send back: it never quotes the
 * body). */
int wd_webhook_check(const char *body, size_t len, const char *cluster, char *why, size_t whysz);

/* A token as read from its file: surrounding whitespace (the newline an
 * editor adds) removed in place. Returns 0, or -1 with why when it is too
 * short, too long or contains whitespace or control characters inside. */
int wd_token_clean(char *token, char *why, size_t whysz);

#endif
