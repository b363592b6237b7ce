#!/usr/bin/env python3
"""Helpers for Tools/bench/run.sh (Python standard library only).

Subcommands:
  note-json                      print the benchmark note (the record shape both servers store)
  free-port                      print a free TCP port on 127.0.0.1
  wait-http URL TIMEOUT          wait until GET URL answers 200 (bounded); exit 1 on time-out
  pb-setup URL EMAIL PASSWORD [REQUEST_LOGS]
                                 authenticate as superuser, disable the rate limiter and (unless
                                 REQUEST_LOGS=1) request logs, create the public `notes` collection
  seed KIND URL COUNT IDS_FILE   create COUNT notes (KIND = tidewater | pocketbase) over one
                                 keep-alive connection and write their ids, one a line
  check KIND URL IDS_FILE        one request of each scenario, checked, before wrk runs
  record RESULTS SERVER SCENARIO CONNECTIONS WRK_OUTPUT
                                 append wrk's BENCH_RESULT line (see wrk/common.lua) as JSON
  table RESULTS MD_OUT [KEY=VALUE ...]
                                 print the results table and write it as Markdown

Every network call goes to the URL given (run.sh only passes 127.0.0.1 URLs) with a timeout.
"""

import http.client
import json
import os
import socket
import statistics
import sys
import time
import urllib.parse

# The same record shape for both servers (PocketBase: tags is a json field).
NOTE = {
    "title": "bench note",
    "body": "some body text of about a hundred bytes, the size of a short note that a user "
            "types on a phone",
    "done": False,
    "priority": 3,
    "tags": ["a", "b"],
}

TW_CREATE = "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id _version } }"
TW_GET = "query G($id: ID!) { getNote(id: $id) { id title body done priority tags _version } }"
TW_LIST = "query L { listNotes(limit: 50) { items { id title done priority } nextToken } }"

TIMEOUT = 10.0


def die(msg):
    print(f"bench.py: {msg}", file=sys.stderr)
    sys.exit(1)


