/* fleet-sim: N simulated monitored servers in one process, for bench/fleet.
 *
 * Each simulated server serves a node_exporter exposition (from a fixture
 * captured from the real node_exporter on this machine) on its own port, and
 * every Docker host also a cAdvisor exposition (from the captured cAdvisor
 * fixture) on a port of its own, so that Prometheus scrapes one target per
 * server and role exactly as in production. The same value model also writes
 * OpenMetrics history for `promtool tsdb create-blocks-from openmetrics`, so
 * the backfilled blocks continue seamlessly into the live scrapes:
 *
 *   counters  v(t) = v0 + r * (t - T0), r = v0 / uptime at capture (the
 *             average rate since boot or since the container started), so
 *             rate() is plausible and counters never go backwards;
 *   gauges    v0 * (1 - a 0-5 % sine with a one-hour period and a phase per
 *             server and series), except 0/1 flags, *_info, sizes, limits
 *             and start times, which stay as captured.
 *
 * Distinct labels per server: Prometheus adds server/instance; the
 * exposition's own nodename (node_uname_info) becomes the server's name.
 *
 *   fleet-sim serve --servers N --docker-every K --node-port P --cadvisor-port Q
 *                   --node-fixture F --cadvisor-fixture F
 *   fleet-sim backfill --servers N --docker-every K --node-port P --cadvisor-port Q
 *                   --node-fixture F --cadvisor-fixture F --from S --to S --step S
 *                   [--only NAMES_FILE] [--recorded 1]
 *   fleet-sim inventory --servers N --docker-every K --node-port P --cadvisor-port Q
 *
 * Server i (1-based) is named S001..; it serves node on P+i-1 and, when
 * i % K == 0 (a third of the fleet with K=3: B and F among A-F), cAdvisor on
 * Q+i-1. Bench code: listens on 127.0.0.1 only; stops on SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FS_T0 1700000000.0 /* counters' reference epoch: before any backfill */

struct fs_sample {
    char *name;   /* metric name */
    char *labels; /* inside the braces, may be empty */
    double v0;    /* captured value */
    double rate;  /* per second, counters only */
    int moves;    /* gauge that oscillates */
    int dropped;  /* cAdvisor: removed by prometheus.yml's metric_relabel_configs */
    int wanted;   /* backfill: in --only (or no --only given) */
};

struct fs_fixture {
    struct fs_sample *s;
    size_t n, cap;
    char **comments; /* "# HELP/TYPE" lines, index = sample they precede */
    size_t *comment_at;
    size_t nc, ccap;
};

struct fs_opts {
    int servers, docker_every, node_port, cadvisor_port;
    const char *node_fixture, *cadvisor_fixture, *only;
    int recorded; /* backfill: also the recording rules' series */
    double from, to, step;
};

static struct fs_fixture fs_node, fs_cadv;
static volatile sig_atomic_t fs_stop;

__attribute__((format(printf, 1, 2))) static void fs_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fleet-sim: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static char *fs_strndup(const char *p, size_t n)
{
    char *r = malloc(n + 1);
    if (!r)
        fs_die("out of memory");
    memcpy(r, p, n);
    r[n] = '\0';
    return r;
}

/* Value of label KEY in a label text, or NULL (static buffer). */
static const char *fs_label(const char *labels, const char *key)
{
    static char buf[512];
    size_t kl = strlen(key);
    const char *p = labels;
    while (*p) {
        const char *eq = strchr(p, '=');
        if (!eq || eq[1] != '"')
            return NULL;
        int match = (size_t)(eq - p) == kl && strncmp(p, key, kl) == 0;
        const char *v = eq + 2, *e = v;
        while (*e && *e != '"') {
            if (*e == '\\' && e[1])
                e++;
            e++;
        }
        if (match) {
            size_t n = (size_t)(e - v) < sizeof buf - 1 ? (size_t)(e - v) : sizeof buf - 1;
            memcpy(buf, v, n);
            buf[n] = '\0';
            return buf;
        }
        p = *e ? e + 1 : e;
        if (*p == ',')
            p++;
    }
    return NULL;
}

/* The container name the rules and panels use: the compose service when the
 * container has one, else cAdvisor's name (label_replace(..., "name", "$1",
 * "container_label_com_docker_compose_service", "(.+)") in the rules). */
static const char *fs_cname(const char *labels, char *buf, size_t size)
{
    const char *svc = fs_label(labels, "container_label_com_docker_compose_service");
    if (!svc || !*svc)
        svc = fs_label(labels, "name");
    snprintf(buf, size, "%s", svc ? svc : "");
    return buf;
}

