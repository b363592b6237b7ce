#!/usr/bin/env bash
# Backup and restore size and time: fills a fresh data folder to about --size-mb MB through a
# running `tidewater serve` (notes of ~4 KB, created 64 per request), then times
# `tidewater backup` while the server serves and `tidewater restore` into a new folder.
#
#   bash Tools/backupbench/run.sh --size-mb 1024      # the figure in docs/BENCHMARKS.md (quiet machine)
#   TIDEWATER_BIN=.build/debug/tidewater bash Tools/backupbench/run.sh --size-mb 50   # a quick check
#
# Uses the release build unless TIDEWATER_BIN names another binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
size_mb=50
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size_mb="$2"; shift 2 ;;
    *) echo "usage: $0 [--size-mb N]" >&2; exit 64 ;;
  esac
done
if [ -z "${TIDEWATER_BIN:-}" ]; then
  (cd "$root" && swift build -c release --product tidewater >/dev/null)
  export TIDEWATER_BIN="$root/.build/release/tidewater"
fi
bin="$TIDEWATER_BIN"

source "$root/Tools/lib/serve.sh"
start_tidewater --auth-rate-limit off --graphql-rate-limit off
data="$tidewater_data/db"
python3 "$root/Tools/backupbench/fill.py" --url "$url" --data "$data" --size-mb "$size_mb"

archive="$tidewater_data/backup.tar"
seconds() { python3 -c 'import time; print(time.monotonic())'; }
start=$(seconds)
"$bin" backup --data "$data" --to "$archive"
backup_s=$(python3 -c "print(round($(seconds) - $start, 2))")
stop_tidewater_keep() { kill -TERM "$tidewater_pid"; wait "$tidewater_pid" || true; }
stop_tidewater_keep

data_bytes=$(du -sb "$data" | cut -f1)
archive_bytes=$(stat -c %s "$archive")
start=$(seconds)
"$bin" restore --from "$archive" --data "$tidewater_data/restored"
restore_s=$(python3 -c "print(round($(seconds) - $start, 2))")
echo "data folder ${data_bytes} bytes; archive ${archive_bytes} bytes; backup ${backup_s} s (while serving); restore ${restore_s} s (incl. integrity_check)"
