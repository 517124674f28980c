/* The verdict on a role's privileges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "pgprivs.h"

static struct pg_needed needed2[2];

static void base(struct pg_facts *f)
{
    memset(f, 0, sizeof(*f));
    f->role = doc_xstrdup("queue_exporter");
    f->dbname = doc_xstrdup("postgres");
    needed2[0] = (struct pg_needed){"pending_transcriptions", true, true, false};
    needed2[1] = (struct pg_needed){"pending_pdf_processing", true, true, false};
    f->needed = doc_xcalloc(2, sizeof(*f->needed));
    memcpy(f->needed, needed2, sizeof(needed2));
    f->nneeded = 2;
}

static void add_rel(struct pg_facts *f, const char *schema, const char *name, char kind,
                    const char *privs)
{
    f->rels = doc_xrealloc(f->rels, f->nrels + 1, sizeof(*f->rels));
    f->rels[f->nrels++] =
        (struct pg_relpriv){doc_xstrdup(schema), doc_xstrdup(name), kind, doc_xstrdup(privs)};
}

static void exactly_what_it_needs_passes(void **state)
{
    (void)state;
    struct pg_facts f;
    base(&f);
    add_rel(&f, "public", "pending_transcriptions", 'r', "SELECT");
    add_rel(&f, "public", "pending_pdf_processing", 'r', "SELECT");
    struct pg_verdict v;
    doc_pg_judge(&f, &v);
    assert_int_equal(v.nproblems, 0);
    assert_null(v.first_fix);
    doc_pg_verdict_free(&v);
    doc_pg_facts_free(&f);
}

static void every_extra_is_a_problem(void **state)
{
    (void)state;
    struct pg_facts f;
    base(&f);
    f.needed[1].can_select = false;
    add_rel(&f, "public", "pending_transcriptions", 'r', "SELECT,INSERT,DELETE");
    add_rel(&f, "auth", "users", 'r', "SELECT");
    add_rel(&f, "public", "ids", 'S', "USAGE");
    f.superuser = true;
    f.member_of = doc_xcalloc(1, sizeof(char *));
    f.member_of[0] = doc_xstrdup("pg_read_all_data");
    f.nmember_of = 1;
    f.create_schemas = doc_xcalloc(1, sizeof(char *));
    f.create_schemas[0] = doc_xstrdup("public");
    f.ncreate_schemas = 1;
    f.create_db = true;
    struct pg_verdict v;
    doc_pg_judge(&f, &v);
    assert_int_equal(v.nproblems, 8);
    assert_string_equal(sb_str(&v.problems),
                        "cannot SELECT public.pending_pdf_processing; is a superuser; is a member "
                        "of role pg_read_all_data (it can use that role's privileges); may "
                        "INSERT, DELETE on public.pending_transcriptions; may SELECT on auth.users "
                        "(not needed); may USAGE on public.ids (not needed); may CREATE in schema "
                        "public; may CREATE schemas in database postgres");
    assert_string_equal(v.first_fix,
                        "GRANT SELECT ON public.pending_pdf_processing TO queue_exporter "
                        "(sql/roles.sql)");
    doc_pg_verdict_free(&v);
    doc_pg_facts_free(&f);
}

static void missing_tables_and_rls(void **state)
{
    (void)state;
    struct pg_facts f;
    base(&f);
    f.needed[0].exists = false;
    f.needed[0].can_select = false;
    f.needed[1].rls_blocks = true;
    struct pg_verdict v;
    doc_pg_judge(&f, &v);
    assert_int_equal(v.nproblems, 2);
    assert_string_equal(sb_str(&v.problems),
                        "table public.pending_transcriptions does not exist; row level security on "
                        "public.pending_pdf_processing has no policy for this role: its queries "
                        "return no rows");
    doc_pg_verdict_free(&v);
    doc_pg_facts_free(&f);
}

static void sequence_fix_names_the_sequence(void **state)
{
    (void)state;
    struct pg_facts f;
    base(&f);
    add_rel(&f, "public", "ids", 'S', "USAGE");
    struct pg_verdict v;
    doc_pg_judge(&f, &v);
    assert_string_equal(v.first_fix,
                        "REVOKE ALL ON SEQUENCE public.ids FROM queue_exporter (and FROM PUBLIC if "
                        "granted there)");
    doc_pg_verdict_free(&v);
    doc_pg_facts_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exactly_what_it_needs_passes),
        cmocka_unit_test(every_extra_is_a_problem),
        cmocka_unit_test(missing_tables_and_rls),
        cmocka_unit_test(sequence_fix_names_the_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
