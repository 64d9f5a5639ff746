#!/bin/sh
# Entrypoint of the backend and inference images. Each secret may come from a file instead
# of the environment (Docker or Kubernetes secrets): NAME_FILE names the file and NAME is
# read from it, as the official database images do. Then the command runs as PID 1.
set -eu
for name in SECRET_KEY DATABASE_URL POSTGRES_PASSWORD DEFAULT_ADMIN_PASSWORD REDIS_PASSWORD \
    MODEL_SIGNING_KEYS AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
    eval "file=\${${name}_FILE:-}"
    [ -n "$file" ] || continue
    eval "inline=\${${name}:-}"
    if [ -n "$inline" ]; then
        echo "Both $name and ${name}_FILE are set; set only one of them." >&2
        exit 64
    fi
    if [ ! -r "$file" ]; then
        echo "${name}_FILE names $file, which does not exist or is not readable by uid $(id -u)." >&2
        exit 66
    fi
    # $(...) drops the trailing newline that editors and `echo` leave in secret files.
    value=$(cat "$file")
    export "$name=$value"
    unset "${name}_FILE"
done
unset name file inline value
# numba's cache must be writable (the image's files may be read-only): seed it with the
# loops the image compiled at build time.
if [ -n "${NUMBA_CACHE_DIR:-}" ] && [ -d /opt/numba-cache ]; then
    mkdir -p "$NUMBA_CACHE_DIR" && cp -R -n /opt/numba-cache/. "$NUMBA_CACHE_DIR/" \
        || echo "Could not copy the compiled scoring loops into $NUMBA_CACHE_DIR; the first prediction of each model compiles them." >&2
fi
exec "$@"
