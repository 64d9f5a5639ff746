# Recotem's proxy image: the web UI built from frontend/, served by nginx with the
# templates nginx.conf, nginx-inference.conf and nginx/ (filled from PROXY_* variables when
# the container starts). Built from the repository root:
#   docker build -f proxy.dockerfile -t recotem-proxy .
ARG NODE_IMAGE=node:22-bookworm-slim
ARG NGINX_IMAGE=nginx:1.28-alpine

FROM ${NODE_IMAGE} AS spa
WORKDIR /frontend
# The manifests alone first, so a change of the sources reuses the installed packages. The
# wildcards let a checkout without frontend/ reach the explicit message below.
COPY frontend*/package.json frontend*/package-lock.json ./
RUN if [ ! -f package.json ] || [ ! -f package-lock.json ]; then \
        echo "proxy.dockerfile: frontend/package.json and frontend/package-lock.json are missing;" \
            "the proxy image serves the web UI built from frontend/." >&2; \
        exit 1; \
    fi
# See backend/Dockerfile for the "ca" secret.
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
    && npm ci --no-audit --no-fund
COPY frontend* ./
RUN npm run build && test -f dist/index.html

FROM ${NGINX_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="recotem-proxy" \
      org.opencontainers.image.description="Recotem's web UI and reverse proxy (nginx)" \
      org.opencontainers.image.source="https://github.com/recotem/recotem" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY nginx.conf /etc/nginx/templates/nginx.conf.template
COPY nginx-inference.conf /etc/nginx/templates/nginx-inference.conf.template
COPY nginx/main.conf /etc/nginx/templates/nginx/main.conf.template
COPY nginx/http.conf /etc/nginx/templates/nginx/http.conf.template
COPY nginx/server.conf /etc/nginx/templates/nginx/server.conf.template
COPY nginx/15-proxy-defaults.envsh nginx/40-proxy-config.sh /docker-entrypoint.d/
COPY --from=spa /frontend/dist /usr/share/nginx/html
# nginx runs as its own user: the rendered configuration and PROXY_RUNTIME_DIR (under /tmp)
# are its only writable paths.
RUN chown -R nginx:nginx /etc/nginx/conf.d
USER 101:101
EXPOSE 8000
# The proxy's own endpoint: healthy while nginx serves, whatever the upstreams' state.
# PROXY_LISTEN is a port or an address:port. Checked every 2 s, so that a new proxy is
# healthy within seconds (Docker 20.10 has no start_interval): wget against nginx costs
# next to nothing, and the retries keep the 30 s of failures it takes to be unhealthy.
HEALTHCHECK --interval=2s --timeout=3s --start-period=10s --retries=15 \
    CMD ["sh", "-c", "l=${PROXY_LISTEN:-8000}; case $l in *:*) ;; *) l=127.0.0.1:$l ;; esac; wget -q -O /dev/null http://$l/healthz"]
STOPSIGNAL SIGQUIT
CMD ["nginx", "-c", "/etc/nginx/conf.d/proxy.conf", "-g", "daemon off;"]
