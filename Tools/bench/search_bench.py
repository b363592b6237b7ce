#!/usr/bin/env python3
"""Helpers for Tools/bench/search.sh (Python standard library only; shares bench.py's HTTP code).

Subcommands:
  load URL COUNT WORD EVERY WORKERS
                         create COUNT notes with aliased createNote mutations (100 a request,
                         WORKERS connections); every EVERY-th title holds WORD, the others only
                         words that never contain it; then wait until the search index has
                         applied the feed head (consumer position in /metrics)
  check URL WORD         one searchNotes and one listNotes of the benchmark query, checked
  lag URL SECONDS OUT    for SECONDS: create a note with a unique word, then poll searchNotes for
                         that word until it is found (every 5 ms, at most 30 s); writes each
                         commit-to-searchable time (seconds) to OUT, one a line
  lag-table OUT_MD RESULTS LAG_FILE [KEY=VALUE ...]
                         print the lag percentiles, create throughput with and without a
                         searchable model, and searchNotes vs listNotes; write them as Markdown

TIDEWATER_AUTH='Header: value' is sent with every request when set (bench.py's rule).
"""

import json
import os
import random
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

SEARCH = ("query S($w: String!) { searchNotes(filter: {title: {match: $w}}, limit: 20) "
          "{ items { id title } nextToken } }")
LIST = ("query L($w: String!) { listNotes(filter: {title: {contains: $w}}, limit: 20) "
        "{ items { id title } nextToken } }")
BATCH = 100


def metric(conn, name):
    status, _, raw = conn.request("GET", "/metrics")
    if status != 200:
        bench.die(f"/metrics: HTTP {status}")
    for line in raw.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    bench.die(f"no {name} in /metrics")


def wait_indexed(url, timeout=3600):
    """Until the search consumer's position reaches the feed head (bounded)."""
    conn = bench.Conn(url)
    deadline = time.time() + timeout
    head = metric(conn, "tidewater_feed_head_seq")
    while time.time() < deadline:
        if metric(conn, 'tidewater_feed_consumer_position_seq{consumer="search"}') >= head:
            return
        time.sleep(0.2)
    bench.die(f"the search index did not reach feed position {head} within {timeout} s")


