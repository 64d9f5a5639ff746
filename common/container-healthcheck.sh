#!/bin/sh
# Health check of the backend and inference images: recotem-healthcheck SECONDS COMMAND...
# Docker 20.10 has no start_interval: a check's interval is both how soon a starting
# service is seen healthy and how often a running one is probed. The checks therefore run
# every 2 s, and this runs COMMAND only when no success of it is younger than SECONDS: a
# running service is probed every SECONDS (its interval before), a starting or failing one
# at every check until it passes.
set -eu
every=$1
shift
# The stamp is named after the start time of PID 1, so a restarted container has none.
started=$(sed 's/.*) //' /proc/1/stat | cut -d' ' -f20)
stamp="${TMPDIR:-/tmp}/recotem-healthy.$started"
if [ -f "$stamp" ] && [ $(($(date +%s) - $(stat -c %Y "$stamp"))) -lt "$every" ]; then
    exit 0
fi
"$@"
# A read-only temporary directory only costs a probe at every check.
touch "$stamp" 2>/dev/null || true
