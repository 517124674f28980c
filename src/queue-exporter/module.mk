# queue-exporter: Supabase job-queue depths as Prometheus metrics (issue 3).
PROGRAMS += queue-exporter
queue-exporter_PKGS := libpq libmicrohttpd inih yaml-0.1
queue-exporter_EXTRA_LIBS := -lpthread
