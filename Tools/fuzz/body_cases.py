"""Request bodies and query strings that are not what a GraphQL client sends: malformed JSON,
wrong media types, values past the size and nesting limits, odd Unicode (escaped lone
surrogates, NUL, overlong UTF-8, right-to-left marks, emoji), and GET query strings with
anything in them.
"""
import json

import httpx
from hypothesis import strategies as st

import rawhttp
from graphql_cases import JSON_VALUES
from tally import Violation, check_http, require

MAX_BODY = 1 << 20
ODD_TEXT = ["\\ud800", "\\udfff", "\\udc00\\ud800", "\\u0000", "\\u202e", "\\u200f", "\\ufeff", "\\uffff", "🌊", "👩‍👩‍👧", "é", "\\\"", "\\\\"]
ODD_BYTES = [b"\x00", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xed\xa0\x80", b"\xff", b"\x80", b"\xe2\x80\xae", b"\xef\xbb\xbf"]
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json;charset=latin-1",
    "application/graphql", "application/graphql+json", "text/plain", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "application/jsonx", "", "*/*", "application/json\x01"]
QUERIES = ["{ __typename }", "query Q { listNotes { items { id title } } }", "mutation { createNote(input: {title: \"t\"}) { id } }",
           "{ listPosts(limit: 2) { items { id } nextToken } }", "subscription { onCreateNote { id } }"]


def _nested(open_, close, depth, inner="1"):
    return open_ * depth + inner + close * depth


@st.composite
def odd_string(draw):
    """JSON string contents (escapes written out) with the characters parsers get wrong."""
    parts = draw(st.lists(st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=6).map(lambda s: json.dumps(s)[1:-1])), max_size=8))
    return "".join(parts)


