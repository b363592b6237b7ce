# Sourced by the independent checks (Tools/conformance, Tools/realtime): starts `tidewater serve`
# on a free loopback port with a fresh data folder, sets $url to its /graphql address, and stops
# it by PID (and removes the data) when the calling script exits. Extra serve options: "$@".
start_tidewater() {
  local root bin
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  bin="${TIDEWATER_BIN:-$root/.build/debug/tidewater}"
  tidewater_data="$(mktemp -d)"
  local out="$tidewater_data/stdout"
  "$bin" serve --schema "$root/Schema/example.graphql" --data "$tidewater_data/db" --host 127.0.0.1 --port 0 "$@" \
    >"$out" 2>"$tidewater_data/stderr" &
  tidewater_pid=$!
  trap stop_tidewater EXIT

  url=""
  for _ in $(seq 1 600); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/graphql' "$out" || true)"
    [ -n "$url" ] && return 0
    kill -0 "$tidewater_pid" 2>/dev/null || { echo "tidewater exited early:"; cat "$tidewater_data/stderr"; exit 1; }
    sleep 0.1
  done
  echo "tidewater did not print its URL within 60 s"
  exit 1
}

stop_tidewater() {
  kill -TERM "$tidewater_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$tidewater_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$tidewater_pid" 2>/dev/null || true
  rm -rf "$tidewater_data"
}
