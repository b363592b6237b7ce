#!/usr/bin/env python3
"""Checks a running Tidewater server with graphql-core, the reference GraphQL implementation.

1. Sends graphql-core's own standard introspection query (descriptions, deprecations,
   specifiedByURL, graphql-js's ofType depth; not the optional input-value deprecation, which
   GraphQLSwift 4.3 does not implement) with a user's token, as codegen tools and IDEs send it
   with their credentials, and rebuilds the schema with `build_client_schema`. Without
   credentials it is refused (`--introspection authenticated`, the default).
2. Validates every document under Fixtures/documents/ (Amplify-style client operations)
   against that client schema, and runs each one against the server.

Usage: introspection_check.py http://127.0.0.1:PORT/graphql
Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
"""
import json
import pathlib
import sys
import urllib.error
import urllib.request

from graphql import build_client_schema, get_introspection_query, parse, print_schema, validate
from report import Report


def post_json(url, body, headers=None):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:  # 4xx answers carry a body worth reporting
        return error.code, json.loads(error.read() or b"null")


def post(url, query, variables=None, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return post_json(url, {"query": query, "variables": variables or {}}, headers)[1]


def sign_in(graphql_url):
    """Signs up and logs in a user (the documents' notes are owner-only); returns the token."""
    base = graphql_url.rsplit("/graphql", 1)[0]
    credentials = {"username": "conformance", "password": "conformance-password"}
    post_json(f"{base}/auth/signup", credentials)
    status, answer = post_json(f"{base}/auth/login", credentials)
    if status != 200:
        raise SystemExit(f"login failed: HTTP {status}: {answer}")
    return answer["accessToken"]


def main():
    url = sys.argv[1]
    root = pathlib.Path(__file__).resolve().parents[2]
    report = Report()
    check = report.check

    token = sign_in(url)
    query = get_introspection_query(descriptions=True, specified_by_url=True)
    anonymous = post(url, query)
    codes = [(error.get("extensions") or {}).get("code") for error in anonymous.get("errors") or []]
    check("introspection without credentials is refused (UNAUTHENTICATED)",
          codes == ["UNAUTHENTICATED"] and anonymous.get("data") is None, anonymous)
    result = post(url, query, token=token)
    check("introspection answers without errors", "errors" not in result, result.get("errors"))
    try:
        schema = build_client_schema(result["data"])
        sdl = print_schema(schema)
        check("build_client_schema accepts the schema", "type Query" in sdl)
    except Exception as error:  # the check reports, it does not crash
        check("build_client_schema accepts the schema", False, repr(error))
        return report.finish()

    for path in sorted((root / "Fixtures" / "documents").glob("*.graphql")):
        text = path.read_text()
        variables_path = path.with_suffix(".json")
        variables = json.loads(variables_path.read_text()) if variables_path.exists() else {}
        errors = validate(schema, parse(text))
        check(f"{path.name} is valid against the client schema", not errors, [str(e) for e in errors])
        if errors:
            continue
        answer = post(url, text, variables, token)
        check(f"{path.name} runs on the server", "errors" not in answer and answer.get("data"), answer.get("errors"))

    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
