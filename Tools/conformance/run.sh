#!/usr/bin/env bash
# Independent conformance check: starts `tidewater serve` on a free loopback port with a fresh
# data folder, runs introspection_check.py (graphql-core) and http_get_check.py (GET requests
# sent by Python `requests`) against it, in a venv, and stops it by PID.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/Tools/conformance/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import graphql, requests" 2>/dev/null || "$venv/bin/pip" install --quiet "graphql-core==3.2.*" "requests==2.*"

source "$root/Tools/lib/serve.sh"
start_tidewater
"$venv/bin/python" "$root/Tools/conformance/introspection_check.py" "$url"
"$venv/bin/python" "$root/Tools/conformance/http_get_check.py" "$url"
