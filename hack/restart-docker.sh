#!/usr/bin/env bash
# restart-docker.sh restarts the Docker engine, as a laptop's reboot or a package
# upgrade does, for the fault suite (e2e/fault): with systemd when it runs Docker, else
# by stopping the dockerd that hack/ensure-docker.sh started and starting it again.
# Containers with a restart policy (kind's nodes, kdev's mirrors) come back by themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../images/lib.sh
. images/lib.sh

if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker 2>/dev/null; then
  log "restarting Docker with systemd"
  systemctl restart docker
else
  pid=$(pgrep -xo dockerd) || die "no dockerd runs here, and systemd does not run Docker: nothing to restart"
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    die "dockerd (pid $pid) did not stop within 60 s"
  fi
fi
hack/ensure-docker.sh
