#!/usr/bin/env python3
"""Fuzzes a running `tidewater serve` (started by run.sh) and checks it holds up.

Rounds of batches until --requests exchanges have run (at least one round):
  graphql  documents from the introspected schema, valid and invalid, variables that fit or not,
           with a user's token, an API key, a bad token or none, by POST and GET;
  body     malformed JSON, wrong media types, values past the size and nesting limits, odd Unicode;
  get      GET /graphql with odd query strings, over a raw socket;
  ws       random raw WebSocket frame sequences;
and, in the first round, the fixed WebSocket cases (protocol order, RFC 6455 violations) and
the slow and half-sent requests.

After each batch: the process is alive, /healthz answers 200, and its RSS is under --rss-limit-mib.
Every answer must follow the rules in tally.py. On a failure Hypothesis prints the (shrunk)
input that broke a rule; the run stops there and exits 1. Prints a summary either way.

Usage: fuzz.py URL --pid PID --data DIR --bin TIDEWATER [--requests N] [--idle SECONDS]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

import body_cases
import graphql_cases
import slow_cases
import ws_cases
from tally import Tally, Violation, require


class Fuzz:
    def __init__(self, args):
        self.args = args
        self.url = args.url
        parsed = urllib.parse.urlsplit(args.url)
        self.host, self.port = parsed.hostname, parsed.port
        self.base = f"{parsed.scheme}://{parsed.netloc}"
        self.tally = Tally()
        self.client = httpx.Client(timeout=30)
        self.database = DirectoryBasedExampleDatabase(tempfile.mkdtemp(prefix="tidewater-fuzz-examples-"))
        self.rss_after_first_round = None

    def credentials(self):
        user = {"username": "fuzz-user", "password": "correct horse battery staple"}
        self.client.post(self.base + "/auth/signup", json=user)
        token = self.client.post(self.base + "/auth/login", json=user).json()["accessToken"]
        key = subprocess.run([self.args.bin, "apikeys", "create", "--data", self.args.data, "--name", "fuzz"],
                             capture_output=True, text=True, timeout=60, check=True).stdout.strip()
        self.token = token
        # Mostly callers the server admits, so most requests reach the GraphQL engine.
        user, api_key = {"Authorization": f"Bearer {token}"}, {"x-api-key": key}
        self.caller = st.sampled_from([
            {}, {}, user, user, user, user, api_key, api_key,
            {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic Zm9vOmJhcg=="}, {"x-api-key": "tw_nope"}])

    def property(self, examples, strategy, test):
        """Runs `test` on `examples` values of `strategy`; Hypothesis shrinks and prints a failure."""
        @settings(max_examples=examples, deadline=None, database=self.database, print_blob=True,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def run(case):
            test(case)
        run()

    def healthy(self, after):
        """The process is alive and answering, and its memory is under the bound."""
        status = open(f"/proc/{self.args.pid}/status").read() if os.path.exists(f"/proc/{self.args.pid}/status") else ""
        require(status and "State:\tZ" not in status, "the server process is gone", after)
        rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        self.tally.max_rss_kb = max(self.tally.max_rss_kb, rss)
        require(rss < self.args.rss_limit_mib * 1024, f"RSS {rss // 1024} MiB past the bound of {self.args.rss_limit_mib} MiB", after)
        try:
            health = self.client.get(self.base + "/healthz", timeout=10)
        except httpx.TransportError as error:
            raise Violation(f"/healthz not answering after {after}: {error}")
        require(health.status_code == 200, f"/healthz answered {health.status_code}", after, health.text)
        return rss

    def batch(self, name, run):
        start = time.monotonic()
        before = self.tally.total
        run()
        rss = self.healthy(name)
        print(f"  {name}: {self.tally.total - before} requests in {time.monotonic() - start:.1f} s, RSS {rss / 1024:.0f} MiB", flush=True)
        return rss

    def graphql(self, examples):
        schema = graphql_cases.introspect(self.client, self.url, {"Authorization": f"Bearer {self.token}"})
        documents = graphql_cases.strategies(schema)
        accept = st.sampled_from(graphql_cases.ACCEPTS)

        def test(case):
            # Generating a document costs more than sending it: each goes out as three callers.
            body, callers, accept_, get = case
            method = "GET" if get and isinstance(body.get("query"), str) else "POST"
            for caller in callers:
                self.tally.count("graphql", graphql_cases.send(self.client, self.url, body, caller, accept_, method))
        self.property(examples, st.tuples(documents, st.lists(self.caller, min_size=3, max_size=3), accept, st.integers(0, 4).map(lambda n: n == 0)), test)

    def bodies(self, examples):
        def test(case):
            (content_type, body), caller = case
            self.tally.count("body", body_cases.send_body(self.client, self.url, content_type, body, caller))
        self.property(examples, st.tuples(body_cases.bodies(), self.caller), test)

    def gets(self, examples):
        def test(case):
            target, caller = case
            self.tally.count("get", body_cases.send_get(self.host, self.port, target, caller))
        self.property(examples, st.tuples(body_cases.query_strings(), self.caller), test)

    def websocket_sequences(self, examples):
        def test(frames):
            self.tally.count("ws", ws_cases.run_sequence(self.host, self.port, frames))
        self.property(examples, ws_cases.frame_sequences(), test)

    def fixed(self, kind, cases):
        for name, case in cases:
            try:
                self.tally.count(kind, case())
            except Violation as violation:
                raise Violation(f"{kind} case {name!r}: {violation}")

    def run(self):
        self.credentials()
        e = self.args.examples
        self.batch("websocket cases", lambda: self.fixed("ws", ws_cases.scenarios(self.host, self.port, self.token)))
        self.batch("slow requests", lambda: self.fixed("slow", slow_cases.scenarios(self.host, self.port, self.args.idle)))
        round_ = 0
        while True:
            round_ += 1
            print(f"round {round_}", flush=True)
            self.batch("graphql", lambda: self.graphql(e))
            self.batch("bodies", lambda: self.bodies(e // 2))
            self.batch("get", lambda: self.gets(e // 2))
            rss = self.batch("ws frames", lambda: self.websocket_sequences(max(1, e // 5)))
            if round_ == 1:
                self.rss_after_first_round = rss
            elif rss - self.rss_after_first_round > self.args.growth_limit_mib * 1024:
                raise Violation(f"RSS grew from {self.rss_after_first_round // 1024} to {rss // 1024} MiB after round 1 (bound {self.args.growth_limit_mib} MiB): a leak")
            if self.tally.total >= self.args.requests:
                return


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--data", required=True, help="the server's data folder (for an API key)")
    parser.add_argument("--bin", required=True, help="the tidewater executable")
    parser.add_argument("--requests", type=int, default=1000, help="run rounds until this many exchanges")
    parser.add_argument("--examples", type=int, default=200, help="Hypothesis examples per GraphQL batch (the others scale with it)")
    parser.add_argument("--idle", type=float, required=True, help="the server's --http-idle-timeout")
    parser.add_argument("--rss-limit-mib", type=int, default=512)
    parser.add_argument("--growth-limit-mib", type=int, default=128)
    args = parser.parse_args()
    fuzz = Fuzz(args)
    started = time.monotonic()
    try:
        fuzz.run()
        failed = False
    except Exception:
        traceback.print_exc()
        failed = True
    try:
        fuzz.healthy("the run")
    except Violation as violation:
        print(f"FAIL {violation}")
        failed = True
    print(fuzz.tally.summary())
    print(f"time: {time.monotonic() - started:.0f} s")
    print("FAILED" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