static int fs_static_gauge(const char *name, double v)
{
    static const char *keep[] = {"_info",       "size_bytes", "MemTotal",  "_limit",
                                 "start_time",  "boot_time",  "_max",      "version",
                                 "_cores",      "_spec_",     "last_seen", "SwapTotal",
                                 "node_time_s", "readonly",   "_up",       NULL};
    if (v == 0.0 || v == 1.0)
        return 1;
    for (int i = 0; keep[i]; i++)
        if (strstr(name, keep[i]))
            return 1;
    return 0;
}

static void fs_add_comment(struct fs_fixture *f, const char *line)
{
    if (f->nc == f->ccap) {
        f->ccap = f->ccap ? 2 * f->ccap : 256;
        f->comments = realloc(f->comments, f->ccap * sizeof *f->comments);
        f->comment_at = realloc(f->comment_at, f->ccap * sizeof *f->comment_at);
        if (!f->comments || !f->comment_at)
            fs_die("out of memory");
    }
    f->comments[f->nc] = strdup(line);
    f->comment_at[f->nc++] = f->n;
}

/* Parses one sample line into F; returns 0 or -1 when malformed. */
static int fs_parse_sample(struct fs_fixture *f, const char *line)
{
    const char *p = line, *lb = NULL, *le = NULL;
    while (*p && *p != '{' && *p != ' ')
        p++;
    const char *name_end = p;
    if (*p == '{') {
        lb = p + 1;
        int inq = 0;
        for (p = lb; *p; p++) {
            if (inq && *p == '\\' && p[1])
                p++;
            else if (*p == '"')
                inq = !inq;
            else if (!inq && *p == '}')
                break;
        }
        if (*p != '}')
            return -1;
        le = p++;
    }
    char *end;
    double v = strtod(p, &end);
    if (end == p)
        return -1;
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 1024;
        f->s = realloc(f->s, f->cap * sizeof *f->s);
        if (!f->s)
            fs_die("out of memory");
    }
    struct fs_sample *s = &f->s[f->n++];
    memset(s, 0, sizeof *s);
    s->name = fs_strndup(line, (size_t)(name_end - line));
    s->labels = lb ? fs_strndup(lb, (size_t)(le - lb)) : fs_strndup("", 0);
    s->v0 = v;
    return 0;
}

/* Counter rates: average since boot (node) or since the container started
 * (cAdvisor, per cgroup id); TYPE lines say which samples are counters. */
static void fs_model(struct fs_fixture *f, int cadvisor)
{
    double boot = 0, now = 0, last_seen = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (!strcmp(f->s[i].name, "node_boot_time_seconds"))
            boot = f->s[i].v0;
        if (!strcmp(f->s[i].name, "node_time_seconds"))
            now = f->s[i].v0;
        if (!strcmp(f->s[i].name, "container_last_seen") && f->s[i].v0 > last_seen)
            last_seen = f->s[i].v0;
    }
    double uptime = (!cadvisor && now > boot && boot > 0) ? now - boot : 86400.0;
    size_t c = 0;
    const char *type = "";
    for (size_t i = 0; i < f->n; i++) {
        struct fs_sample *s = &f->s[i];
        for (; c < f->nc && f->comment_at[c] <= i; c++) {
            char fam[256], t[32];
            if (sscanf(f->comments[c], "# TYPE %255s %31s", fam, t) == 2)
                type = strstr(t, "counter") ? "counter" : "gauge";
        }
        int counter = !strcmp(type, "counter") ||
                      (strlen(s->name) > 6 && !strcmp(s->name + strlen(s->name) - 6, "_total"));
        double up = uptime;
        if (cadvisor) {
            char id[512] = "";
            const char *l = fs_label(s->labels, "id");
            if (l)
                snprintf(id, sizeof id, "%s", l);
            for (size_t j = 0; id[0] && j < f->n; j++) {
                if (strcmp(f->s[j].name, "container_start_time_seconds") != 0)
                    continue;
                const char *jid = fs_label(f->s[j].labels, "id");
                if (jid && !strcmp(jid, id) && last_seen > f->s[j].v0) {
                    up = last_seen - f->s[j].v0;
                    break;
                }
            }
            const char *nm = fs_label(s->labels, "name");
            s->dropped = id[0] && strcmp(id, "/") != 0 && !(nm && *nm);
        }
        if (counter)
            s->rate = s->v0 / up;
        else
            s->moves = !fs_static_gauge(s->name, s->v0);
    }
}