def cmd_load(url, count, word, every, workers):
    count, every, workers = int(count), int(every), int(workers)
    vocabulary = [f"w{i:05d}" for i in range(20000)]  # never contains WORD (letters only)
    if any(word in v for v in vocabulary[:10]) or not word.isalpha():
        bench.die("WORD must be letters only")
    batches = [(start, min(BATCH, count - start)) for start in range(0, count, BATCH)]
    lock = threading.Lock()
    done = [0]
    failures = []
    started = time.time()

    def work(mine):
        conn = bench.Conn(url)
        rng = random.Random(mine[0][0] if mine else 0)
        for start, n in mine:
            fields = []
            for k in range(n):
                i = start + k
                words = rng.sample(vocabulary, 6)
                if i % every == 0:
                    words[rng.randrange(6)] = word
                title = " ".join(words)
                fields.append(f'c{k}: createNote(input: {{title: "{title}", priority: {i % 5}}}) {{ id }}')
            try:
                bench.gql(conn, "mutation { " + " ".join(fields) + " }")
            except (SystemExit, OSError) as error:
                print(f"    batch at {start} failed: {error}", file=sys.stderr)
                failures.append(start)
                return
            with lock:
                done[0] += n
                if done[0] % 50000 < n:
                    print(f"    loaded {done[0]}/{count} ({done[0] / (time.time() - started):.0f}/s)", flush=True)
        conn.close()

    bench.TIMEOUT = 300  # a batch of 100 creates behind others' batches
    threads = [threading.Thread(target=work, args=(batches[w::workers],)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        bench.die(f"{len(failures)} load batches failed")
    elapsed = time.time() - started
    print(f"    loaded {count} notes in {elapsed:.1f} s ({count / elapsed:.0f}/s); waiting for the index", flush=True)
    wait_indexed(url)
    print(f"    indexed after {time.time() - started:.1f} s", flush=True)


def cmd_check(url, word):
    conn = bench.Conn(url)
    found = bench.gql(conn, SEARCH, {"w": word})["searchNotes"]["items"]
    listed = bench.gql(conn, LIST, {"w": word})["listNotes"]["items"]
    if not found or not all(word in item["title"].split() for item in found):
        bench.die(f"searchNotes for {word!r} found {len(found)} notes, or ones without it")
    if not all(word in item["title"] for item in listed):
        bench.die(f"listNotes contains {word!r} returned notes without it")
    print(f"    check: searchNotes {len(found)} hits, listNotes {len(listed)} on its first page")


def cmd_lag(url, seconds, out):
    conn = bench.Conn(url)
    end = time.time() + float(seconds)
    lags = []
    n = 0
    while time.time() < end:
        n += 1
        token = f"lagprobe{os.getpid()}x{n}"
        token = "".join(c for c in token if c.isalnum())
        bench.gql(conn, "mutation C($t: String!) { createNote(input: {title: $t}) { id } }", {"t": token})
        committed = time.time()
        deadline = committed + 30
        while True:
            items = bench.gql(conn, SEARCH, {"w": token})["searchNotes"]["items"]
            if items:
                lags.append(time.time() - committed)
                break
            if time.time() > deadline:
                bench.die(f"note {token} not searchable after 30 s")
            time.sleep(0.005)
    with open(out, "w") as f:
        f.write("\n".join(f"{x:.6f}" for x in lags) + "\n")
    print(f"    {len(lags)} probes")


def cmd_lag_table(md_out, results, lag_file, *meta):
    recs = {}
    with open(results) as f:
        for line in f:
            rec = json.loads(line)
            recs[(rec["server"], rec["scenario"])] = rec
    lines = ["# Search benchmark", ""]
    lines += [f"- {kv.split('=', 1)[0]}: {kv.split('=', 1)[1]}" for kv in meta] + [""]
    with open(lag_file) as f:
        lags = [float(x) for x in f if x.strip()]
    if lags:
        lines += ["| index lag (commit → searchable) | probes | p50 | p99 | max |", "|---|---:|---:|---:|---:|",
                  f"| under the create load | {len(lags)} | {bench.percentile(lags, 50):.3f} s | "
                  f"{bench.percentile(lags, 99):.3f} s | {max(lags):.3f} s |", ""]
    lines += ["| run | req/s | p50 | p99 | errors |", "|---|---:|---:|---:|---:|"]
    for (server, scenario), rec in recs.items():
        if rec.get("missing"):
            lines.append(f"| {server} {scenario} | FAILED (no result) | | | |")
            continue
        lines.append(f"| {server} {scenario} | {rec['rps']:.0f} | {bench.fmt_ms(rec['p50_us'])} | "
                     f"{bench.fmt_ms(rec['p99_us'])} | {bench.errors_of(rec)} |")

    def rps(server, scenario):
        rec = recs.get((server, scenario))
        return None if rec is None or rec.get("missing") or bench.errors_of(rec) else rec["rps"]
    lines.append("")
    cost = bench.round_cost_line(rps, {scenario for _, scenario in recs}, "plain", "searchable",
                                 "a searchable model", "the same schema without @searchable")
    if cost:
        lines.append(cost)
    search, listing = rps("loaded", "search"), rps("loaded", "list-contains")
    if search and listing:
        lines.append(f"- searchNotes(match) / listNotes(contains): {search / listing:.1f}x the requests per second")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(md_out, "w") as f:
        f.write(text)
    failed = [k for k, r in recs.items() if r.get("missing") or bench.errors_of(r)]
    if failed:
        print(f"runs with errors: {failed}", file=sys.stderr)
        sys.exit(3)


def main(argv):
    table = {"load": cmd_load, "check": cmd_check, "lag": cmd_lag, "lag-table": cmd_lag_table}
    if not argv or argv[0] not in table:
        bench.die(__doc__)
    table[argv[0]](*argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
