/* SCRAM-SHA-256 password verifiers, computed on the operator's machine.
 *
 * sql/roles.sql sets the monitoring roles' passwords from verifiers, never
 * from plaintext: a plaintext password in ALTER ROLE ... PASSWORD travels to
 * the server and lands in its log when log_statement = 'all', and a psql -v
 * on the command line shows it to every `ps`. `doctor --scram-verifier ROLE`
 * reads the password from a file, from standard input, or from a prompt
 * that does not echo, and prints what the server would have stored
 * (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>), computed by
 * libpq's PQencryptPasswordConn without connecting anywhere.
 *
 * A separate mode of the doctor because the doctor is the one operator-side
 * C tool already built against libpq; it shares no state with the checks. */
#ifndef DOCTOR_SCRAM_H
#define DOCTOR_SCRAM_H

#include <stddef.h>

/* The password in buf[0..len): one line, the trailing "\n" or "\r\n"
 * dropped. Returns its length, or -1 with err set when it is empty, holds a
 * NUL or spans several lines. Pure: no I/O. */
long doc_scram_password_line(const char *buf, size_t len, char *err, size_t errlen);

/* `doctor --scram-verifier ROLE [--password-file FILE]`: argv[0] is
 * "--scram-verifier". Returns the process exit status (0, or 2 with a
 * message on stderr). */
int doc_scram_main(int argc, char **argv);

#endif