static void fs_load(struct fs_fixture *f, const char *path, int cadvisor)
{
    FILE *in = fopen(path, "r");
    if (!in)
        fs_die("%s: cannot open the fixture: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (line[0] == '#')
            fs_add_comment(f, line);
        else if (fs_parse_sample(f, line) < 0)
            fs_die("%s:%d: not a sample line", path, lineno);
    }
    free(line);
    fclose(in);
    if (f->n == 0)
        fs_die("%s: no samples", path);
    fs_model(f, cadvisor);
}

static uint32_t fs_hash(uint32_t a, uint32_t b)
{
    uint32_t h = a * 2654435761u ^ (b + 0x9e3779b9u + (a << 6) + (a >> 2));
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    return h;
}

static double fs_value(const struct fs_sample *s, size_t idx, int server, double t)
{
    if (s->rate > 0)
        return s->v0 + s->rate * (t - FS_T0);
    if (!s->moves)
        return s->v0;
    double phase = (fs_hash((uint32_t)server, (uint32_t)idx) % 3600) / 3600.0;
    return s->v0 * (1.0 - 0.05 * (0.5 + 0.5 * sin(2 * M_PI * (t / 3600.0 + phase))));
}

/* ------------------------------------------------------------ buffer */
struct fs_buf {
    char *p;
    size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void fs_printf(struct fs_buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            fs_die("formatting failed");
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            fs_die("out of memory");
    }
}

static void fs_server_name(int server, char *out, size_t n)
{
    snprintf(out, n, "S%03d", server);
}

/* One exposition, as node_exporter or cAdvisor would answer at time T. */
static void fs_render(struct fs_buf *b, const struct fs_fixture *f, int server, double t)
{
    char sname[16];
    fs_server_name(server, sname, sizeof sname);
    size_t c = 0;
    for (size_t i = 0; i < f->n; i++) {
        for (; c < f->nc && f->comment_at[c] <= i; c++)
            fs_printf(b, "%s\n", f->comments[c]);
        const struct fs_sample *s = &f->s[i];
        double v = fs_value(s, i, server, t);
        if (!strcmp(s->name, "node_uname_info"))
            fs_printf(
                b,
                "%s{domainname=\"(none)\",machine=\"x86_64\",nodename=\"%s\",release=\"6.1.0\","
                "sysname=\"Linux\",version=\"#1 SMP\"} %.17g\n",
                s->name, sname, v);
        else if (s->labels[0])
            fs_printf(b, "%s{%s} %.17g\n", s->name, s->labels, v);
        else
            fs_printf(b, "%s %.17g\n", s->name, v);
    }
    for (; c < f->nc; c++)
        fs_printf(b, "%s\n", f->comments[c]);
}

/* ------------------------------------------------------------ serve */
struct fs_target {
    int server, cadvisor;
};

static enum MHD_Result fs_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_len, void **state)
{
    (void)version, (void)upload, (void)upload_len, (void)state;
    const struct fs_target *tg = cls;
    struct MHD_Response *r;
    enum MHD_Result ret;
    if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
        static char nf[] = "not found\n";
        r = MHD_create_response_from_buffer(sizeof nf - 1, nf, MHD_RESPMEM_PERSISTENT);
        ret = MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, r);
        MHD_destroy_response(r);
        return ret;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct fs_buf b = {0};
    fs_render(&b, tg->cadvisor ? &fs_cadv : &fs_node, tg->server, ts.tv_sec + ts.tv_nsec / 1e9);
    r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static void fs_on_signal(int sig)
{
    (void)sig;
    fs_stop = 1;
}

static int fs_is_docker(const struct fs_opts *o, int server)
{
    return o->docker_every > 0 && server % o->docker_every == 0;
}

