/* build/doctor --render-dashboards: the I/O around dashgen.h. Reads the
 * contract and sql/dashboard-sql.json, renders every *.json of the
 * dashboards directory and replaces (atomically) each file whose SQL
 * changes; a panel the contract leaves without a usable variant is named
 * on stderr. The committed dashboards are this command's output for the
 * committed contract (tests/static/test_contract.sh). */
#ifndef DOCTOR_RENDERDASH_H
#define DOCTOR_RENDERDASH_H

/* Returns the exit status: 0, or 2 with the file and the reason on stderr. */
int doc_render_dashboards(const char *contract_path, const char *templates_path, const char *dir);

#endif
