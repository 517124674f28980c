/* .env parser: the subset of docker compose's .env syntax an operator
 * writes by hand.
 *   KEY=VALUE            blank lines and lines starting with # are ignored
 *   export KEY=VALUE     "export " is accepted and ignored
 *   KEY=value # note     unquoted: a # after whitespace starts a comment;
 *                        surrounding whitespace is trimmed
 *   KEY='value'          single quotes: literal, nothing expanded
 *   KEY="va\"lue"        double quotes: \\ \" \n \t \$ escapes
 * Compose expands $NAME / ${NAME} in unquoted and double-quoted values, so
 * each entry records whether its value would be expanded (a password
 * containing '$' would silently change). Errors name the line number only:
 * the line may hold a secret. */
#ifndef DOCTOR_DOTENV_H
#define DOCTOR_DOTENV_H

#include <stdbool.h>
#include <stddef.h>

enum dotenv_quote { DOTENV_UNQUOTED, DOTENV_SINGLE, DOTENV_DOUBLE };

struct dotenv_entry {
    char *key;
    char *value;
    int line;
    enum dotenv_quote quote;
    bool expands;     /* an unescaped '$' compose would interpolate */
    int duplicate_of; /* line of an earlier definition of the same key, or 0 */
};

struct dotenv {
    struct dotenv_entry *entries;
    size_t n;
    size_t cap;
    char **errors; /* "line 7: ..." */
    size_t nerrors;
    size_t errors_cap;
    /* Open-addressing hash of the keys: slot -> 1 + index of the key's last
     * entry, 0 = empty. Lookups stay O(1), so a 100k-key file parses in
     * linear time (it used to compare every key with every earlier one). */
    size_t *slots;
    size_t nslots; /* a power of two, or 0 */
    size_t nkeys;  /* distinct keys */
    /* Key comparisons made by lookups so far: the unit test asserts they
     * grow linearly with the file, which no clock could show reliably. */
    unsigned long long key_compares;
};

void doc_dotenv_init(struct dotenv *env);
void doc_dotenv_free(struct dotenv *env);
/* Parses text (the whole file); syntax errors are collected, never fatal. */
void doc_dotenv_parse(struct dotenv *env, const char *text, size_t len);
/* Reads and parses path. Returns 0, or -1 with errno-style message in err
 * when the file cannot be read. */
int doc_dotenv_load(struct dotenv *env, const char *path, char *err, size_t errlen);
/* The last definition of key, or NULL. */
const struct dotenv_entry *doc_dotenv_find(const struct dotenv *env, const char *key);
/* The value of key, or NULL when absent. */
const char *doc_dotenv_get(const struct dotenv *env, const char *key);

#endif