static int fs_serve(const struct fs_opts *o)
{
    int max = 2 * o->servers, nd = 0;
    struct MHD_Daemon **d = calloc((size_t)max, sizeof *d);
    struct fs_target *tg = calloc((size_t)max, sizeof *tg);
    if (!d || !tg)
        fs_die("out of memory");
    for (int i = 1; i <= o->servers; i++)
        for (int cad = 0; cad <= 1; cad++) {
            if (cad && !fs_is_docker(o, i))
                continue;
            int port = (cad ? o->cadvisor_port : o->node_port) + i - 1;
            struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
            sa.sin_addr.s_addr = htonl(0x7f000001);
            tg[nd] = (struct fs_target){i, cad};
            d[nd] = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                     (uint16_t)port, NULL, NULL, fs_handle, &tg[nd],
                                     MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                     MHD_OPTION_END);
            if (!d[nd])
                fs_die("cannot listen on 127.0.0.1:%d", port);
            nd++;
        }
    fprintf(
        stderr,
        "fleet-sim: serving %d servers (%d targets; %zu node samples, %zu cAdvisor samples each)\n",
        o->servers, nd, fs_node.n, fs_cadv.n);
    signal(SIGTERM, fs_on_signal);
    signal(SIGINT, fs_on_signal);
    while (!fs_stop)
        pause();
    for (int i = 0; i < nd; i++)
        MHD_stop_daemon(d[i]);
    fprintf(stderr, "fleet-sim: stopped\n");
    free(d);
    free(tg);
    return 0;
}

/* ------------------------------------------------------------ backfill */
static void fs_mark_wanted(struct fs_fixture *f, const char *only)
{
    char **names = NULL;
    size_t nn = 0;
    if (only) {
        FILE *in = fopen(only, "r");
        if (!in)
            fs_die("%s: %s", only, strerror(errno));
        char line[256];
        while (fgets(line, sizeof line, in)) {
            line[strcspn(line, " \t\r\n")] = '\0';
            if (!line[0] || line[0] == '#')
                continue;
            names = realloc(names, (nn + 1) * sizeof *names);
            if (!names)
                fs_die("out of memory");
            names[nn++] = strdup(line);
        }
        fclose(in);
    }
    for (size_t i = 0; i < f->n; i++) {
        f->s[i].wanted = !only;
        for (size_t j = 0; j < nn && !f->s[i].wanted; j++)
            f->s[i].wanted = !strcmp(names[j], f->s[i].name);
    }
    for (size_t j = 0; j < nn; j++)
        free(names[j]);
    free(names);
}

/* OpenMetrics for promtool: series-major, timestamps ascending per series;
 * no TYPE lines (untyped samples keep their names as scraped). Labels are
 * those Prometheus attaches when scraping (job, instance, server). */
static void fs_series(FILE *out, const char *name, const char *labels, const char *job, int port,
                      const char *sname, const struct fs_sample *s, size_t idx, int server,
                      const struct fs_opts *o)
{
    for (double t = o->from; t < o->to; t += o->step) {
        double v = s ? fs_value(s, idx, server, t) : (!strcmp(name, "up") ? 1.0 : 0.012);
        fprintf(out, "%s{%s%sinstance=\"127.0.0.1:%d\",job=\"%s\",server=\"%s\"} %.10g %.3f\n",
                name, labels, labels[0] ? "," : "", port, job, sname, v, t);
    }
}

/* LABELS without cAdvisor's container_label_* copies of the Docker labels,
 * into OUT. History only: they make a cAdvisor line ten times longer and
 * promtool's import time follows the bytes, while a query's cost follows the
 * series and samples it selects (bench/fleet/README.md). The compose service
 * stays: the rules and panels name containers by it, so without it the
 * history's containers would have other names than the live ones. */
static void fs_strip_docker_labels(const char *labels, char *out, size_t n)
{
    size_t len = 0;
    const char *p = labels;
    out[0] = '\0';
    while (*p) {
        const char *e = p;
        int inq = 0;
        for (; *e && (inq || *e != ','); e++) {
            if (inq && *e == '\\' && e[1])
                e++;
            else if (*e == '"')
                inq = !inq;
        }
        int keep = strncmp(p, "container_label_", 16) != 0 ||
                   strncmp(p, "container_label_com_docker_compose_service=", 43) == 0;
        if (keep && len + (size_t)(e - p) + 2 < n) {
            len += (size_t)snprintf(out + len, n - len, "%s%.*s", len ? "," : "", (int)(e - p), p);
        }
        p = *e ? e + 1 : e;
    }
}

