/* Every environment variable the queue exporter reads, in one table (see
 * src/common/envvar.h). main.c checks the environment against it before
 * anything else; the doctor links it and checks the .env values compose
 * passes in with the same validators. The standard PG* variables are
 * libpq's own and not listed. */
#ifndef QE_ENVTABLE_H
#define QE_ENVTABLE_H

#include "envvar.h"

extern const struct env_table qe_env_table;

#endif
