#!/usr/bin/env bash
# Independent conformance check: starts `tidewater serve` on a free loopback port with a fresh
# data folder, runs introspection_check.py (graphql-core, in a venv) against it, stops it by PID.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${TIDEWATER_BIN:-$root/.build/debug/tidewater}"
venv="$root/Tools/conformance/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import graphql" 2>/dev/null || "$venv/bin/pip" install --quiet "graphql-core==3.2.*"

data="$(mktemp -d)"
out="$data/stdout"
"$bin" serve --schema "$root/Schema/example.graphql" --data "$data/db" --host 127.0.0.1 --port 0 >"$out" 2>"$data/stderr" &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

url=""
for _ in $(seq 1 600); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/graphql' "$out" || true)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "tidewater exited early:"; cat "$data/stderr"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "tidewater did not print its URL within 60 s"; exit 1; }

"$venv/bin/python" "$root/Tools/conformance/introspection_check.py" "$url"
