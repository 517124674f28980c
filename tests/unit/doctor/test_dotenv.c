/* .env parsing: the compose subset, errors by line number, '$' detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"

static struct dotenv parse(const char *text)
{
    struct dotenv env;
    doc_dotenv_init(&env);
    doc_dotenv_parse(&env, text, strlen(text));
    return env;
}

static void plain_values_comments_and_export(void **state)
{
    (void)state;
    struct dotenv env = parse("# comment\n\n  A=1\nexport B=two words  # note\nC=x#y\n"
                              "D=\nE=   # only a comment\nF=#literal\n");
    assert_int_equal(env.nerrors, 0);
    assert_string_equal(doc_dotenv_get(&env, "A"), "1");
    assert_string_equal(doc_dotenv_get(&env, "B"), "two words");
    assert_string_equal(doc_dotenv_get(&env, "C"), "x#y");
    assert_string_equal(doc_dotenv_get(&env, "D"), "");
    assert_string_equal(doc_dotenv_get(&env, "E"), "");
    assert_string_equal(doc_dotenv_get(&env, "F"), "#literal");
    assert_null(doc_dotenv_get(&env, "G"));
    assert_int_equal(doc_dotenv_find(&env, "B")->line, 4);
    doc_dotenv_free(&env);
}

static void quotes_and_escapes(void **state)
{
    (void)state;
    struct dotenv env = parse("S='a $b \\n # c'  # after\nD=\"x\\\"y\\\\z\\n\\$v\"\n"
                              "E=\"has $HOME\"\nU=p$ss\n");
    assert_int_equal(env.nerrors, 0);
    assert_string_equal(doc_dotenv_get(&env, "S"), "a $b \\n # c");
    assert_false(doc_dotenv_find(&env, "S")->expands);
    assert_int_equal(doc_dotenv_find(&env, "S")->quote, DOTENV_SINGLE);
    assert_string_equal(doc_dotenv_get(&env, "D"), "x\"y\\z\n$v");
    assert_false(doc_dotenv_find(&env, "D")->expands); /* \$ is escaped */
    assert_true(doc_dotenv_find(&env, "E")->expands);
    assert_true(doc_dotenv_find(&env, "U")->expands);
    doc_dotenv_free(&env);
}

static void errors_name_the_line_only(void **state)
{
    (void)state;
    struct dotenv env = parse("A=1\nsecret words here\nB='open\nC=\"open\n1X=2\nD='a' b\n");
    assert_int_equal(env.nerrors, 5);
    assert_string_equal(env.errors[0],
                        "line 2: expected KEY=VALUE (a name of letters, digits and _, then =)");
    assert_string_equal(env.errors[1], "line 3: unterminated single quote");
    assert_string_equal(env.errors[2], "line 4: unterminated double quote");
    assert_string_equal(env.errors[3],
                        "line 5: expected KEY=VALUE (a name of letters, digits and _, then =)");
    assert_string_equal(env.errors[4], "line 6: unexpected text after the closing quote");
    for (size_t i = 0; i < env.nerrors; i++)
        assert_null(strstr(env.errors[i], "secret"));
    assert_string_equal(doc_dotenv_get(&env, "A"), "1");
    doc_dotenv_free(&env);
}

static void duplicates_keep_the_last_and_remember_the_first(void **state)
{
    (void)state;
    struct dotenv env = parse("K=1\nK=2\n");
    assert_string_equal(doc_dotenv_get(&env, "K"), "2");
    assert_int_equal(doc_dotenv_find(&env, "K")->duplicate_of, 1);
    assert_int_equal(env.entries[0].duplicate_of, 0);
    doc_dotenv_free(&env);
}

static void crlf_bom_and_spaces_around_equals(void **state)
{
    (void)state;
    struct dotenv env = parse("\xEF\xBB\xBF"
                              "A=1\r\nB = 2\r\n");
    assert_int_equal(env.nerrors, 0);
    assert_string_equal(doc_dotenv_get(&env, "A"), "1");
    assert_string_equal(doc_dotenv_get(&env, "B"), "2");
    doc_dotenv_free(&env);
}

static void nul_byte_is_an_error(void **state)
{
    (void)state;
    struct dotenv env;
    doc_dotenv_init(&env);
    const char text[] = "A=1\nB=\0x\n";
    doc_dotenv_parse(&env, text, sizeof(text) - 1);
    assert_int_equal(env.nerrors, 1);
    assert_string_equal(env.errors[0], "line 2: contains a NUL byte (binary file?)");
    doc_dotenv_free(&env);
}

static void load_reports_a_missing_file(void **state)
{
    (void)state;
    struct dotenv env;
    doc_dotenv_init(&env);
    char err[256];
    assert_int_equal(doc_dotenv_load(&env, "/nonexistent/doctor.env", err, sizeof(err)), -1);
    assert_string_equal(err, "cannot read /nonexistent/doctor.env: No such file or directory");
    doc_dotenv_free(&env);
}

/* Issue 14 item 11: a 1 MiB .env of 100k keys took 54 s, every key being
 * compared with every earlier one (5e9 comparisons). The work is counted,
 * not timed: lookups compare a handful of keys each, whatever the size. */
static void many_keys_cost_linear_work(void **state)
{
    (void)state;
    enum { N = 100000 };
    size_t cap = (size_t)N * 24 + 1, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < N; i++) /* distinct keys, then every 10th one again */
        len += (size_t)snprintf(text + len, cap - len, "K%06d=v\n", i);
    for (int i = 0; i < N; i += 10)
        len += (size_t)snprintf(text + len, cap - len, "K%06d=w\n", i);
    struct dotenv env;
    doc_dotenv_init(&env);
    doc_dotenv_parse(&env, text, len);
    assert_int_equal(env.n, N + N / 10);
    assert_int_equal(env.nkeys, N);
    unsigned long long parse_compares = env.key_compares;
    /* 110k insertions into a table at most half full. */
    assert_true(parse_compares < 8ULL * (N + N / 10));
    for (int i = 0; i < N; i++) {
        char key[16];
        snprintf(key, sizeof(key), "K%06d", i);
        const struct dotenv_entry *e = doc_dotenv_find(&env, key);
        assert_non_null(e);
        assert_string_equal(e->value, i % 10 ? "v" : "w"); /* the last one wins */
        assert_int_equal(e->duplicate_of, i % 10 ? 0 : i + 1);
    }
    assert_null(doc_dotenv_find(&env, "K100000"));
    assert_true(env.key_compares - parse_compares < 8ULL * N);
    doc_dotenv_free(&env);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_values_comments_and_export),
        cmocka_unit_test(quotes_and_escapes),
        cmocka_unit_test(errors_name_the_line_only),
        cmocka_unit_test(duplicates_keep_the_last_and_remember_the_first),
        cmocka_unit_test(crlf_bom_and_spaces_around_equals),
        cmocka_unit_test(nul_byte_is_an_error),
        cmocka_unit_test(load_reports_a_missing_file),
        cmocka_unit_test(many_keys_cost_linear_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
