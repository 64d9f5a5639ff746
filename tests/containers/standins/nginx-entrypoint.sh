#!/bin/sh
# The official nginx image's entrypoint, in short: for `nginx ...`, source *.envsh and run
# *.sh from /docker-entrypoint.d in order, then exec the command.
set -e
if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
    for f in $(find /docker-entrypoint.d/ -follow -type f | sort -V); do
        case "$f" in
            *.envsh) [ -x "$f" ] && . "$f" ;;
            *.sh) [ -x "$f" ] && "$f" ;;
        esac
    done
fi
exec "$@"
