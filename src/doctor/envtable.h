/* The doctor's own environment variables (DOCTOR_*: where the running
 * stack answers, which CA to trust), in one table like every program's
 * (src/common/envvar.h). Checked before anything runs, so a bad URL is
 * named up front instead of failing every check that uses it. The .env
 * variables the doctor examines are another matter: envspec.h. */
#ifndef DOCTOR_ENVTABLE_H
#define DOCTOR_ENVTABLE_H

#include "envvar.h"

extern const struct env_table doc_env_table;

#endif
