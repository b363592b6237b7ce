#!/usr/bin/env python3
"""Helpers for Tools/notifications/bench.sh (Python standard library only; shares
Tools/bench/bench.py's HTTP code).

Subcommands (INFO is the JSON line the receivers printed, saved to a file):
  rules KIND INFO USERS OUT   write a rules file: KIND fanout (Notes titled "fanout…" notify
                              users u0…u<USERS-1> on push, email, SMS and webhook), probe (Notes
                              titled "probe…" notify user "bench" by webhook), each (every Note
                              created notifies user "bench" by webhook)
  endpoints DATA INFO USERS   register endpoints in DATA/notifications.sqlite: with USERS > 0,
                              one per channel for each of u0…u<USERS-1> (FCM token, email, E.164
                              number, webhook URL); with USERS = 0, one webhook for "bench"
  fanout URL DATA INFO OUT    create one Note that fans out, wait (bounded) until every ledger
                              row is settled, check the receivers' records against the ledger;
                              write per-channel figures to OUT (JSON)
  probe URL DATA SECONDS OUT  for SECONDS: create a Note titled "probe…", then poll the ledger
                              until its delivery is sent; writes each commit-to-sent time (seconds)
                              to OUT, one a line
  table OUT_MD RESULTS FANOUT LAG [KEY=VALUE ...]
                              print and write (Markdown) the fan-out figures, the latency
                              percentiles and the create throughput with and without notifications
"""

import json
import os
import sqlite3
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import bench  # noqa: E402

CHANNELS = ["push", "email", "sms", "webhook"]
# The receivers' record kinds per channel, and what marks a record as delivered.
RECORD_KINDS = {"push": "fcm", "email": "smtp", "sms": "sms", "webhook": "webhook"}
CREATE = "mutation C($t: String!) { createNote(input: {title: $t}) { id } }"
SETTLE_TIMEOUT = 1800


def info_of(path):
    with open(path) as f:
        return json.loads(f.readline())


def http_of(info):
    return f"http://127.0.0.1:{info['http']}"


def cmd_rules(kind, info_file, users, out):
    info, users = info_of(info_file), int(users)
    http = http_of(info)
    providers = f"""providers:
  email: {{ smtp: {{ host: 127.0.0.1, port: {info['smtp']}, from: "Bench <noreply@example.com>", username: {info['smtpUsername']}, passwordEnv: SMTP_PASSWORD }} }}
  sms: {{ twilio: {{ baseURL: "{http}", accountSid: {info['twilioAccountSid']}, authTokenEnv: TWILIO_TOKEN, from: "{info['twilioFrom']}" }} }}
  push:
    fcm: {{ serviceAccountFile: "{info['serviceAccountFile']}", baseURL: "{http}" }}
  webhook: {{ secretEnv: WEBHOOK_SECRET, allow: ["{http}/hooks/"] }}
"""
    if kind == "fanout":
        recipients = "[" + ", ".join(f"u{i}" for i in range(users)) + "]"
        rule = f"""  - name: fanout
    on: {{ model: Note, operations: [create] }}
    filter: {{ new: {{ title: [{{ prefix: "fanout" }}] }} }}
    recipients: {{ users: {recipients} }}
    channels: [push, email, sms, webhook]
    template:
      push: {{ title: "News", body: "{{{{new.title}}}}" }}
      email: {{ subject: "News", text: "{{{{new.title}}}}", html: "<p>{{{{new.title}}}}</p>" }}
      sms: {{ body: "News: {{{{new.title}}}}" }}
"""
    elif kind in ("probe", "each"):
        title_filter = '\n    filter: { new: { title: [{ prefix: "probe" }] } }' if kind == "probe" else ""
        rule = f"""  - name: {kind}
    on: {{ model: Note, operations: [create] }}{title_filter}
    recipients: {{ users: [bench] }}
    channels: [webhook]
"""
    else:
        bench.die(f"unknown rules kind {kind}")
    with open(out, "w") as f:
        f.write(providers + "rules:\n" + rule)


def ledger(data):
    return sqlite3.connect(os.path.join(data, "notifications.sqlite"), timeout=30)


def one(db, sql, parameters=()):
    """The first row of a query, or None. Every row is fetched: a statement left unfinished keeps
    its read transaction, and the connection would go on seeing that snapshot of the ledger."""
    rows = db.execute(sql, parameters).fetchall()
    return rows[0] if rows else None


