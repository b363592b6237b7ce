#!/usr/bin/env bash
# The notification receivers (receivers.py) in their own venv: aiosmtpd, hypercorn (h2) and
# cryptography, installed on first use. `receivers.sh --install-only` just prepares the venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import aiosmtpd, hypercorn, h2, cryptography" 2>/dev/null \
  || "$venv/bin/pip" install --quiet "aiosmtpd==1.4.*" "hypercorn==0.18.*" "h2==4.*" "cryptography>=44"
if [ "${1:-}" = "--install-only" ]; then exit 0; fi
exec "$venv/bin/python" "$here/receivers.py" "$@"
