"""What the fuzz run saw, and the rules every answer is held to.

Every exchange is counted by kind and outcome. A rule broken raises `Violation` with the input
that broke it, so Hypothesis shrinks it and prints a reproducible example; the fixed cases fail
the same way.
"""
import collections
import json


class Violation(AssertionError):
    pass


class Tally:
    def __init__(self):
        self.by_kind = collections.Counter()
        self.statuses = collections.Counter()
        self.server_errors = 0
        self.max_rss_kb = 0

    def count(self, kind, outcome):
        """`outcome`: an HTTP status, a WebSocket close code ("ws:1002"), or a word ("closed")."""
        self.by_kind[kind] += 1
        self.statuses[str(outcome)] += 1
        if isinstance(outcome, int) and outcome >= 500:
            self.server_errors += 1

    @property
    def total(self):
        return sum(self.by_kind.values())

    def summary(self):
        lines = [f"requests: {self.total}"]
        lines += [f"  {kind}: {n}" for kind, n in sorted(self.by_kind.items())]
        lines.append("outcomes: " + ", ".join(f"{k}={n}" for k, n in sorted(self.statuses.items())))
        lines.append(f"5xx: {self.server_errors}")
        lines.append(f"max RSS: {self.max_rss_kb / 1024:.1f} MiB")
        return "\n".join(lines)


def require(condition, what, sent, got=None):
    if not condition:
        detail = f"{what}\n  sent: {sent!r:.2000}"
        if got is not None:
            detail += f"\n  got: {got!r:.2000}"
        raise Violation(detail)


def check_http(status, headers, body, sent, graphql=True):
    """The rules for a complete HTTP answer: no 5xx; a refusal says why with a code; a GraphQL
    answer is JSON whose every error carries `extensions.code`."""
    require(status < 500, f"server error {status}", sent, body)
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/problem+json"):
        problem = _json(body, sent)
        require(isinstance(problem, dict), "problem body is not an object", sent, body)
        for key in ("type", "title", "status"):
            require(key in problem, f"problem JSON without {key!r}", sent, body)
        require(problem["status"] == status, "problem status differs from the HTTP status", sent, body)
        require(status >= 400, "problem JSON on a success", sent, body)
        return problem
    if status == 101 or status == 204 or (status == 200 and not graphql):
        return None
    require(
        content_type.startswith("application/json") or content_type.startswith("application/graphql-response+json"),
        f"unexpected content type {content_type!r} for status {status}", sent, body)
    answer = _json(body, sent)
    if graphql or status >= 400:
        check_graphql_answer(answer, sent, refused=status >= 400)
    return answer


def check_graphql_answer(answer, sent, refused=False):
    require(isinstance(answer, dict), "answer is not a JSON object", sent, answer)
    require("data" in answer or "errors" in answer, "answer has neither data nor errors", sent, answer)
    if refused:
        require(answer.get("errors"), "a refusal without errors", sent, answer)
    for error in answer.get("errors") or []:
        require(isinstance(error, dict) and isinstance(error.get("message"), str), "error without a message", sent, answer)
        code = (error.get("extensions") or {}).get("code")
        require(isinstance(code, str) and code, "error without extensions.code", sent, answer)
        require(code != "INTERNAL", "INTERNAL error (an unhandled failure)", sent, answer)


def _json(body, sent):
    try:
        return json.loads(body)
    except ValueError:
        raise Violation(f"body is not JSON\n  sent: {sent!r:.2000}\n  got: {body[:500]!r}")
