#!/usr/bin/env bash
# Store read microbenchmark: builds Tools/sqlitebench in release mode and runs it. Arguments go
# to the tool (`--records N --reads N --rounds N`). Run it on a quiet machine for figures.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
swift build -c release --package-path "$HERE" --product sqlitebench
"$HERE/.build/release/sqlitebench" "$@"
