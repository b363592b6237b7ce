#!/usr/bin/env python3
"""GraphQL over HTTP with GET, sent by Python `requests` the way clients send it.

`requests.get(url, params=…)` writes the query string as application/x-www-form-urlencoded
(urllib's quote_plus): a space becomes `+` and a literal `+` becomes `%2B`, as browsers'
URLSearchParams and `curl -G --data-urlencode` do too. Checks `query`, `variables` and
`operationName` sent that way, and that a `+` in a value arrives as `+`.

Usage: http_get_check.py http://127.0.0.1:PORT/graphql
Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
"""
import json
import pathlib
import sys

import requests
from report import Report


def main():
    url = sys.argv[1]
    base = url.rsplit("/graphql", 1)[0]
    root = pathlib.Path(__file__).resolve().parents[2]
    report = Report()
    check = report.check

    # The user introspection_check.py signs in: the fixture documents read its notes.
    credentials = {"username": "conformance", "password": "conformance-password"}
    requests.post(f"{base}/auth/signup", json=credentials, timeout=30)
    login = requests.post(f"{base}/auth/login", json=credentials, timeout=30)
    if login.status_code != 200:
        raise SystemExit(f"login failed: HTTP {login.status_code}: {login.text}")
    auth = {"Authorization": f"Bearer {login.json()['accessToken']}"}

    title = "1 + 1 = 2 & 100% sure?"
    created = requests.post(
        url, json={"query": "mutation C($t: String!) { createNote(input: {title: $t}) { id } }", "variables": {"t": title}},
        headers=auth, timeout=30).json()
    note_id = created["data"]["createNote"]["id"]

    def get(params):
        response = requests.get(url, params=params, headers=auth, timeout=30)
        return response, response.json()

    response, answer = get({"query": "query G($id: ID!) { getNote(id: $id) { title } }", "variables": json.dumps({"id": note_id})})
    check("the query string is form-encoded (spaces as +)", "query=query+G" in response.request.url, response.request.url)
    check("query and variables with spaces", ((answer.get("data") or {}).get("getNote") or {}).get("title") == title, answer)

    two = "query A { listNotes { items { id } } }\nquery B($t: String) { listNotes(filter: {title: {eq: $t}}) { items { title } } }"
    response, answer = get({"query": two, "operationName": "B", "variables": json.dumps({"t": title})})
    check("a literal + (sent as %2B) in a variable arrives as +", "%2B" in response.request.url, response.request.url)
    items = ((answer.get("data") or {}).get("listNotes") or {}).get("items")
    check("operationName picks the operation; the filter matches the title", items == [{"title": title}], answer)

    response, answer = get({"query": "mutation { createNote(input: {title: \"via get\"}) { id } }"})
    check("a mutation with GET is refused", response.status_code == 405, (response.status_code, answer))

    for path in sorted((root / "Fixtures" / "documents").glob("*.graphql")):
        text = path.read_text()
        if text.lstrip().startswith("mutation"):
            continue
        variables_path = path.with_suffix(".json")
        variables = variables_path.read_text() if variables_path.exists() else "{}"
        response, answer = get({"query": text, "variables": variables})
        check(f"{path.name} runs with GET", "errors" not in answer and answer.get("data"), answer.get("errors"))

    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