static void fs_family(FILE *out, const struct fs_fixture *f, const char *job, int base,
                      const char *fam, const struct fs_opts *o)
{
    for (int i = 1; i <= o->servers; i++) {
        int cad = f == &fs_cadv;
        if (cad && !fs_is_docker(o, i))
            continue;
        char sname[16], lab[1024];
        fs_server_name(i, sname, sizeof sname);
        for (size_t k = 0; k < f->n; k++) {
            const struct fs_sample *s = &f->s[k];
            if (!s->wanted || s->dropped || strcmp(s->name, fam) != 0)
                continue;
            const char *labels = s->labels;
            if (!strcmp(s->name, "node_uname_info")) {
                snprintf(lab, sizeof lab, "nodename=\"%s\",sysname=\"Linux\"", sname);
                labels = lab;
            } else if (cad) {
                fs_strip_docker_labels(s->labels, lab, sizeof lab);
                labels = lab;
            }
            fs_series(out, s->name, labels, job, base + i - 1, sname, s, k, i, o);
        }
    }
}

/* ------------------------------------------------------------ recorded series
 * The history of prometheus/rules/dashboards.yml's recording rules, from the
 * same value model: a counter's rate over any window is its constant rate r,
 * a gauge is its value at t. run.sh checks these against the rules' own
 * expressions evaluated by Prometheus on the raw history, so a rule changed
 * without this code fails the benchmark instead of skewing it. */
struct fs_match {
    const char *name;      /* metric name */
    const char *label;     /* label to test, or NULL */
    const char *value;     /* wanted value (NULL: any) */
    const regex_t *not_re; /* label value must not match (NULL: no test) */
    const char *device;    /* wanted device label (NULL: any) */
};

/* Sum over a server's samples matching M of r (rate) or v(t); *n counts them. */
static double fs_sum(const struct fs_fixture *f, const struct fs_match *m, int rate, int server,
                     double t, int *n)
{
    double sum = 0;
    *n = 0;
    for (size_t k = 0; k < f->n; k++) {
        const struct fs_sample *s = &f->s[k];
        if (s->dropped || strcmp(s->name, m->name) != 0)
            continue;
        if (m->label) {
            char cn[256];
            const char *v = fs_label(s->labels, m->label);
            if (v && *v && !strcmp(m->label, "name"))
                v = fs_cname(s->labels, cn, sizeof cn);
            if (!v || (m->value && strcmp(v, m->value) != 0) ||
                (m->not_re && regexec(m->not_re, v, 0, NULL, 0) == 0))
                continue;
        }
        if (m->device) {
            const char *d = fs_label(s->labels, "device");
            if (!d || strcmp(d, m->device) != 0)
                continue;
        }
        double v = rate ? s->rate : fs_value(s, k, server, t);
        if (!rate && !strcmp(m->name, "container_spec_memory_limit_bytes") && v <= 0)
            continue; /* the rule's `> 0` */
        sum += v;
        (*n)++;
    }
    return sum;
}

/* FS_FS_RATIO: container_fs_usage_bytes / container_fs_limit_bytes per device. */
enum fs_rec_kind { FS_CPU_BUSY, FS_MEM_USED, FS_SUM_RATE8, FS_SUM_RATE, FS_SUM_VALUE, FS_FS_RATIO };

struct fs_rec {
    const char *record, *job, *source;
    enum fs_rec_kind kind;
    int by_device; /* also grouped by the device label */
};

/* The dashboards group's interval (prometheus/rules/dashboards.yml): its
 * series have one sample a minute, in the 15 s day as in the 60 s days. */
#define FS_REC_STEP 60.0

static const struct fs_rec fs_recs[] = {
    {"server:node_cpu_busy:ratio_rate5m", "node", "node_cpu_seconds_total", FS_CPU_BUSY, 0},
    {"server:node_memory_used:ratio", "node", "node_memory_MemAvailable_bytes", FS_MEM_USED, 0},
    {"server:node_network_receive_bits:rate5m", "node", "node_network_receive_bytes_total",
     FS_SUM_RATE8, 0},
    {"server:node_network_transmit_bits:rate5m", "node", "node_network_transmit_bytes_total",
     FS_SUM_RATE8, 0},
    {"server_name:container_cpu_usage:rate5m", "cadvisor", "container_cpu_usage_seconds_total",
     FS_SUM_RATE, 0},
    {"server_name:container_memory_working_set_bytes:sum", "cadvisor",
     "container_memory_working_set_bytes", FS_SUM_VALUE, 0},
    {"server_name:container_spec_memory_limit_bytes:sum", "cadvisor",
     "container_spec_memory_limit_bytes", FS_SUM_VALUE, 0},
    {"server_name:container_network_receive_bits:rate5m", "cadvisor",
     "container_network_receive_bytes_total", FS_SUM_RATE8, 0},
    {"server_name:container_network_transmit_bits:rate5m", "cadvisor",
     "container_network_transmit_bytes_total", FS_SUM_RATE8, 0},
    {"server_name:container_memory_rss:sum", "cadvisor", "container_memory_rss", FS_SUM_VALUE, 0},
    {"server_name:container_memory_cache:sum", "cadvisor", "container_memory_cache", FS_SUM_VALUE,
     0},
    {"server_name:container_fs_reads_bytes:rate5m", "cadvisor", "container_fs_reads_bytes_total",
     FS_SUM_RATE, 0},
    {"server_name:container_fs_writes_bytes:rate5m", "cadvisor", "container_fs_writes_bytes_total",
     FS_SUM_RATE, 0},
    {"server_name:container_cpu_cfs_throttled_periods:rate5m", "cadvisor",
     "container_cpu_cfs_throttled_periods_total", FS_SUM_RATE, 0},
    {"server_name:container_cpu_cfs_periods:rate5m", "cadvisor", "container_cpu_cfs_periods_total",
     FS_SUM_RATE, 0},
    {"server_name:container_fs_usage_bytes:sum", "cadvisor", "container_fs_usage_bytes",
     FS_SUM_VALUE, 0},
    {"server_name_device:container_fs_usage:ratio", "cadvisor", "container_fs_usage_bytes",
     FS_FS_RATIO, 1},
};

