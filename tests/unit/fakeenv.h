/* A fake environment for unit tests of env-reading code: point fake_env at
 * a NULL-terminated list of "NAME=value" strings and pass fake_get where
 * the code takes a getenv-like function. Static: each test program has its
 * own. */
#ifndef TESTS_UNIT_FAKEENV_H
#define TESTS_UNIT_FAKEENV_H

#include <string.h>

static const char **fake_env;

static const char *fake_get(const char *name)
{
    size_t n = strlen(name);
    for (const char **p = fake_env; p && *p; p++)
        if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
            return *p + n + 1;
    return NULL;
}

#endif