@st.composite
def bodies(draw):
    """(content type, body bytes)."""
    kind = draw(st.sampled_from(["garbage", "truncated", "shape", "unicode", "raw-bytes", "nested", "huge", "media"]))
    query = draw(st.sampled_from(QUERIES))
    valid = json.dumps({"query": query}).encode()
    content_type = "application/json"
    if kind == "garbage":
        body = draw(st.binary(max_size=200))
    elif kind == "truncated":
        body = valid[:draw(st.integers(0, len(valid) - 1))] + draw(st.sampled_from([b"", b",", b"}", b"]]", b" trailing", b"\x00"]))
    elif kind == "shape":
        body = json.dumps(draw(st.one_of(
            JSON_VALUES,
            st.fixed_dictionaries({"query": JSON_VALUES}),
            st.fixed_dictionaries({"query": st.just(query), "variables": JSON_VALUES}),
            st.fixed_dictionaries({"query": st.just(query), "operationName": JSON_VALUES}),
            st.fixed_dictionaries({"query": st.just(query), "extensions": JSON_VALUES})))).encode()
    elif kind == "unicode":
        where = draw(st.sampled_from(["title", "alias", "operation", "variables", "key"]))
        text = draw(odd_string())
        if where == "title":
            body = ('{"query":"mutation { createNote(input: {title: \\"' + text.replace('\\"', "") + '\\"}) { id title } }"}').encode()
        elif where == "alias":
            body = ('{"query":"{ ' + text + ': __typename }"}').encode()
        elif where == "operation":
            body = ('{"query":"query Q { __typename }","operationName":"' + text + '"}').encode()
        elif where == "variables":
            body = ('{"query":"query($t: String) { listNotes(filter: {title: {eq: $t}}) { items { id } } }","variables":{"t":"' + text + '"}}').encode()
        else:
            body = ('{"query":"{ __typename }","' + text + '":1}').encode()
    elif kind == "raw-bytes":
        raw = draw(st.sampled_from(ODD_BYTES))
        at = draw(st.integers(0, len(valid)))
        body = valid[:at] + raw + valid[at:]
    elif kind == "nested":
        depth = draw(st.sampled_from([10, 64, 100, 101, 200, 1000, 10000, 100000]))
        where = draw(st.sampled_from(["json-array", "json-object", "variables", "list-literal", "object-literal", "selection", "filter-not", "fragments"]))
        if where == "json-array":
            body = _nested("[", "]", depth).encode()
        elif where == "json-object":
            body = _nested('{"a":', "}", depth).encode()
        elif where == "variables":
            body = ('{"query":"query($f: ModelNoteFilterInput) { listNotes(filter: $f) { items { id } } }","variables":{"f":' + _nested('{"not":', "}", depth, "{}") + "}}").encode()
        elif where == "list-literal":
            body = json.dumps({"query": "{ getNote(id: " + _nested("[", "]", depth) + ") { id } }"}).encode()
        elif where == "object-literal":
            body = json.dumps({"query": "{ getNote(id: " + _nested("{a: ", "}", depth, '"x"') + ") { id } }"}).encode()
        elif where == "selection":
            body = json.dumps({"query": _nested("{ a ", "}", depth, "")}).encode()
        elif where == "filter-not":
            body = json.dumps({"query": "{ listNotes(filter: " + _nested("{not: ", "}", depth, "{title: {eq: \"x\"}}") + ") { items { id } } }"}).encode()
        else:
            body = json.dumps({"query": "{ " + _nested("... on Query { ", "}", depth, "__typename ") + "}"}).encode()
    elif kind == "huge":
        size = draw(st.sampled_from([MAX_BODY - 100, MAX_BODY + 1, 2 * MAX_BODY]))
        where = draw(st.sampled_from(["string", "spaces", "aliases", "variables"]))
        if where == "string":
            body = ('{"query":"{ __typename }","extensions":{"x":"' + "a" * size + '"}}').encode()
        elif where == "spaces":
            body = b'{"query":"{ __typename }"' + b" " * size + b"}"
        elif where == "aliases":
            body = json.dumps({"query": "{ " + " ".join(f"a{i}: __typename" for i in range(size // 16)) + " }"}).encode()
        else:
            body = json.dumps({"query": "query($v: [String]) { __typename }", "variables": {"v": ["x"] * (size // 6)}}).encode()
    else:
        content_type = draw(st.sampled_from(CONTENT_TYPES))
        body = draw(st.sampled_from([valid, b"query=%7B__typename%7D", b"{ __typename }", b""]))
    return content_type, body


def send_body(client, url, content_type, body, credentials):
    headers = dict(credentials)
    if content_type:
        headers["Content-Type"] = content_type
    sent = ("POST", headers, body[:300] + (b"..." if len(body) > 300 else b""), len(body))
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.TransportError as error:
        raise Violation(f"no HTTP answer ({type(error).__name__}: {error})\n  sent: {sent!r:.2000}")
    if response.status_code == 400 and any(c < " " and c != "\t" or c == "\x7f" for c in content_type):
        # A control character in a header is not HTTP (RFC 9110 §5.5): NIO's parser answers 400.
        return response.status_code
    check_http(response.status_code, response.headers, response.content, sent)
    if len(body) > MAX_BODY:
        require(response.status_code == 413, "a body past the limit not refused with 413", sent, response.content)
    return response.status_code


QUERY_CHARS = st.sampled_from(list("%+&=?#/;:@!$'()*,[]{}\"<>\\^`|~ ") + ["%zz", "%0", "%00", "%C0%AF", "%ED%A0%80", "%FF", "%E2%80%AE", "%F0%9F%8C%8A", "query=", "variables=", "operationName=", "extensions="])


@st.composite
def query_strings(draw):
    """A GET /graphql target: printable ASCII (a valid request line, which must get a full answer)
    or with raw bytes a request line may not hold (400 or a close is fine)."""
    parts = draw(st.lists(st.one_of(QUERY_CHARS, st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=10),
                                    st.sampled_from(["query=%7B__typename%7D", "query={+__typename+}", "variables=%7B%7D", "variables=[1]", "variables=nul"])),
                          max_size=30))
    target = "/graphql?" + "".join(parts)
    data = target.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        data += draw(st.sampled_from(ODD_BYTES + [b" ", b"\t", b"\r", b"\x7f"]))
    if draw(st.integers(0, 19)) == 0:
        data += b"a" * draw(st.sampled_from([8000, 70000, 200000]))
    return data


def send_get(host, port, target, credentials):
    header_lines = "".join(f"{k}: {v}\r\n" for k, v in credentials.items())
    request = b"GET " + target + b" HTTP/1.1\r\nHost: fuzz\r\n" + header_lines.encode() + b"Connection: close\r\n\r\n"
    answer = rawhttp.exchange(host, port, request, timeout=15)
    sent = ("GET", target[:500], len(target))
    well_formed = all(0x21 <= b <= 0x7E for b in target)
    if answer.status is None:
        require(not well_formed or len(target) > 8000, f"no answer to a well-formed request ({answer.ended})", sent)
        require(answer.ended in ("closed", "reset"), f"connection left {answer.ended}", sent)
        return answer.ended
    if answer.status in (400, 414, 431) and (not well_formed or len(target) > 8000):
        return answer.status  # the request line itself was refused
    check_http(answer.status, answer.headers, answer.body, sent)
    return answer.status