static double fs_rec_value(const struct fs_rec *r, const char *cname, const char *device,
                           const regex_t *dev_re, int server, double t, int *n)
{
    const struct fs_fixture *f = cname ? &fs_cadv : &fs_node;
    struct fs_match m = {r->source, cname ? "name" : NULL, cname, NULL, device};
    if (!cname && r->kind == FS_SUM_RATE8)
        m = (struct fs_match){r->source, "device", NULL, dev_re, NULL};
    if (r->kind == FS_CPU_BUSY) {
        m = (struct fs_match){r->source, "mode", "idle", NULL, NULL};
        double idle = fs_sum(f, &m, 1, server, t, n);
        return *n ? 1 - idle / *n : 0;
    }
    if (r->kind == FS_MEM_USED) {
        int n2;
        struct fs_match tot = {"node_memory_MemTotal_bytes", NULL, NULL, NULL, NULL};
        double avail = fs_sum(f, &m, 0, server, t, n), total = fs_sum(f, &tot, 0, server, t, &n2);
        *n = *n && n2 && total > 0;
        return *n ? 1 - avail / total : 0;
    }
    if (r->kind == FS_FS_RATIO) {
        int n2;
        struct fs_match lim = m;
        lim.name = "container_fs_limit_bytes";
        double used = fs_sum(f, &m, 0, server, t, n), size = fs_sum(f, &lim, 0, server, t, &n2);
        *n = *n && n2 && size > 0;
        return *n ? used / size : 0;
    }
    double v = fs_sum(f, &m, r->kind != FS_SUM_VALUE, server, t, n);
    return r->kind == FS_SUM_RATE8 ? 8 * v : v;
}

/* The distinct devices of SOURCE's samples for container CNAME (at most MAX;
 * fs_label's buffer is static, so each value is copied). */
static size_t fs_devices(const char *source, const char *cname, char (*devs)[64], size_t max)
{
    size_t nd = 0;
    for (size_t k = 0; k < fs_cadv.n && nd < max; k++) {
        const struct fs_sample *s = &fs_cadv.s[k];
        char cn[256], dev[64];
        const char *nm = fs_label(s->labels, "name");
        if (s->dropped || strcmp(s->name, source) != 0 || !nm || !*nm ||
            strcmp(fs_cname(s->labels, cn, sizeof cn), cname) != 0)
            continue;
        const char *d = fs_label(s->labels, "device");
        if (!d)
            continue;
        snprintf(dev, sizeof dev, "%s", d);
        size_t j = 0;
        while (j < nd && strcmp(devs[j], dev) != 0)
            j++;
        if (j == nd)
            memcpy(devs[nd++], dev, sizeof dev);
    }
    return nd;
}

/* One recorded series: server SNAME (index I), container CNAME and DEVICE
 * (NULL for a node record or no device), one sample a minute. */
