/* Prometheus HTTP API client (works the same against Thanos Query), the
 * one every program uses: a client is created once with its base URL, then
 * runs instant queries (/api/v1/query) and range queries
 * (/api/v1/query_range), keeping from each series only the one or two
 * labels the caller groups by.
 *
 * Parsing is strict: an answer that is not the documented envelope, a
 * sample value that is not a number ("NaN", "+Inf" are numbers), a
 * timestamp that is not a number, or an API error ("status":"error") is an
 * error with a message, never a 0. */
#ifndef COMMON_PROMAPI_H
#define COMMON_PROMAPI_H

#include <stddef.h>

struct prom_sample_row {
    char *l1; /* value of label1 ("" when the series lacks it) */
    char *l2; /* value of label2, NULL when no label2 was asked for */
    double t; /* evaluation time (Unix seconds) */
    double value;
};

struct prom_vector {
    struct prom_sample_row *rows;
    size_t n;
    int sorted; /* by prom_vector_sort: look-ups are binary searches */
};

struct prom_series {
    char *l1;
    double *t; /* Unix seconds */
    double *v;
    size_t n;
};

struct prom_matrix {
    struct prom_series *series;
    size_t n;
};

struct prom_client;

/* base_url: "http://prometheus:9090" (a trailing / is ignored). timeout_s
 * bounds each request; cacert (may be NULL) replaces the system CA bundle.
 * NULL when out of memory. */
struct prom_client *prom_client_new(const char *base_url, long timeout_s, const char *cacert);
void prom_client_free(struct prom_client *c);
/* Bounds each answer: max_body bytes (0: HTTP_DEFAULT_MAX_BODY) and
 * max_series series (0: no limit); beyond either the query fails with
 * the reason, so a program's memory does not grow with the fleet. */
void prom_client_set_limits(struct prom_client *c, size_t max_body, size_t max_series);
const char *prom_client_url(const struct prom_client *c);

/* Instant query evaluated at time `at` (Unix seconds; 0: now). A transport
 * error reads "GET <redacted url>: reason"; a bad answer "Prometheus: ...". */
int prom_query(const struct prom_client *c, const char *expr, double at, const char *label1,
               const char *label2, struct prom_vector *out, char *err, size_t errsz);
/* Range query over [start, end] every step seconds. */
int prom_query_range(const struct prom_client *c, const char *expr, double start, double end,
                     double step, const char *label1, struct prom_matrix *out, char *err,
                     size_t errsz);

/* Parse a /api/v1/query response whose resultType is "vector" (a "scalar"
 * result becomes one row with l1 = ""). An API error ("status":"error")
 * becomes -1 with its errorType and message in err. */
int prom_parse_vector(const char *json, size_t len, const char *label1, const char *label2,
                      struct prom_vector *out, char *err, size_t errsz);
/* Parse a /api/v1/query_range response ("matrix"). */
int prom_parse_matrix(const char *json, size_t len, const char *label1, struct prom_matrix *out,
                      char *err, size_t errsz);

void prom_vector_free(struct prom_vector *v);
void prom_matrix_free(struct prom_matrix *m);

/* Sorts the rows by (l1, l2) so that prom_vector_find is a binary search. */
void prom_vector_sort(struct prom_vector *v);
/* Finds the row whose l1 (and l2 when given) match; NULL when absent. */
const struct prom_sample_row *prom_vector_find(const struct prom_vector *v, const char *l1,
                                               const char *l2);

#endif
