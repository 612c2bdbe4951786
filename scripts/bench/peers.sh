#!/usr/bin/env bash
# Installs the peers of the pacing benchmark (scripts/bench/pacing.ts), outside the repository:
#   wrk, hey and GNU time from Debian's apt; autocannon 9 and Artillery 2.0.21 from npm into
#   $FAASLOAD_BENCH_PEERS (default ${TMPDIR:-/tmp}/faasload-bench-peers), never into package.json.
# Idempotent: what is already there is kept. Prints one line per peer (ok / FAILED: why) and
# exits 1 when any failed; the benchmark then reports that peer as 'not installed'.
set -u
PREFIX="${FAASLOAD_BENCH_PEERS:-${TMPDIR:-/tmp}/faasload-bench-peers}"
declare -A STATUS=()
failed=0

# apt packages: command name -> package name
apt_missing=()
for pair in wrk:wrk hey:hey time:time; do
  cmd="${pair%%:*}"
  pkg="${pair##*:}"
  bin="$cmd"
  [ "$cmd" = time ] && bin=/usr/bin/time
  if command -v "$bin" >/dev/null 2>&1; then STATUS[$cmd]="ok (already installed)"; else apt_missing+=("$pkg"); fi
done
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
updated=0
for pkg in ${apt_missing[@]+"${apt_missing[@]}"}; do
  log="$(mktemp)"
  # One package at a time, so that one that fails does not take the others with it; the package
  # lists may be missing or stale: refresh them once and try again.
  if ! $SUDO apt-get install -y "$pkg" >"$log" 2>&1 && [ "$updated" = 0 ]; then
    updated=1
    $SUDO apt-get update >>"$log" 2>&1
    $SUDO apt-get install -y "$pkg" >>"$log" 2>&1
  fi
  bin="$pkg"
  [ "$pkg" = time ] && bin=/usr/bin/time
  if command -v "$bin" >/dev/null 2>&1; then
    STATUS[$pkg]="ok (installed with apt-get)"
  else
    STATUS[$pkg]="FAILED: apt-get install $pkg: $(grep -m1 -E '^(E:|W:)|not found' "$log" || tail -1 "$log")"
    failed=1
  fi
  rm -f "$log"
done

# npm packages, pinned, into the prefix: name -> wanted version (prefix match for autocannon 9)
mkdir -p "$PREFIX"
[ -f "$PREFIX/package.json" ] || echo '{"name":"faasload-bench-peers","private":true}' >"$PREFIX/package.json"
installed_version() {
  node -e 'try{console.log(require(process.argv[1]).version)}catch{}' "$PREFIX/node_modules/$1/package.json"
}
for spec in autocannon@9 artillery@2.0.21; do
  name="${spec%@*}"
  want="${spec#*@}"
  have="$(installed_version "$name")"
  if [ -n "$have" ] && { [ "$have" = "$want" ] || [[ "$have" == "$want".* ]]; } && [ -x "$PREFIX/node_modules/.bin/$name" ]; then
    STATUS[$name]="ok ($name $have already in $PREFIX)"
    continue
  fi
  log="$(mktemp)"
  if npm install --prefix "$PREFIX" --ignore-scripts --no-audit --no-fund --save-exact "$spec" >"$log" 2>&1 &&
    [ -x "$PREFIX/node_modules/.bin/$name" ]; then
    STATUS[$name]="ok ($name $(installed_version "$name") installed in $PREFIX)"
  else
    STATUS[$name]="FAILED: npm install $spec: $(grep -m1 -E 'ERR!|error' "$log" || tail -1 "$log")"
    failed=1
  fi
  rm -f "$log"
done

for peer in wrk hey time autocannon artillery; do
  printf '%-11s %s\n' "$peer" "${STATUS[$peer]}"
done
echo "npm peers are in $PREFIX/node_modules/.bin"
exit "$failed"