def percentile(values, p):
    """The p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def round_cost_line(rps, scenarios, base, other, what, against):
    """The Markdown line for a cost measured in alternating rounds (scenarios create-1,
    create-2 …, each run as base then other): the median of the rounds' changes in per cent,
    and each round's; None when no round has both runs. rps(server, scenario) is a run's
    requests per second, or None for a failed run."""
    rounds = sorted(s for s in scenarios if s.startswith("create-"))
    costs = [100 * (rps(other, r) / rps(base, r) - 1) for r in rounds if rps(base, r) and rps(other, r)]
    if not costs:
        return None
    return (f"- create throughput with {what}: {statistics.median(costs):+.1f} % against {against} "
            f"(median of {len(costs)} rounds: " + ", ".join(f"{c:+.1f} %" for c in costs) + ")")


def extra_headers():
    """TIDEWATER_AUTH='Header-Name: value' is sent to Tidewater (e.g. x-api-key or Bearer)."""
    raw = os.environ.get("TIDEWATER_AUTH", "").strip()
    if not raw:
        return {}
    if ":" not in raw:
        die("TIDEWATER_AUTH must look like 'Header-Name: value'")
    name, value = raw.split(":", 1)
    return {name.strip(): value.strip()}


class Conn:
    """One keep-alive HTTP/1.1 connection to a loopback URL."""

    def __init__(self, base_url):
        u = urllib.parse.urlsplit(base_url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            die(f"refusing non-loopback URL {base_url}")
        self.host, self.port = u.hostname, u.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)

    def request(self, method, path, body=None, headers=None):
        h = {"Accept": "application/json"}
        if body is not None:
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return r.status, parsed, data

    def close(self):
        self.conn.close()


def gql(conn, query, variables=None):
    body = {"query": query}
    if variables is not None:
        body["variables"] = variables
    status, doc, raw = conn.request("POST", "/graphql", body, extra_headers())
    if status != 200 or not isinstance(doc, dict) or doc.get("errors") or not doc.get("data"):
        die(f"GraphQL request failed: HTTP {status}: {raw[:500]!r}")
    return doc["data"]


# ---------------------------------------------------------------- subcommands

def cmd_note_json():
    print(json.dumps(NOTE, separators=(",", ":")))


def cmd_free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def cmd_wait_http(url, timeout):
    u = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
            c.request("GET", u.path or "/")
            if c.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    sys.exit(1)


def cmd_pb_setup(url, email, password, request_logs="0"):
    c = Conn(url)
    status, doc, raw = c.request("POST", "/api/collections/_superusers/auth-with-password",
                                 {"identity": email, "password": password})
    if status != 200 or not doc or "token" not in doc:
        die(f"PocketBase superuser login failed: HTTP {status}: {raw[:300]!r}")
    auth = {"Authorization": doc["token"]}

    # The rate limiter is off by default in PocketBase 0.23+; make sure, whatever the default.
    # Request logs (one row per request in auxiliary.db, on by default, kept 5 days) cost
    # PocketBase about 40 % on small requests here; logs.maxDays = 0 turns them off.
    settings = {"rateLimits": {"enabled": False}}
    if request_logs != "1":
        settings["logs"] = {"maxDays": 0}
    status, doc, raw = c.request("PATCH", "/api/settings", settings, auth)
    if status != 200 or doc.get("rateLimits", {}).get("enabled") is not False:
        die(f"could not disable the PocketBase rate limiter: HTTP {status}: {raw[:300]!r}")
    if request_logs != "1" and doc.get("logs", {}).get("maxDays") != 0:
        die(f"could not turn PocketBase request logs off: {raw[:300]!r}")

    collection = {
        "name": "notes",
        "type": "base",
        # "" = public (no auth); null would mean superusers only.
        "listRule": "", "viewRule": "", "createRule": "",
        "updateRule": None, "deleteRule": None,
        "fields": [
            {"name": "title", "type": "text", "required": True},
            {"name": "body", "type": "text"},
            {"name": "done", "type": "bool"},
            {"name": "priority", "type": "number"},
            {"name": "tags", "type": "json"},
            # Tidewater stores createdAt/updatedAt too.
            {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
            {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ],
    }
    status, doc, raw = c.request("POST", "/api/collections", collection, auth)
    if status != 200:
        die(f"could not create the notes collection: HTTP {status}: {raw[:500]!r}")
    c.close()


def create_one(c, kind):
    if kind == "tidewater":
        data = gql(c, TW_CREATE, {"input": NOTE})
        rec = data.get("createNote") or {}
        if not rec.get("id") or rec.get("_version") != 1:
            die(f"createNote returned {data!r}")
        return rec["id"]
    status, doc, raw = c.request("POST", "/api/collections/notes/records", NOTE)
    if status != 200 or not doc or not doc.get("id"):
        die(f"PocketBase create failed: HTTP {status}: {raw[:300]!r}")
    return doc["id"]


def cmd_seed(kind, url, count, ids_file):
    c = Conn(url)
    t0 = time.monotonic()
    ids = [create_one(c, kind) for _ in range(int(count))]
    dt = time.monotonic() - t0
    c.close()
    if len(set(ids)) != len(ids):
        die("seed: duplicate ids returned")
    with open(ids_file, "w") as f:
        f.write("\n".join(ids) + "\n")
    print(f"seeded {len(ids)} notes in {kind} in {dt:.1f} s ({len(ids) / dt:.0f}/s, one connection)")


def cmd_check(kind, url, ids_file):
    """One request per scenario, with the answer checked, so wrk never times a broken path."""
    with open(ids_file) as f:
        some_id = f.readline().strip()
    c = Conn(url)
    if kind == "tidewater":
        rec = gql(c, TW_GET, {"id": some_id}).get("getNote")
        if not rec or rec.get("id") != some_id or rec.get("title") != NOTE["title"]:
            die(f"getNote({some_id}) returned {rec!r}")
        page = gql(c, TW_LIST).get("listNotes") or {}
        if len(page.get("items") or []) != 50:
            die(f"listNotes(limit: 50) returned {len(page.get('items') or [])} items")
        status, _, raw = c.request("GET", "/healthz")
        if status != 200:
            die(f"GET /healthz: HTTP {status}: {raw[:200]!r}")
    else:
        status, rec, raw = c.request("GET", f"/api/collections/notes/records/{some_id}")
        if status != 200 or rec.get("id") != some_id or rec.get("title") != NOTE["title"]:
            die(f"PocketBase view failed: HTTP {status}: {raw[:300]!r}")
        status, page, raw = c.request("GET", "/api/collections/notes/records?perPage=50&skipTotal=1")
        if status != 200 or len(page.get("items") or []) != 50:
            die(f"PocketBase list failed: HTTP {status}: {raw[:300]!r}")
        status, _, raw = c.request("GET", "/api/health")
        if status != 200:
            die(f"GET /api/health: HTTP {status}: {raw[:200]!r}")
    c.close()


def cmd_record(results, server, scenario, connections, wrk_output):
    line = None
    with open(wrk_output) as f:
        for l in f:
            if l.startswith("BENCH_RESULT "):
                line = l[len("BENCH_RESULT "):]
    if line is None:
        rec = {"missing": True}
    else:
        rec = json.loads(line)
    rec.update(server=server, scenario=scenario, connections=int(connections))
    with open(results, "a") as f:
        f.write(json.dumps(rec) + "\n")
    errs = errors_of(rec)
    if rec.get("missing"):
        print(f"    {server}: no result from wrk (see {wrk_output})")
    else:
        print(f"    {server:9} {rec['rps']:>10.0f} req/s  p50 {fmt_ms(rec['p50_us'])}  "
              f"p99 {fmt_ms(rec['p99_us'])}  errors {errs}")


# ---------------------------------------------------------------- table

def errors_of(rec):
    if rec.get("missing"):
        return None
    return (rec.get("non2xx", 0) + rec.get("gql_errors", 0) + rec.get("null_results", 0)
            + sum(rec.get("socket", {}).values()))


def fmt_ms(us):
    if us is None:
        return "n/a"
    ms = us / 1000.0
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms"


def fmt_rps(x):
    return "n/a" if x is None else f"{x:,.0f}"


def combine_rounds(recs):
    """One row from the rounds of a (server, scenario, connections): medians of req/s and of the
    latency percentiles, errors and requests summed; a round without a result fails the row."""
    if len(recs) == 1 or any(r.get("missing") for r in recs):
        return next((r for r in recs if r.get("missing")), recs[0])
    row = dict(recs[0])
    for key in ("rps", "p50_us", "p99_us"):
        row[key] = statistics.median(r[key] for r in recs)
    for key in ("requests", "non2xx", "gql_errors", "null_results"):
        row[key] = sum(r.get(key, 0) for r in recs)
    row["socket"] = {k: sum(r.get("socket", {}).get(k, 0) for r in recs) for k in recs[0].get("socket", {})}
    row["rounds_rps"] = [r["rps"] for r in recs]
    return row


def cmd_table(results, md_out, *meta):
    rows = [json.loads(l) for l in open(results) if l.strip()] if os.path.exists(results) else []
    rounds = {}
    for r in rows:
        rounds.setdefault((r["server"], r["scenario"], r["connections"]), []).append(r)
    by = {key: combine_rounds(recs) for key, recs in rounds.items()}
    order = ["create", "get", "list", "healthz"]
    scen = sorted({r["scenario"] for r in rows}, key=lambda s: order.index(s) if s in order else 99)
    conns = sorted({r["connections"] for r in rows})
    meta = dict(m.split("=", 1) for m in meta)
    na_tw = "n/a"

    header = ["scenario", "conns",
              "TW req/s", "TW p50", "TW p99", "TW errors",
              "PB req/s", "PB p50", "PB p99", "PB errors",
              "TW/PB", "get % of healthz (TW / PB)"]
    table = []
    failures = []
    for s in scen:
        for c in conns:
            cells = [s, str(c)]
            rps = {}
            for server in ("tidewater", "pocketbase"):
                r = by.get((server, s, c))
                na = na_tw if server == "tidewater" else "n/a"
                if r is None:
                    cells += [na] * 4
                    continue
                if r.get("missing"):
                    cells += ["no result", "", "", "?"]
                    failures.append(f"{server} {s} c={c}: wrk gave no result")
                    continue
                e = errors_of(r)
                if e:
                    failures.append(f"{server} {s} c={c}: {e} errors of {r['requests']} requests "
                                    f"(non-2xx {r.get('non2xx', 0)}, GraphQL errors "
                                    f"{r.get('gql_errors', 0)}, null results {r.get('null_results', 0)}, "
                                    f"socket {r.get('socket')})")
                else:
                    rps[server] = r["rps"]
                if r["requests"] == 0:
                    failures.append(f"{server} {s} c={c}: no request completed")
                cells += [fmt_rps(r["rps"]) + (" (FAILED)" if e else ""),
                          fmt_ms(r["p50_us"]), fmt_ms(r["p99_us"]), str(e)]
            if "tidewater" in rps and rps.get("pocketbase"):
                cells.append(f"{rps['tidewater'] / rps['pocketbase']:.2f}")
            else:
                cells.append("n/a")
            if s == "get":
                parts = []
                for server in ("tidewater", "pocketbase"):
                    h = by.get((server, "healthz", c))
                    if server in rps and h and not h.get("missing") and not errors_of(h) and h["rps"]:
                        parts.append(f"{100 * rps[server] / h['rps']:.0f} %")
                    else:
                        parts.append("n/a")
                cells.append(" / ".join(parts))
            else:
                cells.append("")
            table.append(cells)

    # Plain-text table on stdout.
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h)
              for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in table:
        print("  ".join(v.rjust(w) if i >= 1 else v.ljust(w)
                        for i, (v, w) in enumerate(zip(r, widths))))

    # Markdown.
    md = ["# Tidewater vs PocketBase benchmark", ""]
    for k, v in meta.items():
        md.append(f"- {k.replace('_', ' ')}: {v}")
    md += ["",
           "TW = Tidewater (`POST /graphql`), PB = PocketBase (REST); healthz = Tidewater "
           "`GET /healthz` / PocketBase `GET /api/health`. Latencies are wrk's percentiles; "
           "errors = non-2xx + GraphQL `errors` + null results + socket errors.", ""]
    md.append("| " + " | ".join(header) + " |")
    md.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|")
    for r in table:
        md.append("| " + " | ".join(r) + " |")
    multi = [(key, r) for key, r in sorted(by.items()) if r.get("rounds_rps")]
    if multi:
        md += ["", "Each round's req/s (the table shows medians):", ""]
        for (server, s, c), r in multi:
            md.append(f"- {server} {s} {c}: " + " / ".join(fmt_rps(x) for x in r["rounds_rps"]))
    if failures:
        md += ["", "**Failures (rows with errors are not a result):**", ""]
        md += [f"- {f}" for f in failures]
    md.append("")
    os.makedirs(os.path.dirname(os.path.abspath(md_out)), exist_ok=True)
    with open(md_out, "w") as f:
        f.write("\n".join(md))

    if failures:
        print("\nFAILURES (these rows measure errors, not work):", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
        sys.exit(3)


def cmd_signin(base_url, username, password):
    """Signs a user up (or finds it exists) and logs in; prints the access token."""
    conn = Conn(base_url)
    creds = {"username": username, "password": password}
    status, _, raw = conn.request("POST", "/auth/signup", creds)
    if status not in (201, 409):
        die(f"signup failed: HTTP {status}: {raw[:300]!r}")
    status, doc, raw = conn.request("POST", "/auth/login", creds)
    if status != 200 or not isinstance(doc, dict) or "accessToken" not in doc:
        die(f"login failed: HTTP {status}: {raw[:300]!r}")
    conn.close()
    print(doc["accessToken"])


def cmd_auth_table(results, md_out, *meta):
    """Guests vs bearer-token rows of one --auth-compare run (medians over its rounds), with the
    cost of authentication."""
    rows = [json.loads(l) for l in open(results) if l.strip()]
    runs = {}
    for r in rows:
        runs.setdefault((r["server"], r["scenario"], r["connections"]), []).append(r)
    header = ["scenario", "conns", "guests req/s", "guests p99", "bearer req/s", "bearer p99", "bearer/guests", "cost",
              "rounds (guests / bearer req/s)"]
    table, failures = [], []
    for s in sorted({r["scenario"] for r in rows}):
        for c in sorted({r["connections"] for r in rows}):
            g, b = runs.get(("guests", s, c)), runs.get(("bearer", s, c))
            if not g or not b:
                continue
            bad = [f"{name} {s} c={c}: {errors_of(r)} errors" for name, rs in (("guests", g), ("bearer", b))
                   for r in rs if errors_of(r)]
            failures += bad
            g_rps, b_rps = statistics.median(r["rps"] for r in g), statistics.median(r["rps"] for r in b)
            g_p99, b_p99 = statistics.median(r["p99_us"] for r in g), statistics.median(r["p99_us"] for r in b)
            ratio = b_rps / g_rps if g_rps and not bad else None
            rounds = ", ".join(f"{x['rps']:,.0f}/{y['rps']:,.0f}" for x, y in zip(g, b))
            table.append([s, str(c), fmt_rps(g_rps), fmt_ms(g_p99), fmt_rps(b_rps), fmt_ms(b_p99),
                          "n/a" if ratio is None else f"{ratio:.2f}",
                          "n/a" if ratio is None else f"{100 * (1 - ratio):.1f} %", rounds])
    print("  ".join(header))
    for r in table:
        print("  ".join(r))
    meta = dict(m.split("=", 1) for m in meta)
    md = ["# Tidewater: cost of bearer-token authentication", ""]
    md += [f"- {k}: {v}" for k, v in meta.items()]
    md += ["", "guests = no credentials on `Tools/bench/open.graphql`; bearer = a signed-in user with "
           "`Authorization: Bearer` on every request, on the bearer schema above. Medians of the rounds; "
           "cost = 1 − bearer/guests.", ""]
    md.append("| " + " | ".join(header) + " |")
    md.append("|---|---|" + "---:|" * (len(header) - 2))
    md += ["| " + " | ".join(r) + " |" for r in table]
    if failures:
        md += ["", "**Failures:**", ""] + [f"- {f}" for f in failures]
    with open(md_out, "w") as f:
        f.write("\n".join(md) + "\n")
    if failures:
        print("FAILURES: " + "; ".join(failures), file=sys.stderr)
        sys.exit(3)


def main(argv):
    if not argv:
        die(__doc__)
    cmd, args = argv[0], argv[1:]
    table = {
        "note-json": cmd_note_json, "free-port": cmd_free_port, "wait-http": cmd_wait_http, "pb-setup": cmd_pb_setup,
        "seed": cmd_seed, "check": cmd_check, "record": cmd_record, "table": cmd_table,
        "signin": cmd_signin, "auth-table": cmd_auth_table,
    }
    if cmd not in table:
        die(f"unknown subcommand {cmd}\n{__doc__}")
    table[cmd](*args)


if __name__ == "__main__":
    main(sys.argv[1:])
