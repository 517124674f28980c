/* Stop requests reaching into long libcurl transfers.
 *
 * The daemon takes SIGTERM synchronously (blocked, then sigtimedwait), so
 * while the main thread sits in a 30-second HTTP request nobody would see
 * it. libcurl calls its progress callback about once a second even on an
 * idle connection; dr_cancel_xferinfo() asks the registered check there and
 * aborts the transfer when a stop is pending. */
#ifndef DAILY_REPORT_CANCEL_H
#define DAILY_REPORT_CANCEL_H

#include <curl/curl.h>

typedef int (*cancel_check_fn)(void);

/* fn returns non-zero when the program must stop; NULL disables. */
void dr_cancel_set_check(cancel_check_fn fn);
int dr_cancel_requested(void);

/* For CURLOPT_XFERINFOFUNCTION (with CURLOPT_NOPROGRESS 0). */
int dr_cancel_xferinfo(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow);

#endif