def cmd_endpoints(data, info_file, users):
    info, users = info_of(info_file), int(users)
    http = http_of(info)
    rows = []
    for i in range(users):
        user = f"u{i}"
        rows += [
            (f"{user}-push", user, "PUSH", f"bench-token-{i:08d}-" + "x" * 40, "FCM"),
            (f"{user}-email", user, "EMAIL", f"{user}@example.com", None),
            (f"{user}-sms", user, "SMS", f"+1555{i:07d}", None),
            (f"{user}-webhook", user, "WEBHOOK", f"{http}/hooks/{user}", None),
        ]
    if users == 0:
        rows.append(("bench-webhook", "bench", "WEBHOOK", f"{http}/hooks/bench", None))
    db = ledger(data)
    now = int(time.time() * 1000)
    with db:
        db.executemany(
            'INSERT INTO "endpoints"("id", "user_id", "channel", "address", "platform", "time_zone", "enabled", '
            '"disabled_reason", "created_at") VALUES (?, ?, ?, ?, ?, NULL, 1, NULL, ?)',
            [row + (now,) for row in rows])
    db.close()
    print(f"    {len(rows)} endpoints registered")


def create(url, title):
    """Creates a Note; returns (its id, epoch seconds at the response)."""
    conn = bench.Conn(url)
    status, doc, raw = conn.request("POST", "/graphql", {"query": CREATE, "variables": {"t": title}})
    answered = time.time()
    conn.close()
    if status != 200 or not isinstance(doc, dict) or doc.get("errors"):
        bench.die(f"createNote failed: HTTP {status}: {raw[:300]!r}")
    return doc["data"]["createNote"]["id"], answered


# The deliveries of a record's change: by the record id in the change's event (a response's
# extensions.seq is the feed head when it was answered, which other writes may have moved past
# the record's own entry).
DELIVERIES_OF = """FROM "deliveries" WHERE "seq" = (SELECT "seq" FROM "events" WHERE json_extract("event", '$.id') = ?)"""


