#!/bin/sh
# As the official redis image: arguments alone (or a .conf file) go to redis-server.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi
exec "$@"
