#!/usr/bin/env bash
# `swift test` with a watchdog: every wait in the tests is bounded, so a run in which no test
# finishes for TEST_STALL_SECONDS (default 600; the whole suite takes about a minute) is hung.
# Then this prints what a reader needs to find the cause (the tests still running, the
# processes they started, the test process's stacks), stops the run and fails, instead of
# leaving CI to its global time limit with nothing to show.
set -uo pipefail
cd "$(dirname "$0")/../.."
stall=${TEST_STALL_SECONDS:-600}
# Swift Testing starts every test at once unless told otherwise: about 90 server processes on
# two cores, where the tests' protocol timeouts (a 3 s idle close, a 10 s init) race the
# scheduler instead of the server. Two tests per core finishes sooner (51 s against 57 s here).
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-$(( $(nproc) * 2 ))}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Line-buffered, so that the log shows every finished test as it finishes (and a killed
# run loses nothing): through a pipe, stdio would hold back up to a block of output.
stdbuf -oL -eL swift test "$@" > >(tee "$log") 2>&1 &
runner=$!

hung=0
while kill -0 "$runner" 2>/dev/null; do
    sleep 5
    grep -q "Test run started" "$log" || continue
    if (( $(date +%s) - $(stat -c %Y "$log") > stall )); then hung=1; break; fi
done

if (( hung == 0 )); then
    wait "$runner"
    exit $?
fi

echo
echo "=== swift test printed nothing for ${stall} s: stopping it ==="
tests=$(pgrep -f 'PackageTests.xctest' | head -1)
echo "--- processes"
ps -eo pid,ppid,etimes,args --forest | grep -E 'xctest|tidewater|python' | grep -v grep
if [[ -n "$tests" ]] && command -v gdb > /dev/null; then
    echo "--- test process stacks (frames of the test code and of blocking calls)"
    gdb -p "$tests" -batch -ex 'thread apply all bt 40' 2>/dev/null \
        | grep -E '^Thread|Tests|Support|withDeadline|wait|poll|read \(|futex|sleep' | grep -v start_thread | head -150
fi
echo "--- tests started and not finished"
sed -nE 's/.*◇ Test ([^ ]+) started.*/\1/p' "$log" | sort -u > "$log.started"
sed -nE 's/.*[✔✘] Test ([^ ]+) (passed|failed).*/\1/p' "$log" | sort -u > "$log.ended"
comm -23 "$log.started" "$log.ended" | grep -vx run
rm -f "$log.started" "$log.ended"
pkill -KILL -f 'PackageTests.xctest'
pkill -KILL -f 'tidewater serve'
kill "$runner" 2>/dev/null
exit 1
