#include "cancel.h"

#include <stddef.h>

static cancel_check_fn check_fn;

void cancel_set_check(cancel_check_fn fn)
{
    check_fn = fn;
}

int cancel_requested(void)
{
    return check_fn ? check_fn() : 0;
}

int cancel_xferinfo(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                    curl_off_t ulnow)
{
    (void)userdata;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return cancel_requested(); /* non-zero aborts with CURLE_ABORTED_BY_CALLBACK */
}
