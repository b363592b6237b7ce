#!/usr/bin/env bash
# Independent realtime check: Python `gql` (its graphql-transport-ws transport over `websockets`,
# in a venv) subscribes, mutates over HTTP, receives, and resumes with extensions.resumeFrom
# against a fresh `tidewater serve`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/Tools/realtime/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import gql, websockets" 2>/dev/null || "$venv/bin/pip" install --quiet "gql[websockets]==4.4.*"

source "$root/Tools/lib/serve.sh"
start_tidewater
"$venv/bin/python" "$root/Tools/realtime/gql_client_check.py" "$url"
