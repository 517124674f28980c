/* watcher: the dead-man's switch for Server F's monitoring, running on
 * another server (docs/watcher.md). main() acts on the command line
 * (cli.c) and the settings; daemon.c runs it. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "log.h"
#include "settings.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

int main(int argc, char **argv)
{
    struct wd_cli cli;
    char why[256];
    switch (wd_cli_parse(argc, argv, &cli, why, sizeof(why))) {
    case WD_CLI_HELP:
        fputs(wd_cli_usage(), stdout);
        return 0;
    case WD_CLI_VERSION:
        printf("watcher %s\n", VERSION);
        return 0;
    case WD_CLI_USAGE:
        fprintf(stderr, "watcher: %s\n%s", why, wd_cli_usage());
        return 2;
    case WD_CLI_RUN:
        break;
    }
    log_init("watcher", cli.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
    static struct wd_settings cfg; /* holds the secrets: wiped before exit */
    char err[600];
    if (wd_settings_load(&cfg, (env_get_fn)getenv, err, sizeof(err)) != 0) {
        log_error("%s", err);
        wd_settings_wipe(&cfg);
        return 1;
    }
    if (cli.check_only) {
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