def metric_lines(url, prefix):
    """The /metrics lines starting with prefix, joined (for messages)."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        return "; ".join(line for line in response.read().decode().splitlines() if line.startswith(prefix))


def receiver_records(info):
    with urllib.request.urlopen(http_of(info) + "/_control/records", timeout=120) as response:
        return json.loads(response.read())


def cmd_fanout(url, data, info_file, out):
    info = info_of(info_file)
    db = ledger(data)
    expected = one(db, 'SELECT count(*) FROM "endpoints"')[0]
    note, committed = create(url, "fanout: the benchmark's announcement")
    deadline = time.time() + SETTLE_TIMEOUT
    last = None
    while True:
        total, open_rows = one(
            db, """SELECT count(*), sum("state" IN ('pending', 'retrying', 'deferred') OR "in_flight" = 1) """
            + DELIVERIES_OF, (note,))
        if total == expected and not open_rows:
            break
        if time.time() > deadline:
            bench.die(f"not settled after {SETTLE_TIMEOUT} s: {total} rows of {expected}, {open_rows} open")
        if last is None or time.time() - last > 10:
            print(f"    {total}/{expected} rows, {open_rows or 0} open", flush=True)
            last = time.time()
        time.sleep(0.2)
    settled = time.time()
    committed_ms = committed * 1000
    figures = {"endpoints": expected, "seconds": settled - committed, "channels": {}}
    for channel, state, count, first, last_update in db.execute(
            """SELECT lower("channel"), "state", count(*), min("created_at"), max("updated_at") """ + DELIVERIES_OF
            + """ GROUP BY "channel", "state" """, (note,)):
        entry = figures["channels"].setdefault(channel, {"states": {}})
        entry["states"][state] = count
        if state == "sent":
            entry["seconds"] = max(0.001, (last_update - committed_ms) / 1000)
            entry["rate"] = count / entry["seconds"]
    sent_ids = {row[0] for row in db.execute("""SELECT "id" """ + DELIVERIES_OF + """ AND "state" = 'sent'""", (note,))}
    db.close()
    records = receiver_records(info)
    problems = [r for r in records if r.get("problems")]
    for channel in CHANNELS:
        kind = RECORD_KINDS[channel]
        got = [r for r in records if r.get("kind") == kind and (kind != "smtp" or r.get("accepted"))]
        figures["channels"].setdefault(channel, {"states": {}})["received"] = len(got)
    hooks = {r.get("delivery") for r in records if r.get("kind") == "webhook"}
    figures["webhookIdsMatch"] = hooks <= sent_ids
    figures["receiverProblems"] = len(problems)
    with open(out, "w") as f:
        json.dump(figures, f)
    print(f"    settled in {figures['seconds']:.1f} s; receiver problems: {len(problems)}")
    for channel in CHANNELS:
        entry = figures["channels"].get(channel, {})
        print(f"    {channel:8} {entry.get('states')} received {entry.get('received')} "
              f"{entry.get('rate', 0):.0f}/s")


def cmd_probe(url, data, seconds, out):
    db = ledger(data)
    end = time.time() + float(seconds)
    lags = []
    n = 0
    while time.time() < end:
        n += 1
        note, committed = create(url, f"probe {n}")
        deadline = committed + 60
        while True:
            row = one(db, """SELECT "state", "updated_at" """ + DELIVERIES_OF, (note,))
            if row and row[0] == "sent":
                lags.append(max(0.0, row[1] / 1000 - committed))
                break
            if row and row[0] in ("dead", "unknown"):
                bench.die(f"probe {n}: delivery ended {row[0]}")
            if time.time() > deadline:
                lag = metric_lines(url, "tidewater_feed_consumer_lag_entries")
                bench.die(f"probe {n} (Note {note}): not sent after 60 s; its row: {row}; {lag}")
            time.sleep(0.002)
    db.close()
    with open(out, "w") as f:
        f.write("\n".join(f"{x:.6f}" for x in lags) + "\n")
    print(f"    {len(lags)} probes")


def cmd_table(md_out, results, fanout_file, lag_file, *meta):
    lines = ["# Notification benchmark", ""]
    lines += [f"- {kv.split('=', 1)[0]}: {kv.split('=', 1)[1]}" for kv in meta] + [""]
    failed = []
    if os.path.getsize(fanout_file):
        with open(fanout_file) as f:
            fan = json.load(f)
        lines += [f"Fan-out of one change to {fan['endpoints']} endpoints: settled {fan['seconds']:.1f} s after the commit.", "",
                  "| channel | sent | other states | received | seconds to the last | deliveries/s |",
                  "|---|---:|---|---:|---:|---:|"]
        for channel in CHANNELS:
            entry = fan["channels"].get(channel, {"states": {}})
            states = entry["states"]
            others = ", ".join(f"{k} {v}" for k, v in sorted(states.items()) if k != "sent") or "none"
            lines.append(f"| {channel} | {states.get('sent', 0)} | {others} | {entry.get('received', 0)} | "
                         f"{entry.get('seconds', 0):.1f} | {entry.get('rate', 0):.0f} |")
            if states.get("sent", 0) != entry.get("received", 0) or set(states) - {"sent"}:
                failed.append(f"fan-out {channel}")
        if fan["receiverProblems"] or not fan["webhookIdsMatch"]:
            failed.append("receiver checks")
        lines.append("")
    lags = []
    if os.path.getsize(lag_file):
        with open(lag_file) as f:
            lags = [float(x) for x in f if x.strip()]
    if lags:
        lines += ["| commit → webhook sent | probes | p50 | p99 | max |", "|---|---:|---:|---:|---:|",
                  f"| under the create load | {len(lags)} | {bench.percentile(lags, 50) * 1000:.1f} ms | "
                  f"{bench.percentile(lags, 99) * 1000:.1f} ms | {max(lags) * 1000:.1f} ms |", ""]
    recs = {}
    if os.path.getsize(results):
        with open(results) as f:
            for line in f:
                rec = json.loads(line)
                recs[(rec["server"], rec["scenario"])] = rec
    if recs:
        lines += ["| create load | req/s | p50 | p99 | errors |", "|---|---:|---:|---:|---:|"]
        for (server, scenario), rec in recs.items():
            label = server if scenario == "create" else f"{server} {scenario}"
            if rec.get("missing"):
                lines.append(f"| {label} | FAILED (no result) | | | |")
                failed.append(label)
                continue
            lines.append(f"| {label} | {rec['rps']:.0f} | {bench.fmt_ms(rec['p50_us'])} | "
                         f"{bench.fmt_ms(rec['p99_us'])} | {bench.errors_of(rec)} |")
            if bench.errors_of(rec):
                failed.append(label)

        def rps(server, scenario):
            rec = recs.get((server, scenario))
            return None if rec is None or rec.get("missing") or bench.errors_of(rec) else rec["rps"]
        lines.append("")
        # Each cost round runs plain, filtered, each in turn.
        for server, what in (("filtered", "a rule whose filter matches none of the creates"),
                             ("each", "a webhook delivery per create")):
            cost = bench.round_cost_line(rps, {scenario for _, scenario in recs}, "plain", server, what,
                                         "the same server without notifications")
            if cost:
                lines.append(cost)
    text = "\n".join(lines) + "\n"
    print(text)
    with open(md_out, "w") as f:
        f.write(text)
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
        sys.exit(3)


def main(argv):
    table = {"rules": cmd_rules, "endpoints": cmd_endpoints, "fanout": cmd_fanout, "probe": cmd_probe,
             "table": cmd_table}
    if not argv or argv[0] not in table:
        bench.die(__doc__)
    table[argv[0]](*argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
