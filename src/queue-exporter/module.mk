# queue-exporter: Supabase job-queue depths as Prometheus metrics (issue 3).
PROGRAMS += queue-exporter
queue-exporter_PKGS := libpq libmicrohttpd inih
queue-exporter_EXTRA_LIBS := -lpthread
