# build/watcher: the dead-man's switch that watches Server F from another
# server (issue 17; docs/watcher.md).
PROGRAMS += watcher
watcher_PKGS := libmicrohttpd libcurl libcjson
watcher_EXTRA_LIBS := -lpthread
