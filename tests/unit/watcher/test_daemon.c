/* daemon.c, the running watcher, in this process: its HTTP server on a
 * loopback port, a real SMTP peer on another (fakesmtp.h), one-second
 * periods. The timeline a user would live through: the bearer token and
 * the body are checked (401, 400), silence longer than the grace (3 s)
 * sends the alert (retried after a refused attempt), heartbeats over a
 * steady period (1 s) send "restored", /metrics counts it all, SIGTERM stops it cleanly
 * with the state saved. Every wait is a bounded loop on a condition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "fakeenv.h"
#include "fakesmtp.h"
#include "httpclient.h"
#include "peer.h"
#include "settings.h"
#include "statefile.h"

#define TOKEN "0123456789abcdef-token"
#define WAIT_LIMIT_S 60 /* far beyond the periods: a failure is a wrong behaviour */

static const char WATCHDOG[] =
    "{\"receiver\":\"watchdog-watcher\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
    "\"labels\":{\"alertname\":\"Watchdog\",\"cluster\":\"ecotrans-prod\",\"severity\":\"none\"},"
    "\"annotations\":{},\"startsAt\":\"2026-11-30T09:00:00.000Z\","
    "\"endsAt\":\"0001-01-01T00:00:00Z\"}],\"version\":\"4\"}\n";

static struct fake_smtp smtp;
static struct wd_settings cfg;
static char dir[64], token_path[128], state_path[128], base[64];
static pthread_t daemon_thread;
static atomic_int daemon_done;
static int daemon_rc;

static void *run_daemon(void *arg)
{
    (void)arg;
    daemon_rc = wd_daemon_run(&cfg, "9.9.9-test");
    atomic_store(&daemon_done, 1);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A request to the watcher; returns the HTTP status (0: none). */
static long request(const char *method, const char *path, const char *auth, const char *body,
                    struct http_response *rs)
{
    char url[128];
    snprintf(url, sizeof(url), "%s%s", base, path);
    struct curl_slist *h = NULL;
    if (auth)
        h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    struct http_request rq = {.method = method,
                              .url = url,
                              .body = body,
                              .body_len = body ? strlen(body) : 0,
                              .headers = h,
                              .timeout = 10};
    http_response_init(rs);
    http_perform(&rq, rs);
    curl_slist_free_all(h);
    return rs->status;
}

static long post(const char *auth, const char *body, char *reply, size_t replysz)
{
    struct http_response rs;
    long st = request("POST", "/webhook", auth, body, &rs);
    snprintf(reply, replysz, "%s", sb_str(&rs.body));
    http_response_free(&rs);
    return st;
}

static int delivered(void)
{
    pthread_mutex_lock(&smtp.mu);
    int n = smtp.delivered;
    pthread_mutex_unlock(&smtp.mu);
    return n;
}

static int wait_delivered(int n)
{
    for (int i = 0; i < WAIT_LIMIT_S * 20 && delivered() < n; i++)
        sleep_ms(50);
    return delivered() >= n;
}

static int load_settings(unsigned port)
{
    static char listen[64], smtp_port[16];
    snprintf(listen, sizeof(listen), "WATCHER_LISTEN=127.0.0.1:%u", port);
    snprintf(smtp_port, sizeof(smtp_port), "SMTP_PORT=%u", smtp.port);
    static char tok[160], st[160];
    snprintf(tok, sizeof(tok), "WATCHER_TOKEN_FILE=%s", token_path);
    snprintf(st, sizeof(st), "WATCHER_STATE_FILE=%s", state_path);
    static const char *env[20];
    const char *fixed[] = {listen,
                           tok,
                           st,
                           smtp_port,
                           "WATCHER_CLUSTER=ecotrans-prod",
                           "WATCHER_WATCHED=Server F",
                           "WATCHER_GRACE=3s",
                           "WATCHER_STEADY=1s",
                           "WATCHER_REMIND=1h",
                           "WATCHER_SMTP_BACKOFF_SECONDS=1",
                           "SMTP_HOST=127.0.0.1",
                           "SMTP_TLS=none",
                           "SMTP_FROM=Watcher <watcher@example.eu>",
                           "ALERT_EMAIL_TO=ops@example.eu",
                           NULL};
    memcpy(env, fixed, sizeof(fixed));
    fake_env = env;
    char err[600];
    if (wd_settings_load(&cfg, fake_get, err, sizeof(err)) != 0) {
        print_error("%s\n", err);
        return -1;
    }
    return 0;
}

/* A port the kernel picked, released for the watcher to bind; if someone
 * takes it in between, the watcher exits at once and we try another. */
static unsigned free_port(void)
{
    int hold;
    unsigned port = (unsigned)refused_port(&hold);
    close(hold);
    return port;
}

static int healthy(void)
{
    struct http_response rs;
    long st = request(NULL, "/healthz", NULL, NULL, &rs);
    http_response_free(&rs);
    return st == 200;
}

static int start_watcher(void)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        unsigned port = free_port();
        if (port == 0 || load_settings(port) != 0)
            return -1;
        snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
        atomic_store(&daemon_done, 0);
        if (pthread_create(&daemon_thread, NULL, run_daemon, NULL) != 0)
            return -1;
        for (int i = 0; i < WAIT_LIMIT_S * 20 && !atomic_load(&daemon_done); i++) {
            if (healthy())
                return 0;
            sleep_ms(50);
        }
        pthread_join(daemon_thread, NULL);
    }
    return -1;
}

