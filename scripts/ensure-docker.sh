#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket, for the embedded platform's container
# instances and their tests. Idempotent: when `docker info` answers it does nothing.
#
# Otherwise, as root: installs Debian's docker.io when dockerd is missing, then starts
#   dockerd --iptables=false --ip-forward=false --bridge=none --storage-driver=vfs
# in the background (this machine's recipe: no bridge network, containers use host networking;
# vfs because overlayfs cannot be mounted here), logging to $FAASLOAD_DOCKERD_LOG
# (default /tmp/faasload-dockerd.log), and waits up to $FAASLOAD_DOCKERD_WAIT_S seconds
# (default 60) for GET /_ping. Exits non-zero, with the end of the log, if the engine does not
# come up. The engine it starts outlives this script (it ends with the session or CI run).
set -uo pipefail

log=${FAASLOAD_DOCKERD_LOG:-/tmp/faasload-dockerd.log}
wait_s=${FAASLOAD_DOCKERD_WAIT_S:-60}
sock=/var/run/docker.sock

say() { echo "ensure-docker: $*" >&2; }

fail() {
  say "FAILED: $*"
  if [[ -s $log ]]; then
    say "last lines of $log:"
    tail -n 40 "$log" >&2
  fi
  exit 1
}

# The engine answers: GET /_ping through the socket (curl when present), else `docker info`.
answers() {
  if command -v curl >/dev/null 2>&1 && [[ -S $sock && -z ${DOCKER_HOST:-} ]]; then
    [[ $(curl -s --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null) == OK ]]
  else
    command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1
  fi
}

if answers; then exit 0; fi

if [[ $(id -u) -ne 0 ]]; then
  fail "no Docker engine answers and only root can start one (run this script as root)"
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing docker.io (Debian's Docker engine)"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have no package lists yet; one update, then the install.
  if ! apt-get install -y -q docker.io >>"$log" 2>&1; then
    apt-get update -q >>"$log" 2>&1 || true
    apt-get install -y -q docker.io >>"$log" 2>&1 || fail "apt-get install docker.io failed"
  fi
  command -v dockerd >/dev/null 2>&1 || fail "docker.io is installed but dockerd is not on PATH"
fi

# A dockerd that is already starting (e.g. a concurrent call) is waited for, not started twice.
pid=$(pgrep -x dockerd | head -n 1 || true)
if [[ -z $pid ]]; then
  say "starting dockerd (log: $log)"
  echo "--- $(date -u +%FT%TZ) ensure-docker: starting dockerd" >>"$log"
  setsid nohup dockerd --iptables=false --ip-forward=false --bridge=none --storage-driver=vfs \
    </dev/null >>"$log" 2>&1 &
  pid=$!
else
  say "dockerd is running (pid $pid) but does not answer yet: waiting for it"
fi

deadline=$((SECONDS + wait_s))
until answers; do
  if ! kill -0 "$pid" 2>/dev/null; then fail "dockerd (pid $pid) exited"; fi
  if ((SECONDS >= deadline)); then fail "dockerd (pid $pid) did not answer within ${wait_s} s"; fi
  sleep 0.5
done
say "Docker engine is up ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
