#!/usr/bin/env bash
# Checks that Fixtures/crypto/*.json are what Tools/crypto-vectors/generate.py makes (an
# implementation of the field-encryption formats without libsodium), in a venv with `cryptography`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/Tools/crypto-vectors/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# Argon2id arrived in cryptography 44.
"$venv/bin/python" -c "from cryptography.hazmat.primitives.kdf.argon2 import Argon2id" 2>/dev/null \
  || "$venv/bin/pip" install --quiet "cryptography>=44,<49"
"$venv/bin/python" "$root/Tools/crypto-vectors/generate.py" --check
