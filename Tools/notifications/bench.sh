#!/usr/bin/env bash
# Notification benchmark (ARCHITECTURE §10.2; docs/NOTIFICATIONS.md, "Benchmark"). Three parts,
# each on a fresh Tidewater with the create benchmark's schema (Tools/bench/open.graphql) and the
# local receivers (receivers.py) as every provider:
#   fanout   one Note created fans out to --endpoints endpoints (a quarter each: FCM push, email,
#            SMS, webhook; one user per four); deliveries/s per channel from the ledger's times,
#            each channel's count checked against the receivers' records
#   latency  the create load (Tools/bench/wrk/tidewater-create.lua, --connections) while a probe
#            creates Notes that notify one webhook: commit → sent, p50/p99
#   cost     the create load without notifications, with a rule that matches none of its creates
#            (the fan-out still reads and filters every entry), and with a webhook per create
# docs/NOTIFICATIONS.md ("Benchmark") has the commands and caveats.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH_PY="$ROOT/Tools/bench/bench.py"
NOTIFY_PY="$HERE/bench.py"
WRK_DIR="$ROOT/Tools/bench/wrk"
SCHEMA="$ROOT/Tools/bench/open.graphql"
START_TIMEOUT=240
WRK_TIMEOUT=10s

ENDPOINTS=10000
DURATION=10s
CONNECTIONS=16
ROUNDS=3
PARTS="fanout latency cost"
BUILD=1
OUT=""

usage() {
  cat <<USAGE
usage: Tools/notifications/bench.sh [--endpoints 10000] [--duration 10s] [--connections 16] [--rounds 3]
                                    [--parts "fanout latency cost"] [--no-build] [--out FILE]
USAGE
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }
# wait_healthy, stop_pid
source "$ROOT/Tools/lib/pocketbase.sh"

while (($#)); do
  case "$1" in
    --endpoints) ENDPOINTS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --parts) PARTS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$DURATION" =~ ^[1-9][0-9]*[smh]?$ ]] || die "bad --duration: $DURATION"
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ && "$ROUNDS" =~ ^[1-9][0-9]*$ && "$ENDPOINTS" =~ ^[1-9][0-9]*$ ]] || die "bad number"
((ENDPOINTS % 4 == 0)) || die "--endpoints must be a multiple of 4 (one per channel per user)"
for p in $PARTS; do case "$p" in fanout|latency|cost) ;; *) die "unknown part: $p" ;; esac; done
OUT="${OUT:-$HERE/bench-results-$(date +%Y%m%d-%H%M%S).md}"
SECS="${DURATION%[smh]}"
case "$DURATION" in *m) SECS=$((SECS * 60)) ;; *h) SECS=$((SECS * 3600)) ;; esac

export TIDEWATER_AUTH=""
PIDS=()
STARTS=0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tidewater-notifybench.XXXXXX")"
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "$PARTS" == *latency* || "$PARTS" == *cost* ]] && ! command -v wrk >/dev/null; then
  log "installing wrk (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
TW_BIN="${TIDEWATER_BIN:-$ROOT/.build/release/tidewater}"
if ((BUILD)); then
  log "swift build -c release --product tidewater"
  (cd "$ROOT" && swift build -c release --product tidewater)
fi
[[ -x "$TW_BIN" ]] || die "no tidewater executable at $TW_BIN (build it, or set TIDEWATER_BIN)"

# The receivers, once for every part (the first run installs their venv).
log "starting the receivers"
mkdir -p "$WORK/receivers"
bash "$HERE/receivers.sh" --dir "$WORK/receivers" >"$WORK/receivers.json" 2>"$WORK/receivers.log" &
PIDS+=("$!")
for _ in $(seq 1 $((START_TIMEOUT * 5))); do
  [[ -s "$WORK/receivers.json" ]] && break
  kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$WORK/receivers.log" >&2; die "the receivers exited"; }
  sleep 0.2
done
[[ -s "$WORK/receivers.json" ]] || die "the receivers did not start within ${START_TIMEOUT}s"
INFO="$WORK/receivers.json"
export SMTP_PASSWORD=smtp-password TWILIO_TOKEN=twilio-token WEBHOOK_SECRET=whsec-test
RECEIVERS_HTTP="http://127.0.0.1:$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["http"])' "$INFO")"

