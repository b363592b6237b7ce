"""GraphQL documents generated from the server's own introspected schema (hypothesis-graphql),
valid ones and invalid ones (its negative mode, documents mutated byte by byte, unknown fields,
variables of the wrong type, extra or missing), sent by callers with and without credentials.
"""
import datetime
import json

import graphql
import httpx
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from tally import Violation, check_http, require

ACCEPTS = [None, "application/json", "application/graphql-response+json", "application/graphql-response+json, application/json;q=0.9"]


def introspect(client, url, headers):
    """The server's schema; introspection takes credentials (`headers`) by default."""
    answer = client.post(url, json={"query": graphql.get_introspection_query()}, headers=headers).json()
    return graphql.build_client_schema(answer["data"])


def _scalar(valid):
    """A custom scalar: valid values mostly, anything else sometimes (the server must refuse it)."""
    wrong = st.one_of(st.text().map(nodes.String), st.integers().map(nodes.Int), st.booleans().map(nodes.Boolean))
    return st.one_of(valid, valid, wrong)


UTC = datetime.timezone.utc
CUSTOM_SCALARS = {
    "AWSDate": _scalar(st.dates().map(lambda d: nodes.String(d.isoformat()))),
    "AWSTime": _scalar(st.times().map(lambda t: nodes.String(t.isoformat()))),
    "AWSDateTime": _scalar(st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat().replace("+00:00", "Z")))),
    "AWSTimestamp": _scalar(st.integers(-(2**53), 2**53).map(nodes.Int)),
    "AWSEmail": _scalar(st.emails().map(nodes.String)),
    "AWSJSON": _scalar(st.recursive(st.none() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=8).map(lambda v: nodes.String(json.dumps(v)))),
    "AWSPhone": _scalar(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True).map(nodes.String)),
    "AWSIPAddress": _scalar(st.ip_addresses().map(lambda a: nodes.String(str(a)))),
    "AWSURL": _scalar(st.sampled_from(["https://example.com/a?b=c", "http://[::1]:8080/", "ftp://x"]).map(nodes.String)),
}

IDENTIFIER = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,20}", fullmatch=True)


@st.composite
def mutated(draw, documents):
    """A valid document broken at a random place: bytes cut, repeated or replaced."""
    text = draw(documents)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["cut", "insert", "repeat"]))
        if edit == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        elif edit == "insert":
            noise = draw(st.one_of(st.sampled_from(list("{}()[]:$!@.,\"\\#=|&") + ["...", "on", "null", "\u0000", "\ud800", "\u202e", "\U0001F30A"]), IDENTIFIER, st.text(max_size=5)))
            text = text[:at] + noise + text[at:]
        else:
            text = text[:at] + text[at:at + 16] * draw(st.integers(2, 50)) + text[at:]
    return text


def _operations(schema):
    """(keyword, field name, field) of every query and mutation root field with arguments."""
    found = []
    for keyword, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for name, field in (root.fields if root else {}).items():
            if field.args:
                found.append((keyword, name, field))
    return found


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


@st.composite
def with_variables(draw, operations):
    """A document that takes every argument of one root field as a variable, and variables
    that fit or do not: wrong types, extra names, missing ones."""
    keyword, name, field = draw(st.sampled_from(operations))
    declared = ", ".join(f"${arg}: {field_arg.type}" for arg, field_arg in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    document = f"{keyword} Fuzz({declared}) {{ {name}({passed}) {{ __typename }} }}"
    variables = {}
    for arg in field.args:
        if draw(st.integers(0, 5)) > 0:
            variables[arg] = draw(JSON_VALUES)
    variables.update(draw(st.dictionaries(IDENTIFIER, JSON_VALUES, max_size=2)))
    body = {"query": document, "variables": draw(st.one_of(st.just(variables), st.just(variables), JSON_VALUES))}
    if draw(st.booleans()):
        body["operationName"] = draw(st.one_of(st.just("Fuzz"), IDENTIFIER, JSON_VALUES))
    return body


def strategies(schema):
    queries_mutations = st.one_of(
        from_schema(schema, custom_scalars=CUSTOM_SCALARS, mode=Mode.POSITIVE),
        from_schema(schema, custom_scalars=CUSTOM_SCALARS, mode=Mode.NEGATIVE))
    unknown = st.builds(lambda kind, a, b: f"{kind} {{ {a} {{ {b} }} }}", st.sampled_from(["query", "mutation", "subscription", ""]), IDENTIFIER, IDENTIFIER)
    documents = st.one_of(queries_mutations, queries_mutations, mutated(queries_mutations), unknown).map(lambda q: {"query": q})
    return st.one_of(documents, documents, with_variables(_operations(schema)))


def send(client, url, body, credentials, accept, method):
    """One GraphQL request; the answer checked against the rules. Returns its status."""
    headers = dict(credentials)
    if accept:
        headers["Accept"] = accept
    sent = (method, headers, body)
    try:
        if method == "GET":
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
            response = client.get(url, params=params, headers=headers)
        else:
            response = client.post(url, content=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"})
    except httpx.TransportError as error:
        raise Violation(f"no HTTP answer ({type(error).__name__}: {error})\n  sent: {sent!r:.2000}")
    check_http(response.status_code, response.headers, response.content, sent)
    if response.status_code != 200:
        # Only the request errors the GraphQL-over-HTTP spec names, each with its reason.
        require(response.status_code in (400, 401, 405, 413, 414, 415, 429, 431), f"unexpected status {response.status_code}", sent, response.content)
    return response.status_code
