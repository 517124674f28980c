/* watcher: the dead-man's switch for Server F's monitoring, running on
 * another server (docs/watcher.md). main() parses the command line and the
 * settings; daemon.c runs it. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "settings.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

static const char usage[] =
    "usage: watcher [--check-config] [--verbose] | --help | --version\n"
    "\n"
    "Receives Alertmanager's Watchdog webhook (POST /webhook, bearer token) and\n"
    "mails when it stops: once after WATCHER_GRACE of silence, a reminder every\n"
    "WATCHER_REMIND, and once when heartbeats are steady again (WATCHER_STEADY).\n"
    "Serves /metrics and /healthz on the same address. Settings come from the\n"
    "environment (secrets only from files):\n"
    "  WATCHER_LISTEN       ADDR:PORT (default 127.0.0.1:9202)\n"
    "  WATCHER_TOKEN_FILE   file holding the bearer token (required)\n"
    "  WATCHER_CLUSTER      the cluster label of the watched Prometheus (required)\n"
    "  WATCHER_WATCHED      how mails name it (default \"Server F\")\n"
    "  WATCHER_GRACE, WATCHER_REMIND, WATCHER_STEADY   periods (10m, 3h, 5m)\n"
    "  WATCHER_STATE_FILE   default /var/lib/watcher/state\n"
    "  WATCHER_SMTP_BACKOFF_SECONDS   first retry delay of a failed mail (30)\n"
    "  SMTP_HOST, SMTP_PORT, SMTP_TLS, SMTP_USER, SMTP_PASSWORD_FILE, SMTP_CA_FILE,\n"
    "  SMTP_FROM, ALERT_EMAIL_TO   as in the stack's .env\n"
    "\n"
    "--check-config  validate the settings and exit (0 when good)\n"
    "--verbose       also log every accepted heartbeat\n";

int main(int argc, char **argv)
{
    log_init("watcher", LOG_LEVEL_INFO);
    int check_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("watcher %s\n", VERSION);
            return 0;
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check_only = 1;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            log_init("watcher", LOG_LEVEL_DEBUG);
        } else {
            fprintf(stderr, "watcher: unknown argument '%s'\n%s", argv[i], usage);
            return 2;
        }
    }
    static struct wd_settings cfg; /* holds the secrets: wiped before exit */
    char err[600];
    if (wd_settings_load(&cfg, (env_get_fn)getenv, err, sizeof(err)) != 0) {
        log_error("%s", err);
        wd_settings_wipe(&cfg);
        return 1;
    }
    if (check_only) {
        printf("settings OK: listen %s, cluster %s, state %s\n", cfg.listen.text, cfg.cluster,
               cfg.state_file);
        wd_settings_wipe(&cfg);
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        log_error("cannot initialise libcurl");
        return 1;
    }
    int rc = wd_daemon_run(&cfg, VERSION);
    wd_settings_wipe(&cfg);
    curl_global_cleanup();
    if (rc == 0)
        log_info("stopped");
    return rc;
}
