#!/usr/bin/env bash
# Fuzzes a fresh `tidewater serve` (Tools/fuzz/fuzz.py: Hypothesis, hypothesis-graphql, httpx and
# raw sockets, in a venv): generated GraphQL, malformed bodies, odd GET query strings, raw
# WebSocket frames, slow and half-sent requests. The server runs on a free loopback port with a
# data folder in a temp dir, a 2 s HTTP idle timeout and the rate limits off (so every request
# reaches the code under test), and is stopped by PID.
#
#   bash Tools/fuzz/run.sh                    # the short run `make test` does (~1,000 requests, ~2 min)
#   bash Tools/fuzz/run.sh --requests 10000   # a long run
# Other options go to fuzz.py (--examples N: Hypothesis examples per GraphQL batch).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/Tools/fuzz/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import hypothesis, hypothesis_graphql, httpx" 2>/dev/null \
  || "$venv/bin/pip" install --quiet "hypothesis==6.*" "hypothesis-graphql==0.13.*" "httpx==0.28.*"

idle=2
source "$root/Tools/lib/serve.sh"
start_tidewater --http-idle-timeout "$idle" --ws-init-timeout 2 --graphql-rate-limit off --auth-rate-limit off
status=0
"$venv/bin/python" "$root/Tools/fuzz/fuzz.py" "$url" --pid "$tidewater_pid" --data "$tidewater_data/db" \
  --bin "${TIDEWATER_BIN:-$root/.build/debug/tidewater}" --idle "$idle" --requests 1000 --examples 80 "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "tidewater's stderr (last 40 lines):"
  tail -n 40 "$tidewater_data/stderr"
fi
exit "$status"
