# Stand-in for the official nginx image: Debian's nginx with the same layout (conf.d,
# /usr/share/nginx/html, user nginx uid 101, logs to stdout/stderr) and an entrypoint that
# runs /docker-entrypoint.d the same way (*.envsh sourced, *.sh run, templates rendered).
FROM recotem-standin/bookworm:minbase
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx gettext-base wget \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled /etc/nginx/conf.d/* \
    && userdel www-data \
    && groupadd --system --gid 101 nginx \
    && useradd --system --uid 101 --gid nginx --home-dir /nonexistent --shell /bin/false nginx \
    && mkdir -p /var/cache/nginx /usr/share/nginx/html /docker-entrypoint.d \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx-entrypoint.sh /docker-entrypoint.sh
COPY nginx-envsubst-on-templates.sh /docker-entrypoint.d/20-envsubst-on-templates.sh
ENTRYPOINT ["/docker-entrypoint.sh"]
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
