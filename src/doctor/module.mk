# build/doctor: the preflight doctor (checks .env, Wasabi, SMTP, Supabase,
# inventory targets, DNS and the running stack; see docs/doctor.md).
PROGRAMS += doctor
doctor_PKGS := libcurl libpq libcjson openssl yaml-0.1 inih
doctor_EXTRA_LIBS :=
# The env tables of the programs it checks the .env for (src/common/envvar.h):
# objects of other programs linked into this one.
doctor_LINK_FROM := daily-report/envtable queue-exporter/envtable daily-report/bizsql queue-exporter/sql queue-exporter/config
# Its unit tests also run the daily report's real configuration loader.
doctor_TEST_LINK_FROM := daily-report/settings
