#!/usr/bin/env python3
"""Tools/fanout/run.sh's table: reads the fanout client's JSON lines, prints a table, writes
Markdown, and checks the targets of issue 4. Standard library only.

Usage: report.py RESULTS.jsonl OUT.md [KEY=VALUE ...]   (KEY=VALUE lines go to the Markdown header)
Exit status 3 when a run lost events, failed creates or subscribers, or is missing.
"""

import json
import sys

NAMES = {"tidewater": "Tidewater (WebSocket)", "pocketbase": "PocketBase (SSE)"}


def ms(x):
    return "n/a" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.1f}")


def mib(kib):
    return "n/a" if kib is None or kib < 0 else f"{kib / 1024:.1f} MiB"


def per_sub(r):
    if r["rss_idle_kib"] < 0 or r["rss_subscribed_kib"] < 0:
        return None
    return (r["rss_subscribed_kib"] - r["rss_idle_kib"]) / r["subscribers"]


def main(results, out, *meta):
    rows = [json.loads(l) for l in open(results) if l.strip()]
    by = {(r["server"], r["subscribers"]): r for r in rows}
    counts = sorted({r["subscribers"] for r in rows})
    header = ["server", "subscribers", "p50 ms", "p99 ms", "max ms", "lost", "events received",
              "RSS idle", "RSS N idle", "RSS under load", "KiB / idle subscriber", "CPU s server / client"]
    table, problems = [], []
    for c in counts:
        for s in ("tidewater", "pocketbase"):
            r = by.get((s, c))
            if r is None:
                continue
            k = per_sub(r)
            table.append([NAMES[s], str(c), ms(r["p50_ms"]), ms(r["p99_ms"]), ms(r["max_ms"]), str(r["lost"]),
                          f"{r['events']:,} / {r['created'] * c:,}", mib(r["rss_idle_kib"]),
                          mib(r["rss_subscribed_kib"]), mib(r["rss_load_kib"]), "n/a" if k is None else f"{k:.1f}",
                          f"{r['server_cpu_seconds']:.1f} / {r['client_cpu_seconds']:.1f}"])
            if r["lost"] or r["create_errors"] or r["failed_subscribers"] or r["duplicates"] or r["unknown"]:
                problems.append(f"{s} at {c}: lost {r['lost']}, create errors {r['create_errors']} "
                                f"({r['create_error_sample'][:120]}), failed subscribers {r['failed_subscribers']} "
                                f"({r['failure_sample'][:120]}), duplicates {r['duplicates']}, unknown {r['unknown']}")

    # Targets (issue 4): p99 at 500 and 1,000 <= half of PocketBase's; <= 16 KiB per idle
    # subscriber (at 1,000); 0 lost everywhere.
    checks = []
    for c in (500, 1000):
        t, p = by.get(("tidewater", c)), by.get(("pocketbase", c))
        if t and p and t["p99_ms"] is not None and p["p99_ms"]:
            ratio = t["p99_ms"] / p["p99_ms"]
            checks.append((f"p99 at {c} ≤ ½ PocketBase's", f"{ms(t['p99_ms'])} vs {ms(p['p99_ms'])} ms "
                           f"(ratio {ratio:.2f})", ratio <= 0.5))
    t = by.get(("tidewater", 1000))
    if t and per_sub(t) is not None:
        p = by.get(("pocketbase", 1000))
        pk = f"; PocketBase {per_sub(p):.1f}" if p and per_sub(p) is not None else ""
        checks.append(("≤ 16 KiB RSS per idle subscriber (1,000)", f"{per_sub(t):.1f} KiB{pk}", per_sub(t) <= 16))
    tw = [r for r in rows if r["server"] == "tidewater"]
    if tw:
        lost = sum(r["lost"] for r in tw)
        checks.append(("0 lost (Tidewater, all counts)", str(lost), lost == 0))

    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
    print()
    for name, value, ok in checks:
        print(f"{'MET   ' if ok else 'MISSED'} {name}: {value}")

    md = ["# Realtime fan-out: Tidewater vs PocketBase", ""]
    md += [f"- {k}: {v}" for k, v in (m.split("=", 1) for m in meta)]
    md += ["", "Latency: from just before the create request is written to the receipt of the event at "
           "each subscriber, over every (subscriber, event) pair. RSS: VmRSS of the server process. "
           "CPU: seconds used by the server and by the load client (same machine) from the first create "
           "to the end of the drain.", ""]
    md.append("| " + " | ".join(header) + " |")
    md.append("|---|" + "---:|" * (len(header) - 1))
    md += ["| " + " | ".join(r) + " |" for r in table]
    md += ["", "| target | measured | met? |", "|---|---|---|"]
    md += [f"| {n} | {v} | {'yes' if ok else 'no'} |" for n, v, ok in checks]
    if problems:
        md += ["", "**Problems:**", ""] + [f"- {p}" for p in problems]
    with open(out, "w") as f:
        f.write("\n".join(md) + "\n")
    if problems:
        print("\nPROBLEMS:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
