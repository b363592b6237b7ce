#!/usr/bin/env bash
# `make serve-notifications`: the walk-through of docs/NOTIFICATIONS.md. Starts the local
# receivers on fixed ports (HTTP 4010, HTTP/2 over TLS 4011, SMTP 2525), puts the demo rules
# file beside the keys they write, and serves the notification schema with it until Ctrl-C.
#
#   Tools/notifications/demo.sh TIDEWATER_BINARY DATA_DIR PORT
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
binary="$1" data="$2" port="$3"
keys="$(mktemp -d)"
receivers=""
cleanup() {
  if [ -n "$receivers" ]; then kill "$receivers" 2>/dev/null || true; wait "$receivers" 2>/dev/null || true; fi
  rm -rf "$keys"
}
trap cleanup EXIT

bash "$root/Tools/notifications/receivers.sh" --dir "$keys" --http-port 4010 --h2-port 4011 --smtp-port 2525 \
  >"$keys/receivers.json" &
receivers=$!
# The first run installs the receivers' venv: up to a few minutes.
for _ in $(seq 1 1500); do
  [ -s "$keys/receivers.json" ] && break
  kill -0 "$receivers" 2>/dev/null || { echo "demo: the receivers did not start" >&2; exit 1; }
  sleep 0.2
done
[ -s "$keys/receivers.json" ] || { echo "demo: the receivers did not start in time" >&2; exit 1; }
cp "$root/Fixtures/notifications/demo.yaml" "$keys/demo.yaml"
echo "Receivers: FCM/SMS/webhooks http://127.0.0.1:4010, APNs https://127.0.0.1:4011, SMTP 127.0.0.1:2525"
echo "What they received: curl -s http://127.0.0.1:4010/_control/records"
SMTP_PASSWORD=smtp-password "$binary" serve --schema "$root/Fixtures/notifications/schema.graphql" --data "$data" \
  --port "$port" --notifications "$keys/demo.yaml"
