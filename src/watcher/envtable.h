/* Every environment variable the watcher reads, in one table (see
 * src/common/envvar.h). main.c checks the environment against it before
 * anything else. On the watching server the variables come from the
 * systemd unit's environment file, which scripts/install-watcher.sh writes
 * from the same .env names the stack uses (SMTP_*, SMTP_FROM,
 * ALERT_EMAIL_TO, MONITORING_CLUSTER). */
#ifndef WD_ENVTABLE_H
#define WD_ENVTABLE_H

#include "envvar.h"

extern const struct env_table wd_env_table;

/* The WATCHER_CLUSTER validator: a Prometheus label value of letters,
 * digits, '.', '_' and '-'. */
bool wd_check_cluster(const char *v, struct strbuf *why);

#endif
