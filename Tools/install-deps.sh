#!/usr/bin/env bash
# Installs the system libraries Tidewater builds against, if they are missing.
# Debian/Ubuntu: libsqlite3-dev, libsodium-dev (and pkg-config, which SwiftPM uses to find them),
# and python3 with venv for the graphql-core conformance check.
set -euo pipefail

packages=(libsqlite3-dev libsodium-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# The conformance check runs graphql-core in a Python venv.
if ! command -v python3 >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
elif ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain (6.2 or later) is not on PATH; install it from swift.org first." >&2
  exit 1
fi