static void fs_rec_series(FILE *out, const struct fs_opts *o, const struct fs_rec *rec,
                          const regex_t *dev_re, int i, const char *sname, const char *cname,
                          const char *device)
{
    double t0 = ceil(o->from / FS_REC_STEP) * FS_REC_STEP;
    for (double t = t0; t < o->to; t += FS_REC_STEP) {
        int n;
        double v = fs_rec_value(rec, cname, device, dev_re, i, t, &n);
        if (!n)
            break;
        if (device)
            fprintf(out,
                    "%s{device=\"%s\",job=\"cadvisor\",name=\"%s\",server=\"%s\"} %.10g %.3f\n",
                    rec->record, device, cname, sname, v, t);
        else if (cname)
            fprintf(out, "%s{job=\"cadvisor\",name=\"%s\",server=\"%s\"} %.10g %.3f\n", rec->record,
                    cname, sname, v, t);
        else
            fprintf(out, "%s{job=\"node\",server=\"%s\"} %.10g %.3f\n", rec->record, sname, v, t);
    }
}

static void fs_recorded(FILE *out, const struct fs_opts *o)
{
    regex_t dev_re;
    if (regcomp(&dev_re, "^(lo|veth.*|docker.*|br-.*|virbr.*|ifb.*|cali.*|flannel.*)$",
                REG_EXTENDED | REG_NOSUB) != 0)
        fs_die("cannot compile the device regex");
    const char *names[64];
    size_t nn = 0;
    for (size_t k = 0; k < fs_cadv.n && nn < 64; k++) {
        const char *nm = fs_label(fs_cadv.s[k].labels, "name");
        if (!nm || !*nm || fs_cadv.s[k].dropped)
            continue;
        char cn[256];
        nm = fs_cname(fs_cadv.s[k].labels, cn, sizeof cn);
        size_t j = 0;
        while (j < nn && strcmp(names[j], nm) != 0)
            j++;
        if (j == nn)
            names[nn++] = strdup(nm);
    }
    for (size_t r = 0; r < sizeof fs_recs / sizeof fs_recs[0]; r++) {
        const struct fs_rec *rec = &fs_recs[r];
        int cad = !strcmp(rec->job, "cadvisor");
        for (int i = 1; i <= o->servers; i++) {
            if (cad && !fs_is_docker(o, i))
                continue;
            char sname[16];
            fs_server_name(i, sname, sizeof sname);
            for (size_t c = 0; c < (cad ? nn : 1); c++) {
                if (!rec->by_device) {
                    fs_rec_series(out, o, rec, &dev_re, i, sname, cad ? names[c] : NULL, NULL);
                    continue;
                }
                char devs[8][64];
                size_t nd = fs_devices(rec->source, names[c], devs, 8);
                for (size_t d = 0; d < nd; d++)
                    fs_rec_series(out, o, rec, &dev_re, i, sname, names[c], devs[d]);
            }
        }
    }
    /* containers.yml's container_service:info: 1 for each named container's
     * (server, id, compose service or name), from container_last_seen. */
    for (int i = 1; i <= o->servers; i++) {
        if (!fs_is_docker(o, i))
            continue;
        char sname[16];
        fs_server_name(i, sname, sizeof sname);
        for (size_t k = 0; k < fs_cadv.n; k++) {
            const struct fs_sample *s = &fs_cadv.s[k];
            const char *nm = fs_label(s->labels, "name");
            if (s->dropped || strcmp(s->name, "container_last_seen") != 0 || !nm || !*nm)
                continue;
            char cn[256], id[256];
            const char *idv = fs_label(s->labels, "id");
            snprintf(id, sizeof id, "%s", idv ? idv : "");
            fs_cname(s->labels, cn, sizeof cn);
            for (double t = o->from; t < o->to; t += o->step)
                fprintf(out, "container_service:info{id=\"%s\",name=\"%s\",server=\"%s\"} 1 %.3f\n",
                        id, cn, sname, t);
        }
    }
    for (int j = 0; j < 2; j++) /* the history's scrape_duration_seconds is 0.012 everywhere */
        for (double t = ceil(o->from / FS_REC_STEP) * FS_REC_STEP; t < o->to; t += FS_REC_STEP)
            fprintf(out, "job:scrape_duration_seconds:max{job=\"%s\"} 0.012 %.3f\n",
                    j ? "cadvisor" : "node", t);
    for (size_t j = 0; j < nn; j++)
        free((void *)names[j]);
    regfree(&dev_re);
}

