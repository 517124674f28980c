/* Environment variables, declared once per program and checked one way.
 *
 * Each program lists every variable it reads in one table (its envtable.c):
 * name, whether it is required or a secret, the validator, and a one-line
 * fix. The program checks its environment against that table before it
 * parses anything, and the doctor links the same tables to check the .env
 * file, so "the doctor passes" implies "the program accepts its
 * environment" by construction (tests/unit/doctor/test_envagree.c proves
 * it value by value). Validators live in src/common next to what they
 * validate (timeparse.h, listenaddr.h, pgconn.h, smtpconf.h, validate.h)
 * and share one shape: append why the value is wrong (never quoting it,
 * it may be a secret) and return false. */
#ifndef COMMON_ENVVAR_H
#define COMMON_ENVVAR_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* ENV_NO_ECHO: not a secret, but the value may carry one (a URL with
 * credentials): a message names the variable, never the value. */
enum { ENV_OPTIONAL = 0, ENV_REQUIRED = 1, ENV_SECRET = 2, ENV_NO_ECHO = 4 };

typedef bool (*env_check_fn)(const char *value, struct strbuf *why);
/* getenv-like look-up, replaceable in tests. */
typedef const char *(*env_get_fn)(const char *name);

struct env_var {
    const char *name;   /* as the program reads it */
    unsigned flags;     /* ENV_REQUIRED | ENV_SECRET | ENV_NO_ECHO */
    env_check_fn check; /* NULL: any value */
    const char *fix;    /* one line: what a good value looks like */
    /* The .env variable compose fills this one from (often the same name),
     * NULL when compose sets a constant or the variable is not in .env. */
    const char *dotenv;
};

struct env_table {
    const char *program; /* "daily-report", for messages */
    const struct env_var *vars;
    size_t n;
};

/* Unset and empty mean the same: compose passes "${VAR:-}" as "". */
const char *env_nonempty(env_get_fn get, const char *name);

const struct env_var *env_table_find(const struct env_table *t, const char *name);

/* Validates one value: true, or false with the full one-line problem in
 * out: "NAME=value why" ("NAME why" for a secret). */
bool env_var_validate(const struct env_var *v, const char *value, struct strbuf *out);

/* Checks every variable of t in get's environment: required ones set, set
 * ones valid. Returns 0, or -1 with the first problem and its fix in err:
 * "NAME=value why (fix: ...)". */
int env_table_check(const struct env_table *t, env_get_fn get, char *err, size_t errsz);

/* Generic validators. */
bool env_check_port(const char *v, struct strbuf *why);
/* An http(s) URL as libcurl's URL API parses it (defined in httpclient.c:
 * it needs libcurl). */
bool env_check_http_url(const char *v, struct strbuf *why);
bool env_check_hostname(const char *v, struct strbuf *why);
/* An integer lo..hi, for a program's own range validators. */
bool env_check_int(const char *v, long lo, long hi, struct strbuf *why);
/* Parses what env_check_int accepted. */
int env_parse_int(const char *v, long lo, long hi, int *out);

#endif
