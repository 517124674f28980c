# daily-report: the 08:00 health email (see docs/daily-report.md).
PROGRAMS += daily-report
daily-report_PKGS := libcurl libpq libcjson cairo fontconfig libmicrohttpd yaml-0.1
daily-report_EXTRA_LIBS :=