static int fs_backfill(const struct fs_opts *o)
{
    FILE *out = stdout;
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);
    const struct fs_fixture *fx[2] = {&fs_node, &fs_cadv};
    const char *jobs[2] = {"node", "cadvisor"};
    int bases[2] = {o->node_port, o->cadvisor_port};
    for (int r = 0; r < 2; r++) {
        const struct fs_fixture *f = fx[r];
        for (size_t k = 0; k < f->n; k++) { /* each family once, in fixture order */
            size_t j = 0;
            while (j < k && strcmp(f->s[j].name, f->s[k].name) != 0)
                j++;
            if (j == k && f->s[k].wanted)
                fs_family(out, f, jobs[r], bases[r], f->s[k].name, o);
        }
        for (int m = 0; m < 2; m++) /* what Prometheus adds to every scrape */
            for (int i = 1; i <= o->servers; i++) {
                if (r == 1 && !fs_is_docker(o, i))
                    continue;
                char sname[16];
                fs_server_name(i, sname, sizeof sname);
                fs_series(out, m ? "scrape_duration_seconds" : "up", "", jobs[r], bases[r] + i - 1,
                          sname, NULL, 0, i, o);
            }
    }
    if (o->recorded)
        fs_recorded(out, o);
    fputs("# EOF\n", out);
    return fflush(out) == 0 ? 0 : 1;
}

static int fs_inventory(const struct fs_opts *o)
{
    printf("# fleet-sim inventory: %d simulated servers on 127.0.0.1\n", o->servers);
    for (int i = 1; i <= o->servers; i++) {
        char sname[16];
        fs_server_name(i, sname, sizeof sname);
        if (fs_is_docker(o, i))
            printf("%s 127.0.0.1 node:%d,cadvisor:%d\n", sname, o->node_port + i - 1,
                   o->cadvisor_port + i - 1);
        else
            printf("%s 127.0.0.1 node:%d\n", sname, o->node_port + i - 1);
    }
    return 0;
}

/* ------------------------------------------------------------ main */
static void fs_usage(void)
{
    fputs("usage: fleet-sim serve|backfill|inventory --servers N [--docker-every K] --node-port P\n"
          "       --cadvisor-port Q [--node-fixture F --cadvisor-fixture F]\n"
          "       [--from EPOCH --to EPOCH --step SECONDS] [--only NAMES_FILE] [--recorded 1]\n",
          stderr);
}

static double fs_num(const char *opt, const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end)
        fs_die("%s wants a number, got \"%s\"", opt, v);
    return d;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fs_usage();
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        puts("fleet-sim 1.0");
        return 0;
    }
    struct fs_opts o = {.docker_every = 3};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            fs_die("%s needs a value", a);
        i++;
        if (!strcmp(a, "--servers"))
            o.servers = (int)fs_num(a, v);
        else if (!strcmp(a, "--docker-every"))
            o.docker_every = (int)fs_num(a, v);
        else if (!strcmp(a, "--node-port"))
            o.node_port = (int)fs_num(a, v);
        else if (!strcmp(a, "--cadvisor-port"))
            o.cadvisor_port = (int)fs_num(a, v);
        else if (!strcmp(a, "--node-fixture"))
            o.node_fixture = v;
        else if (!strcmp(a, "--cadvisor-fixture"))
            o.cadvisor_fixture = v;
        else if (!strcmp(a, "--recorded"))
            o.recorded = (int)fs_num(a, v);
        else if (!strcmp(a, "--only"))
            o.only = v;
        else if (!strcmp(a, "--from"))
            o.from = fs_num(a, v);
        else if (!strcmp(a, "--to"))
            o.to = fs_num(a, v);
        else if (!strcmp(a, "--step"))
            o.step = fs_num(a, v);
        else
            fs_die("unknown option %s", a);
    }
    if (o.servers < 1 || o.servers > 999 || o.node_port < 1 || o.cadvisor_port < 1)
        fs_die("--servers (1-999), --node-port and --cadvisor-port are required");
    if (!strcmp(argv[1], "inventory"))
        return fs_inventory(&o);
    if (!o.node_fixture || !o.cadvisor_fixture)
        fs_die("--node-fixture and --cadvisor-fixture are required");
    fs_load(&fs_node, o.node_fixture, 0);
    fs_load(&fs_cadv, o.cadvisor_fixture, 1);
    if (!strcmp(argv[1], "serve"))
        return fs_serve(&o);
    if (!strcmp(argv[1], "backfill")) {
        if (o.step <= 0 || o.to <= o.from)
            fs_die("backfill needs --from < --to and --step > 0");
        fs_mark_wanted(&fs_node, o.only);
        fs_mark_wanted(&fs_cadv, o.only);
        return fs_backfill(&o);
    }
    fs_usage();
    return 2;
}
