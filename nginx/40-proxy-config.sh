#!/bin/sh
# Run by the nginx image's entrypoint after the templates are rendered: points proxy.conf,
# the file nginx starts with (see proxy.dockerfile), at the configuration PROXY_CONFIG
# names: nginx.conf for the whole platform (the default) or nginx-inference.conf for the
# serving-only stack. Creates PROXY_RUNTIME_DIR (pid file, temporary files), which may be
# on a fresh /tmp.
set -eu
dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
config="${PROXY_CONFIG:-nginx.conf}"
case "$config" in
    nginx.conf | nginx-inference.conf) ;;
    *)
        echo "PROXY_CONFIG=$config: use nginx.conf (whole platform) or nginx-inference.conf (serving only)." >&2
        exit 1
        ;;
esac
ln -sf "$config" "$dir/proxy.conf"
mkdir -p "${PROXY_RUNTIME_DIR:?}"