# start NAME [RULES_KIND USERS]: a fresh server (with a rules file of that kind, and its
# endpoints registered); sets TW_PID, TW_URL and TW_DATA.
start() {
  local name="$1" kind="${2:-}" users="${3:-0}" port rules=()
  if [[ -n "${TW_PID:-}" ]]; then stop_pid "$TW_PID"; fi
  curl -s -X POST "$RECEIVERS_HTTP/_control/reset" >/dev/null
  port="$(python3 "$BENCH_PY" free-port)"
  STARTS=$((STARTS + 1))
  TW_DATA="$WORK/$name-$STARTS-data"
  mkdir -p "$TW_DATA"
  if [[ -n "$kind" ]]; then
    python3 "$NOTIFY_PY" rules "$kind" "$INFO" "$users" "$WORK/$name.yaml"
    rules=(--notifications "$WORK/$name.yaml")
  fi
  (cd "$ROOT" && exec "$TW_BIN" serve --schema "$SCHEMA" --data "$TW_DATA" --host 127.0.0.1 --port "$port" \
    --graphql-rate-limit 1000000000/s --auth-rate-limit off --durability full "${rules[@]}") >"$WORK/$name.log" 2>&1 &
  TW_PID=$!; PIDS+=("$TW_PID")
  TW_URL="http://127.0.0.1:$port"
  wait_healthy "$name" "$TW_PID" "$TW_URL/healthz" "$WORK/$name.log"
  if [[ -n "$kind" ]]; then python3 "$NOTIFY_PY" endpoints "$TW_DATA" "$INFO" "$users"; fi
  log "$name up at $TW_URL (pid $TW_PID)"
}

# wrk_run AS [SCENARIO]: the create load against the running server, recorded as (AS, SCENARIO).
wrk_run() {
  local as="$1" scenario="${2:-create}" out="$WORK/wrk-$1-${2:-create}.txt"
  BENCH_NOTE_JSON="$(python3 "$BENCH_PY" note-json)" \
    timeout --foreground --signal=INT --kill-after=10 "$((SECS + 30))" \
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency -s "$WRK_DIR/tidewater-create.lua" "$TW_URL/graphql" \
    >"$out" 2>&1 || log "wrk exited non-zero ($as)"
  python3 "$BENCH_PY" record "$WORK/results.jsonl" "$as" "$scenario" "$CONNECTIONS" "$out" || { cat "$out" >&2; die "no wrk result"; }
  kill -0 "$TW_PID" 2>/dev/null || { tail -n 30 "$WORK/$as.log" >&2; die "tidewater died"; }
}

: >"$WORK/results.jsonl"; : >"$WORK/fanout.json"; : >"$WORK/lag.txt"
for part in $PARTS; do
  case "$part" in
    fanout)
      start fanout fanout "$((ENDPOINTS / 4))"
      python3 "$NOTIFY_PY" fanout "$TW_URL" "$TW_DATA" "$INFO" "$WORK/fanout.json"
      ;;
    latency)
      start latency probe 0
      python3 "$NOTIFY_PY" probe "$TW_URL" "$TW_DATA" "$SECS" "$WORK/lag.txt" &
      probe=$!
      wrk_run latency
      wait "$probe" || die "the latency probe failed"
      ;;
    cost)
      # Alternating rounds: one set of runs moves by several per cent from the next on two
      # cores; the costs reported are the medians of the rounds' ratios.
      for ((round = 1; round <= ROUNDS; round++)); do
        start plain; wrk_run plain "create-$round"
        start filtered probe 0; wrk_run filtered "create-$round"
        start each each 0; wrk_run each "create-$round"
      done
      ;;
  esac
done

python3 "$NOTIFY_PY" table "$OUT" "$WORK/results.jsonl" "$WORK/fanout.json" "$WORK/lag.txt" \
  "date=$(date -u +%Y-%m-%dT%H:%MZ)" \
  "machine=$(nproc) cores, $(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo) GiB" \
  "tidewater=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), durability full, at most 16 sends in flight per channel" \
  "receivers=Tools/notifications/receivers.py (one Python process for HTTP, aiosmtpd) on the same machine" \
  "load=wrk, 2 threads, $CONNECTIONS connections, $DURATION per run, createNote on Tools/bench/open.graphql"
log "Markdown written to $OUT"
