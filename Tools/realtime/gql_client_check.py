#!/usr/bin/env python3
"""Checks Tidewater's subscriptions with an independent client: Python `gql` and its
graphql-transport-ws transport (`websockets` backend).

1. Subscribes to onCreateNote, creates notes over HTTP, receives them with extensions.seq.
2. Disconnects, creates more, subscribes again with extensions.resumeFrom: the missed events
   arrive first, in order, then live ones.
3. Runs a query and a mutation over the socket.

Usage: gql_client_check.py http://127.0.0.1:PORT/graphql
Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
Every wait is bounded.
"""
import asyncio
import json
import sys
import urllib.error
import urllib.request

from gql import Client, GraphQLRequest, gql
from gql.transport.websockets import WebsocketsTransport

TIMEOUT = 10
ON_CREATE = "subscription { onCreateNote { title } }"
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")


def post_json(url, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return json.loads(response.read())


def sign_in(graphql_url):
    base = graphql_url.rsplit("/graphql", 1)[0]
    credentials = {"username": "gql-check", "password": "correct horse battery staple"}
    try:
        post_json(base + "/auth/signup", credentials)
    except urllib.error.HTTPError as error:
        if error.code != 409:
            raise
    return post_json(base + "/auth/login", credentials)["accessToken"]


def create_note(url, token, title):
    body = {"query": "mutation C($t: String!) { createNote(input: {title: $t}) { id } }", "variables": {"t": title}}
    answer = post_json(url, body, token)
    assert "errors" not in answer, answer


def transport(url, token):
    return WebsocketsTransport(
        url=url.replace("http://", "ws://"),
        init_payload={"Authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )


async def receive(url, token, request, creates, expected):
    """Subscribes, creates `creates` over HTTP once the subscription is in place, and returns
    the first `expected` events as (seq, title)."""
    events = []
    async with Client(transport=transport(url, token)) as session:
        async def collect():
            async for result in session.subscribe(request, get_execution_result=True):
                events.append((result.extensions["seq"], result.data["onCreateNote"]["title"]))
                if len(events) == expected:
                    return

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.2)  # let the subscribe message go out first
        # The server handles one connection's messages in order: once this answers, the
        # subscription is registered.
        await asyncio.wait_for(session.execute(gql("{ listNotes(limit: 1) { items { id } } }")), TIMEOUT)
        for title in creates:
            await asyncio.to_thread(create_note, url, token, title)
        await asyncio.wait_for(task, TIMEOUT)
    return events


async def main(url):
    token = sign_in(url)

    live = await receive(url, token, GraphQLRequest(ON_CREATE), ["a", "b"], 2)
    check("live events arrive in order", [t for _, t in live] == ["a", "b"], str(live))
    seqs = [s for s, _ in live]
    check("every next carries an increasing extensions.seq", seqs == sorted(seqs) and len(set(seqs)) == 2, str(seqs))
    last = seqs[-1]

    create_note(url, token, "c")
    create_note(url, token, "d")
    resumed = await receive(url, token, GraphQLRequest(ON_CREATE, extensions={"resumeFrom": last}), ["e"], 3)
    check("resume replays the missed events, then live ones", [t for _, t in resumed] == ["c", "d", "e"], str(resumed))
    check("resumed seqs follow on without a gap", [s for s, _ in resumed] == [last + 1, last + 2, last + 3], str(resumed))

    async with Client(transport=transport(url, token)) as session:
        created = await asyncio.wait_for(session.execute(gql('mutation { createNote(input: {title: "ws"}) { id title } }')), TIMEOUT)
        check("a mutation over the socket", created["createNote"]["title"] == "ws", str(created))
        note_id = created["createNote"]["id"]
        read = await asyncio.wait_for(
            session.execute(gql("query Q($id: ID!) { getNote(id: $id) { title } }"), variable_values={"id": note_id}), TIMEOUT)
        check("a query over the socket", read["getNote"]["title"] == "ws", str(read))

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
