#!/usr/bin/env bash
# Makes sure the engine at DOCKER_HOST has every third-party image that the Dockerfiles and
# compose files name: pulled when a registry answers, otherwise built here as a stand-in
# from Debian's packages (see standins/). Each stand-in is announced on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work="${RECOTEM_ENGINE_DIR:-/tmp/recotem-engine}/standins"

# The official images and the recipe that stands in for each; test_container_files.py
# checks that this list covers every image the project's files name.
declare -A RECIPES=(
  ["python:3.12-slim-bookworm"]=python
  ["ghcr.io/astral-sh/uv:0.13.9"]=uv
  ["node:22-bookworm-slim"]=node
  ["nginx:1.28-alpine"]=nginx
  ["postgres:17-alpine"]=postgres
  ["redis:7.4-alpine"]=redis
)

uv_bin=$(command -v uv || echo "$here/../../.tools/bin/uv")

log() { echo "standins: $*" >&2; }

have() { docker image inspect "$1" >/dev/null 2>&1; }

base_image() {
  local name=recotem-standin/bookworm:minbase
  have "$name" && return
  command -v debootstrap >/dev/null || { log "debootstrap is missing"; exit 1; }
  local mirror rootfs="$work/rootfs"
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\/*\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  mirror=${mirror:-http://deb.debian.org/debian}
  log "debootstrap bookworm (minbase) from $mirror"
  rm -rf "$rootfs" && mkdir -p "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # Package installs during a build must not start their services on the host's network.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod +x "$rootfs/usr/sbin/policy-rc.d"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$name" >/dev/null
  rm -rf "$rootfs"
}

# What a stand-in really is, for the announcement.
describe() {
  case $1 in
    python) echo "CPython $(docker run --rm "$2" python3 -c 'import platform; print(platform.python_version())') built with pyenv, on Debian 12" ;;
    uv) echo "this machine's $("$uv_bin" --version | cut -d' ' -f1-2)" ;;
    node) echo "this machine's Node.js $(node --version), on Debian 12" ;;
    nginx) echo "Debian 12's nginx 1.22" ;;
    postgres) echo "Debian 12's PostgreSQL 15" ;;
    redis) echo "Debian 12's Redis 7.0" ;;
  esac
}

# The build context of each recipe: what it copies from this machine.
context() {
  local recipe=$1 dir="$work/context-$1"
  rm -rf "$dir" && mkdir -p "$dir"
  case $recipe in
    python)
      local version
      version=$(ls -d "$(pyenv root 2>/dev/null || echo /root/.pyenv)"/versions/3.12.* | sort -V | tail -1)
      cp -a "$version/." "$dir/"
      rm -rf "$dir"/lib/python3.12/{test,idlelib,tkinter,turtledemo} \
        "$dir"/lib/python3.12/config-3.12-*/*.a "$dir"/bin/{idle*,2to3*,pip*,pydoc*}
      ;;
    uv) cp "$uv_bin" "$dir/uv" ;;
    node)
      cp "$(command -v node)" "$dir/node"
      mkdir -p "$dir/node_modules"
      cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/../../npm" "$dir/node_modules/"
      ;;
    *) cp "$here"/standins/"$recipe"-*.sh "$dir/" ;;
  esac
  echo "$dir"
}

mkdir -p "$work"
for image in "${!RECIPES[@]}"; do
  have "$image" && continue
  if docker pull -q "$image" >/dev/null 2>&1; then
    continue
  fi
  recipe=${RECIPES[$image]}
  base_image
  log "building a stand-in for $image"
  dir=$(context "$recipe")
  docker build -q --network host -t "$image" -f "$here/standins/$recipe.dockerfile" "$dir" >/dev/null 2>"$work/build.log" \
    || { tail -20 "$work/build.log" >&2; log "the stand-in for $image did not build"; exit 1; }
  rm -rf "$dir"
  # A label cannot be added to an image afterwards, so a labelled copy replaces it.
  echo "FROM $image" | docker build -q -t "$image" --label org.recotem.standin=true \
    --label "org.recotem.standin.of=$(describe "$recipe" "$image")" - >/dev/null 2>&1
done

for image in $(printf '%s\n' "${!RECIPES[@]}" | sort); do
  if [ "$(docker image inspect -f '{{index .Config.Labels "org.recotem.standin"}}' "$image" 2>/dev/null)" = true ]; then
    echo "stand-in image: $image ($(docker image inspect -f '{{index .Config.Labels "org.recotem.standin.of"}}' "$image"))"
  fi
done
