#!/usr/bin/env bash
# Makes sure the system tools some tests drive are installed (Debian packages, as root):
#   chromium    opens a run's report.html headless (test/report-e2e.test.ts)
#   linux-perf  the perf binary behind --monitor perf (test/monitor-perf*.test.ts)
# Idempotent: a tool already on PATH is left as it is. Exits non-zero naming what failed.
set -euo pipefail

say() { echo "ensure-tools: $*" >&2; }
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v perf >/dev/null 2>&1 || missing+=(linux-perf)
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  say "FAILED: ${missing[*]} missing, and installing them needs root (apt-get install ${missing[*]})"
  exit 1
fi
say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
command -v chromium >/dev/null && command -v perf >/dev/null || { say "FAILED: still missing after apt-get"; exit 1; }
