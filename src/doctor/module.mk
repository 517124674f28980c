# build/doctor: the preflight doctor (checks .env, Wasabi, SMTP, Supabase,
# inventory targets, DNS and the running stack; see docs/doctor.md).
PROGRAMS += doctor
doctor_PKGS := libcurl libpq libcjson openssl
doctor_EXTRA_LIBS :=
