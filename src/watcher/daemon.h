/* The running watcher: the HTTP server (src/common/httpserver.h with its
 * POST route for the webhook, plus /metrics and /healthz), the state
 * machine (machine.h) behind one mutex, the state file saved after every
 * change, and one loop that applies the machine's deadlines and delivers
 * the due mail, retrying with the shared SMTP backoff (smtpsend.h) until
 * the SMTP server takes it. A heartbeat never waits for a mail: mail is
 * sent outside the lock. */
#ifndef WD_DAEMON_H
#define WD_DAEMON_H

#include "settings.h"

/* Runs until SIGTERM or SIGINT (it installs its stop hook in cfg->smtp). Returns the exit status (0
 * on a clean stop), having logged why when it is not 0. */
int wd_daemon_run(struct wd_settings *cfg, const char *version);

#endif