static void metric(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("/metrics lacks \"%s\"", line);
}

static void watcher_timeline(void **state)
{
    (void)state;
    smtp.reply[0] = "451 4.3.0 try again later"; /* the alert's first attempt is refused */
    assert_int_equal(start_watcher(), 0);
    assert_int_equal(access(state_path, F_OK), 0); /* saved at start: proven writable */
    char reply[512];

    assert_int_equal(post(NULL, WATCHDOG, reply, sizeof(reply)), 401);
    assert_int_equal(
        post("Authorization: Bearer wrong-token-0000000", WATCHDOG, reply, sizeof(reply)), 401);
    assert_int_equal(
        post("Authorization: Bearer " TOKEN, "{\"version\":\"4\"}", reply, sizeof(reply)), 400);
    assert_true(strncmp(reply, "not a heartbeat: ", 17) == 0);

    /* No heartbeat for longer than the grace: the alert, on the retry. */
    assert_true(wait_delivered(1));
    assert_int_equal(smtp.connections, 2);
    assert_string_equal(smtp.rcpt_to, "<ops@example.eu>");
    assert_string_equal(smtp.mail_from, "<watcher@example.eu>");
    assert_non_null(strstr(smtp.data, "monitoring on Server F silent since"));

    /* Heartbeats, as Alertmanager repeats them, until steady for 1 s:
     * "restored", once. (A stalled machine may relapse in between; the
     * next heartbeats recover again, so only the outcome is asserted.) */
    time_t first = time(NULL);
    int beats = 0;
    for (int i = 0; i < WAIT_LIMIT_S * 5 && delivered() < 2; i++) {
        assert_int_equal(post("Authorization: Bearer " TOKEN, WATCHDOG, reply, sizeof(reply)), 200);
        assert_string_equal(reply, "heartbeat recorded\n");
        beats++;
        sleep_ms(200);
    }
    assert_true(wait_delivered(2));
    assert_true(beats >= 2);
    assert_non_null(strstr(smtp.data, "Subject: [WATCHER] monitoring on Server F restored\r\n"));

    struct http_response rs;
    assert_int_equal(request(NULL, "/metrics", NULL, NULL, &rs), 200);
    const char *m = sb_str(&rs.body);
    metric(m, "watcher_build_info{version=\"9.9.9-test\"} 1\n");
    char want[64];
    snprintf(want, sizeof(want), "watcher_heartbeats_total %d\n", beats);
    metric(m, want);
    metric(m, "watcher_webhook_rejected_total{reason=\"unauthorized\"} 2\n");
    metric(m, "watcher_webhook_rejected_total{reason=\"bad_request\"} 1\n");
    metric(m, "watcher_mails_sent_total{kind=\"alert\"} 1\n");
    metric(m, "watcher_mails_failed_total{kind=\"alert\"} 1\n");
    metric(m, "watcher_mails_sent_total{kind=\"restored\"} 1\n");
    metric(m, "watcher_state{state=\"ok\"} 1\n");
    metric(m, "watcher_grace_seconds 3\n");
    http_response_free(&rs);

    /* SIGTERM: a clean stop (exit status 0), the state saved. */
    kill(getpid(), SIGTERM);
    for (int i = 0; i < WAIT_LIMIT_S * 20 && !atomic_load(&daemon_done); i++)
        sleep_ms(50);
    assert_int_equal(atomic_load(&daemon_done), 1);
    pthread_join(daemon_thread, NULL);
    assert_int_equal(daemon_rc, 0);
    assert_int_equal(delivered(), 2); /* no third mail */
    struct wd_state st;
    char err[600];
    assert_int_equal(wd_statefile_load(state_path, &st, err, sizeof(err)), 1);
    assert_int_equal(st.phase, WD_PHASE_OK);
    assert_int_equal(st.pending, WD_MAIL_NONE);
    assert_true(st.last_beat >= first);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_wd_daemon_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(token_path, sizeof(token_path), "%s/token", dir);
    snprintf(state_path, sizeof(state_path), "%s/state", dir);
    FILE *f = fopen(token_path, "w");
    if (!f)
        return -1;
    fputs(TOKEN "\n", f);
    fclose(f);
    return fake_smtp_start(&smtp);
}

static int teardown(void **state)
{
    (void)state;
    fake_smtp_stop(&smtp);
    wd_settings_wipe(&cfg);
    unlink(token_path);
    unlink(state_path);
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
    unlink(tmp);
    rmdir(dir);
    return 0;
}

int main(void)
{
    /* Blocked in every thread from here on, as in the watcher's main():
     * only the daemon's signal thread takes them (sigwait). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    http_global_init("test/1", NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(watcher_timeline, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    http_global_cleanup();
    return rc;
}
