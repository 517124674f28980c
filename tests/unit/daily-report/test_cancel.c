/* cancel.c: a pending stop reaches libcurl's progress callback, which
 * aborts the transfer; without a registered check nothing is aborted. The
 * last test runs a real transfer against a loopback peer that never
 * answers and shows the stop ends it (CURLE_ABORTED_BY_CALLBACK) instead
 * of the 30-second timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cancel.h"
#include "peer.h"

static int stop;
static int calls;

static int check(void)
{
    calls++;
    return stop;
}

static void no_check_never_cancels(void **state)
{
    (void)state;
    dr_cancel_set_check(NULL);
    assert_int_equal(dr_cancel_requested(), 0);
    assert_int_equal(dr_cancel_xferinfo(NULL, 100, 50, 0, 0), 0);
}

static void registered_check_is_asked_each_time(void **state)
{
    (void)state;
    stop = 0;
    calls = 0;
    dr_cancel_set_check(check);
    assert_int_equal(dr_cancel_requested(), 0);
    assert_int_equal(dr_cancel_xferinfo(NULL, 0, 0, 0, 0), 0);
    stop = 1;
    assert_int_not_equal(dr_cancel_requested(), 0);
    assert_int_not_equal(dr_cancel_xferinfo(NULL, 0, 0, 0, 0), 0);
    assert_int_equal(calls, 4);
    dr_cancel_set_check(NULL);
    assert_int_equal(dr_cancel_requested(), 0);
}

/* Stops on the second progress call: the transfer is under way. */
static int stop_on_second_call(void)
{
    return ++calls >= 2;
}

static void pending_stop_aborts_a_hanging_transfer(void **state)
{
    (void)state;
    struct peer silent;
    peer_start(&silent, PEER_SILENT, NULL); /* reads the request, never answers */
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", silent.port);

    calls = 0;
    dr_cancel_set_check(stop_on_second_call);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 600L); /* far beyond: only the stop ends it */
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, dr_cancel_xferinfo);
    assert_int_equal(curl_easy_perform(h), CURLE_ABORTED_BY_CALLBACK);
    assert_true(calls >= 2);
    curl_easy_cleanup(h);
    dr_cancel_set_check(NULL);
    peer_stop(&silent);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_check_never_cancels),
        cmocka_unit_test(registered_check_is_asked_each_time),
        cmocka_unit_test(pending_stop_aborts_a_hanging_transfer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
