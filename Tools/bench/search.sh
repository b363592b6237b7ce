#!/usr/bin/env bash
# Search benchmark (ARCHITECTURE §10.1). Three parts, each on a fresh Tidewater with the create
# benchmark's schema (open.graphql, guests) and wrk at --connections:
#   1. create cost: the create load (wrk/tidewater-create.lua) against open.graphql, and against
#      the same schema with Note @searchable(fields: ["title", "body", "tags"]);
#   2. index lag: the same create load, while one more connection creates a note with a unique
#      word and polls searchNotes until it is found (commit → searchable, p50/p99);
#   3. query cost: --records notes loaded with batched mutations (every --every-th title holds
#      the word "harbour"), then searchNotes(match: harbour) and listNotes(contains: harbour)
#      side by side, limit 20.
# See Tools/bench/README.md ("Search") for the commands and caveats.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH_PY="$HERE/bench.py"
SEARCH_PY="$HERE/search_bench.py"
WRK_DIR="$HERE/wrk"
START_TIMEOUT=120
WRK_TIMEOUT=10s

DURATION=10s
CONNECTIONS=16
RECORDS=1000000
EVERY=10000
WORD=harbour
LOAD_WORKERS=32
ROUNDS=3
BUILD=1
PARTS="create lag query"
DURABILITY=full
OUT=""

usage() {
  cat <<USAGE
usage: Tools/bench/search.sh [--duration 10s] [--connections 16] [--rounds 3] [--records 1000000] [--every 10000]
                             [--parts "create lag query"] [--durability full|normal] [--no-build] [--out FILE]
USAGE
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'search.sh: %s\n' "$*" >&2; exit 1; }
# wait_healthy, stop_pid
source "$ROOT/Tools/lib/pocketbase.sh"

while (($#)); do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --records) RECORDS="$2"; shift 2 ;;
    --every) EVERY="$2"; shift 2 ;;
    --parts) PARTS="$2"; shift 2 ;;
    --durability) DURABILITY="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$DURATION" =~ ^[1-9][0-9]*[smh]?$ ]] || die "bad --duration: $DURATION"
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ && "$ROUNDS" =~ ^[1-9][0-9]*$ && "$RECORDS" =~ ^[1-9][0-9]*$ && "$EVERY" =~ ^[1-9][0-9]*$ ]] || die "bad number"
for p in $PARTS; do case "$p" in create|lag|query) ;; *) die "unknown part: $p" ;; esac; done
case "$DURABILITY" in full|normal) ;; *) die "--durability must be full or normal" ;; esac
OUT="${OUT:-$HERE/search-results-$(date +%Y%m%d-%H%M%S).md}"

