/* inventory/servers.txt, as scripts/render-config.sh reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "inventory.h"
#include "strbuf.h"

static void roles_ports_endpoints(void **state)
{
    (void)state;
    struct inventory inv;
    doc_inventory_init(&inv);
    doc_inventory_parse(&inv,
                        "# name address roles\n"
                        "A   10.1.2.3   node\n"
                        "B\tb.ecotrans.eu\tnode:9101,cadvisor   # comment\n"
                        "C   [2001:db8::5]  node\n"
                        "E   203.0.113.14  node\n"
                        "F   self  node@172.31.240.1:9100,cadvisor@cadvisor:8080\n",
                        "servers.txt");
    assert_int_equal(inv.nerrors, 0);
    assert_int_equal(inv.nservers, 5);
    assert_int_equal(inv.n, 7);
    assert_string_equal(inv.targets[0].server, "A");
    assert_string_equal(inv.targets[0].host, "10.1.2.3");
    assert_int_equal(inv.targets[0].port, 9100);
    assert_int_equal(inv.targets[1].port, 9101);
    assert_string_equal(inv.targets[2].role, "cadvisor");
    assert_int_equal(inv.targets[2].port, 8080);
    assert_string_equal(inv.targets[3].host, "[2001:db8::5]");
    assert_false(inv.targets[3].documentation);
    assert_true(inv.targets[4].documentation);
    assert_true(inv.targets[5].self);
    assert_string_equal(inv.targets[5].host, "172.31.240.1");
    assert_string_equal(inv.targets[6].host, "cadvisor");
    assert_int_equal(inv.targets[6].line, 6);
    doc_inventory_free(&inv);
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    struct inventory inv;
    doc_inventory_init(&inv);
    doc_inventory_parse(&inv,
                        "A 1.2.3.4\n"
                        "B 1.2.3.4 node,prometheus\n"
                        "B 1.2.3.5 node\n"
                        "C 1.2.3.4 node,node\n"
                        "D self node\n"
                        "E 1.2.3.4 node:70000\n"
                        "G bad_host! node\n"
                        "H 1.2.3.4 node@nohostport\n",
                        "inv");
    assert_int_equal(inv.nerrors, 8);
    assert_string_equal(inv.errors[0], "inv:1: expected 3 columns (name address roles), found 2");
    assert_string_equal(inv.errors[1],
                        "inv:2: unknown role \"prometheus\" (known: node, cadvisor, watcher)");
    assert_string_equal(inv.errors[2], "inv:3: server \"B\" is listed twice");
    assert_string_equal(inv.errors[3], "inv:4: role node listed twice for server C");
    assert_string_equal(inv.errors[4],
                        "inv:5: address \"self\" needs explicit endpoints (role@HOST:PORT)");
    assert_string_equal(inv.errors[5], "inv:6: port \"70000\" of role node is not 1-65535");
    assert_string_equal(inv.errors[6], "inv:7: address \"bad_host!\" is not an IPv4 address, "
                                       "[IPv6] address or host name");
    assert_string_equal(inv.errors[7], "inv:8: endpoint \"nohostport\" must be HOST:PORT");
    doc_inventory_free(&inv);
}

/* issue 14: a BOM, a duplicate after the 256th server and a roles column
 * of only commas went unnoticed. */
static void hostile_inventories(void **state)
{
    (void)state;
    struct inventory inv;
    doc_inventory_init(&inv);
    doc_inventory_parse(&inv,
                        "\xef\xbb\xbf"
                        "A 10.0.0.1 node\n",
                        "inv");
    assert_int_equal(inv.nerrors, 0);
    assert_int_equal(inv.n, 1);
    assert_string_equal(inv.targets[0].server, "A");
    doc_inventory_free(&inv);

    doc_inventory_init(&inv);
    doc_inventory_parse(&inv, "A 10.0.0.1 ,,,\n", "inv");
    assert_int_equal(inv.nerrors, 1);
    assert_non_null(strstr(inv.errors[0], "inv:1: no role in \",,,\""));
    doc_inventory_free(&inv);

    struct strbuf b;
    sb_init(&b);
    for (int i = 0; i < 300; i++)
        sb_printf(&b, "s%d 10.0.%d.%d node\n", i, i / 250, i % 250 + 1);
    sb_puts(&b, "s299 10.9.9.9 node\n");
    doc_inventory_init(&inv);
    doc_inventory_parse(&inv, sb_str(&b), "inv");
    assert_int_equal(inv.nerrors, 1);
    assert_string_equal(inv.errors[0], "inv:301: server \"s299\" is listed twice");
    doc_inventory_free(&inv);
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roles_ports_endpoints),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(hostile_inventories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
