#!/usr/bin/env bash
# ensure-docker.sh makes a Docker engine answer on this machine, for `make up` and CI.
#
# On a machine where `docker info` already works (a laptop, Docker Desktop) it does nothing.
# Otherwise, as root with apt, it installs Debian's docker.io, starts dockerd and waits for it.
# When the kernel's capability bounding set lacks CAP_SYS_RESOURCE (some VMs and sandboxes),
# Docker 20.10 cannot start privileged containers such as Kind nodes: there, and only there,
# it registers an OCI runtime wrapper that drops that one capability before calling runc.
set -euo pipefail

log() { printf '• %s\n' "$*" >&2; }
die() { printf '✗ %s\n' "$*" >&2; exit 1; }

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  die "Docker is not reachable (docker info failed). Start Docker (Docker Desktop, or 'sudo systemctl start docker') and try again."
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v jq >/dev/null 2>&1 || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# CAP_SYS_RESOURCE is capability 24.
capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
wrapper=/usr/local/libexec/kdev/runc-drop-sys-resource
if (( (0x$capbnd >> 24 & 1) == 0 )); then
  log "CAP_SYS_RESOURCE is missing from the bounding set: registering $wrapper as Docker's default runtime"
  install -d /usr/local/libexec/kdev /etc/docker
  cat >"$wrapper" <<'WRAP'
#!/bin/sh
# Drops CAP_SYS_RESOURCE from an OCI bundle (runc create/run) or process spec (runc exec),
# because this kernel cannot grant it and Docker asks for it on privileged containers.
bundle= proc= prev=
for arg in "$@"; do
  case "$prev" in --bundle|-b) bundle=$arg ;; --process|-p) proc=$arg ;; esac
  case "$arg" in --bundle=*) bundle=${arg#--bundle=} ;; --process=*) proc=${arg#--process=} ;; esac
  prev=$arg
done
drop() {
  [ -f "$1" ] || return 0
  jq "if $2 then $2 |= map_values(map(select(. != \"CAP_SYS_RESOURCE\"))) else . end" "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}
[ -n "$bundle" ] && drop "$bundle/config.json" .process.capabilities
[ -n "$proc" ] && drop "$proc" .capabilities
exec runc "$@"
WRAP
  chmod 0755 "$wrapper"
  conf=/etc/docker/daemon.json
  [ -s "$conf" ] || echo '{}' >"$conf"
  jq --arg p "$wrapper" '.runtimes["kdev-runc"] = {"path": $p} | ."default-runtime" = "kdev-runc"' "$conf" >"$conf.tmp"
  mv "$conf.tmp" "$conf"
fi

if pgrep -x dockerd >/dev/null; then
  log "dockerd is running but does not answer; reloading its configuration"
  kill -HUP "$(pgrep -xo dockerd)"
else
  log "starting dockerd (log: /var/log/kdev-dockerd.log)"
  nohup dockerd >/var/log/kdev-dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "Docker $(docker version --format '{{.Server.Version}}') is up"
    exit 0
  fi
  sleep 1
done
die "dockerd did not answer within 60 s; see /var/log/kdev-dockerd.log"
