#include "cancel.h"

#include <stddef.h>

static cancel_check_fn check_fn;

void dr_cancel_set_check(cancel_check_fn fn)
{
    check_fn = fn;
}

int dr_cancel_requested(void)
{
    return check_fn ? check_fn() : 0;
}

int dr_cancel_xferinfo(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)userdata;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return dr_cancel_requested(); /* non-zero aborts with CURLE_ABORTED_BY_CALLBACK */
}