export TIDEWATER_AUTH=""
PIDS=()
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tidewater-searchbench.XXXXXX")"
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v wrk >/dev/null || {
  log "installing wrk (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}
TW_BIN="${TIDEWATER_BIN:-$ROOT/.build/release/tidewater}"
if ((BUILD)); then
  log "swift build -c release --product tidewater"
  (cd "$ROOT" && swift build -c release --product tidewater)
fi
[[ -x "$TW_BIN" ]] || die "no tidewater executable at $TW_BIN (build it, or set TIDEWATER_BIN)"

# The create benchmark's schema (open.graphql: notes open to guests), and the same with Note
# @searchable: the baseline and the measured side of the create cost.
PLAIN_SCHEMA="$HERE/open.graphql"
SEARCHABLE_SCHEMA="$WORK/searchable.graphql"
sed -E 's/^(type Note @model .*) \{$/\1 @searchable(fields: ["title", "body", "tags"]) {/' "$PLAIN_SCHEMA" >"$SEARCHABLE_SCHEMA"
grep -q '@searchable' "$SEARCHABLE_SCHEMA" || die "could not make Note @searchable in $SEARCHABLE_SCHEMA"

# start NAME SCHEMA [DURABILITY]: a fresh server; sets TW_PID and TW_URL.
start() {
  local name="$1" schema="$2" durability="${3:-$DURABILITY}" port
  if [[ -n "${TW_PID:-}" ]]; then stop_pid "$TW_PID"; fi
  port="$(python3 "$BENCH_PY" free-port)"
  mkdir -p "$WORK/$name-data"
  (cd "$ROOT" && exec "$TW_BIN" serve --schema "$schema" --data "$WORK/$name-data" --host 127.0.0.1 --port "$port" \
    --graphql-rate-limit 1000000000/s --auth-rate-limit off --durability "$durability") >"$WORK/$name.log" 2>&1 &
  TW_PID=$!; PIDS+=("$TW_PID")
  TW_URL="http://127.0.0.1:$port"
  wait_healthy "$name" "$TW_PID" "$TW_URL/healthz" "$WORK/$name.log"
  log "$name up at $TW_URL (pid $TW_PID)"
}

# wrk_run AS SCENARIO SCRIPT: records the run as (AS, SCENARIO) in results.jsonl.
wrk_run() {
  local as="$1" scenario="$2" script="$3" out="$WORK/wrk-$1-$2.txt" secs="${DURATION%[smh]}"
  case "$DURATION" in *m) secs=$((secs * 60)) ;; *h) secs=$((secs * 3600)) ;; esac
  BENCH_NOTE_JSON="$(python3 "$BENCH_PY" note-json)" BENCH_WORD="$WORD" \
    timeout --foreground --signal=INT --kill-after=10 "$((secs + 30))" \
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency -s "$WRK_DIR/$script" "$TW_URL/graphql" \
    >"$out" 2>&1 || log "wrk exited non-zero ($as $scenario)"
  python3 "$BENCH_PY" record "$WORK/results.jsonl" "$as" "$scenario" "$CONNECTIONS" "$out" || { cat "$out" >&2; die "no wrk result"; }
  kill -0 "$TW_PID" 2>/dev/null || { tail -n 30 "$WORK/$as.log" >&2; die "tidewater died"; }
}

: >"$WORK/lag.txt"
for part in $PARTS; do
  case "$part" in
    create)
      # Alternating rounds: a single pair of runs moves by ±8 % from one run to the next on
      # two cores; the cost reported is the median of the rounds' ratios.
      for ((round = 1; round <= ROUNDS; round++)); do
        start plain "$PLAIN_SCHEMA"; wrk_run plain "create-$round" tidewater-create.lua
        start searchable "$SEARCHABLE_SCHEMA"; wrk_run searchable "create-$round" tidewater-create.lua
      done
      ;;
    lag)
      start lag "$SEARCHABLE_SCHEMA"
      secs="${DURATION%[smh]}"; case "$DURATION" in *m) secs=$((secs * 60)) ;; *h) secs=$((secs * 3600)) ;; esac
      python3 "$SEARCH_PY" lag "$TW_URL" "$secs" "$WORK/lag.txt" &
      probe=$!
      wrk_run lag create tidewater-create.lua
      wait "$probe" || die "the lag probe failed"
      ;;
    query)
      # Reads are measured; the load's commits need not each reach the disk.
      start loaded "$SEARCHABLE_SCHEMA" normal
      log "loading $RECORDS notes (every $EVERY-th with \"$WORD\")"
      python3 "$SEARCH_PY" load "$TW_URL" "$RECORDS" "$WORD" "$EVERY" "$LOAD_WORKERS"
      python3 "$SEARCH_PY" check "$TW_URL" "$WORD"
      wrk_run loaded search tidewater-search.lua
      wrk_run loaded list-contains tidewater-list-contains.lua
      ;;
  esac
done

python3 "$SEARCH_PY" lag-table "$OUT" "$WORK/results.jsonl" "$WORK/lag.txt" \
  "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
  "machine=$(nproc) cores, $(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo) GiB" \
  "tidewater=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), durability $DURABILITY for create and lag, normal for the query load" \
  "wrk=2 threads, $CONNECTIONS connections, $DURATION per run ($ROUNDS alternating rounds for the create cost), load generator on the same machine" \
  "query=$RECORDS notes of one user, every $EVERY-th title holds \"$WORD\"; searchNotes(match) vs listNotes(contains), limit 20"
log "Markdown written to $OUT"
