/* Every environment variable the daily report reads, in two tables (see
 * src/common/envvar.h): what every mode needs (sources, schedule, process),
 * and what only the modes that send mail need (SMTP and addresses).
 * config.c checks the environment against them before parsing; the doctor
 * links them and checks the .env values compose passes in with the same
 * validators. */
#ifndef DAILY_REPORT_ENVTABLE_H
#define DAILY_REPORT_ENVTABLE_H

#include "envvar.h"

/* The schedule when REPORT_TZ / REPORT_TIME are unset or empty. Stated
 * here only: compose passes the .env values through without a default of
 * its own, and the doctor names these as the defaults it leaves alone. */
#define DR_REPORT_TZ_DEFAULT "Europe/Paris"
#define DR_REPORT_TIME_DEFAULT "08:00"

extern const struct env_table dr_env_table;
extern const struct env_table dr_env_delivery_table;

#endif
