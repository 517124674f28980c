/* Group targets: every exporter in the inventory answers /metrics the way
 * Prometheus will scrape it. Exporters are loopback peers this test runs:
 * a real-looking node_exporter, another service on the port, a refused
 * port and a firewall that drops (a peer that never answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doctorfix.h"

#define NODE_METRICS                                                                               \
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"                     \
    "# HELP node_uname_info Labeled system information.\n"                                         \
    "# TYPE node_uname_info gauge\n"                                                               \
    "node_uname_info{nodename=\"a\"} 1\n"                                                          \
    "node_exporter_build_info{version=\"1.5.0\"} 1\n"                                              \
    "node_load1 0.25\n"
#define OTHER_METRICS "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nprocess_cpu_seconds_total 3\n"
#define NOT_FOUND "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

static char inv_path[64];

static void with_inventory(struct fix *f, const char *text, long timeout)
{
    snprintf(inv_path, sizeof(inv_path), "/tmp/doctor-unit-inv-XXXXXX");
    int fd = mkstemp(inv_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    fix_init(f, "SERVER_F_PUBLIC_IP=198.51.200.7\n");
    f->opt.inventory = inv_path;
    f->opt.timeout = timeout;
}

static void done(struct fix *f)
{
    fix_free(f);
    unlink(inv_path);
}

static void every_kind_of_answer_gets_its_own_verdict(void **state)
{
    (void)state;
    struct peer node, other, nf;
    peer_start(&node, PEER_REPLY, NODE_METRICS);
    peer_start(&other, PEER_REPLY, OTHER_METRICS);
    peer_start(&nf, PEER_REPLY, NOT_FOUND);
    int hold;
    int refused = refused_port(&hold);
    char text[1024];
    snprintf(text, sizeof(text),
             "# name address roles\n"
             "A 127.0.0.1 node:%d\n"
             "B 127.0.0.1 node:%d,watcher:%d\n"
             "C 127.0.0.1 node:%d\n"
             "E 203.0.113.14 node\n"
             "F self node@127.0.0.1:%d,cadvisor@cadvisor:8080\n",
             node.port, other.port, nf.port, refused, node.port);
    struct fix f;
    with_inventory(&f, text, 30);
    doc_check_targets(&f.d);

    assert_contains(fix_expect(&f, "targets.inventory", CHECK_PASS)->detail,
                    ": 5 servers, 7 exporters");
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics answers (node_exporter, 3 samples)",
             node.port);
    assert_string_equal(fix_expect(&f, "targets.A.node", CHECK_PASS)->detail, url);
    /* Server F's node exporter on an address of this host is probed too. */
    assert_string_equal(fix_expect(&f, "targets.F.node", CHECK_PASS)->detail, url);

    const struct check_result *c = fix_expect(&f, "targets.B.node", CHECK_FAIL);
    assert_contains(c->detail, "answers, but not with node_exporter's metrics");
    assert_string_equal(c->fix, "check the port in the inventory (role:PORT)");
    assert_contains(fix_expect(&f, "targets.B.watcher", CHECK_FAIL)->detail,
                    "answered HTTP 404: not the watcher?");

    c = fix_expect(&f, "targets.C.node", CHECK_FAIL);
    char fix_text[256];
    snprintf(fix_text, sizeof(fix_text),
             "start node_exporter on C (scripts/install-node-exporter.sh) or open port %d to "
             "198.51.200.7",
             refused);
    assert_string_equal(c->fix, fix_text);

    c = fix_expect(&f, "targets.E.node", CHECK_FAIL);
    assert_contains(c->detail, "E (line 5) still has the documentation address 203.0.113.14");
    assert_contains(fix_expect(&f, "targets.F.cadvisor", CHECK_SKIP)->detail,
                    "cadvisor:8080 is inside the compose network");
    done(&f);
    close(hold);
    peer_stop(&node);
    peer_stop(&other);
    peer_stop(&nf);
}

/* A firewall that drops: the deadline fires and the fix is ufw. */
static void a_silent_exporter_points_at_the_firewall(void **state)
{
    (void)state;
    struct peer silent;
    peer_start(&silent, PEER_SILENT, "");
    char text[128];
    snprintf(text, sizeof(text), "D 127.0.0.1 cadvisor:%d\n", silent.port);
    struct fix f;
    with_inventory(&f, text, 1);
    doc_check_targets(&f.d);
    const struct check_result *c = fix_expect(&f, "targets.D.cadvisor", CHECK_FAIL);
    assert_contains(c->detail, "no answer in time (a firewall dropping packets?)");
    char fix_text[256];
    snprintf(fix_text, sizeof(fix_text),
             "on D: ufw allow from 198.51.200.7 to any port %d (scripts/firewall.sh "
             "--server-f-ip 198.51.200.7 does it)",
             silent.port);
    assert_string_equal(c->fix, fix_text);
    done(&f);
    peer_stop(&silent);
}

static void skipped_targets_are_not_probed(void **state)
{
    (void)state;
    struct peer node;
    peer_start(&node, PEER_REPLY, NODE_METRICS);
    char text[256];
    snprintf(text, sizeof(text), "A 127.0.0.1 node:%d\n", node.port);
    struct fix f;
    with_inventory(&f, text, 30);
    f.rep.skip = "targets.A";
    doc_check_targets(&f.d);
    fix_expect(&f, "targets.A.node", CHECK_SKIP);
    assert_int_equal(__atomic_load_n(&node.accepted, __ATOMIC_SEQ_CST), 0);
    done(&f);
    peer_stop(&node);
}

static void inventory_problems_name_the_file(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, "");
    doc_check_targets(&f.d);
    const struct check_result *c = fix_expect(&f, "targets.inventory", CHECK_FAIL);
    assert_contains(c->detail, "/nonexistent/servers.txt");
    assert_contains(c->fix, "--inventory FILE");
    assert_int_equal(f.rep.n, 1);
    fix_free(&f);

    with_inventory(&f, "# nothing yet\n", 30);
    doc_check_targets(&f.d);
    c = fix_expect(&f, "targets.inventory", CHECK_FAIL);
    char want[128];
    snprintf(want, sizeof(want), "%s lists no exporter", inv_path);
    assert_string_equal(c->detail, want);
    done(&f);

    with_inventory(&f, "A 127.0.0.1 toaster\n", 30);
    doc_check_targets(&f.d);
    c = fix_expect(&f, "targets.inventory", CHECK_FAIL);
    assert_contains(c->detail, ":1:");
    assert_contains(c->fix, "format: name address roles");
    done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_answer_gets_its_own_verdict),
        cmocka_unit_test(a_silent_exporter_points_at_the_firewall),
        cmocka_unit_test(skipped_targets_are_not_probed),
        cmocka_unit_test(inventory_problems_name_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
