"""Slow and half-sent requests: a head sent byte by byte (answered, since every byte comes within
the idle timeout), a head or a body left unfinished (closed once the idle timeout passes), and
many trickling connections at once while another client is still answered.
"""
import concurrent.futures
import json
import time

import rawhttp
from tally import check_http, require

BODY = json.dumps({"query": "{ __typename }"}).encode()
POST_HEAD = b"POST /graphql HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"


def scenarios(host, port, idle):
    margin = idle + 5  # the idle timer fires within one timeout of the last byte; the rest is load

    def byte_by_byte(request, gap):
        def run():
            answer = rawhttp.exchange(host, port, request, timeout=margin, chunks=[request[i:i + 1] for i in range(len(request))], gap=gap)
            require(answer.status is not None, f"no answer to a request sent byte by byte ({answer.ended})", request)
            check_http(answer.status, answer.headers, answer.body, request, graphql=b"/graphql" in request)
            require(answer.status == 200, "a slow but complete request was not answered 200", request, answer)
            return answer.status
        return run

    def abandoned(request):
        def run():
            sock = rawhttp.connect(host, port, margin)
            sock.sendall(request)
            start = time.monotonic()
            deadline, head, ended = start + margin, b"", None
            while ended is None:
                # A 100 Continue is fine (the client asked for it); then 408, 400 or a close.
                chunk, ended = rawhttp.recv(sock, deadline)
                head = (head + chunk).removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
                if head.count(b"\r\n\r\n") and ended is None:
                    require(head.startswith((b"HTTP/1.1 408", b"HTTP/1.1 400")), "unexpected answer to an abandoned request", request, head)
            ended = "answered, then " + ended if head else ended
            took = time.monotonic() - start
            sock.close()
            require(ended.endswith(("closed", "reset")), f"abandoned request left open past {margin} s ({ended})", request)
            require(took >= idle * 0.5, f"closed after {took:.2f} s, before the idle timeout", request)
            return ended
        return run

    def slowloris(count, gap):
        """`count` connections trickling a head one byte per `gap` s; meanwhile /healthz answers."""
        def run():
            request = b"GET /healthz HTTP/1.1\r\nHost: f\r\n\r\n"
            with concurrent.futures.ThreadPoolExecutor(count) as pool:
                futures = [pool.submit(rawhttp.exchange, host, port, request, margin + len(request) * gap,
                                       [request[i:i + 1] for i in range(len(request))], gap) for _ in range(count)]
                time.sleep(min(1.0, gap * 4))
                for _ in range(5):
                    start = time.monotonic()
                    answer = rawhttp.exchange(host, port, b"GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n", timeout=5)
                    require(answer.status == 200, f"/healthz not answered within 5 s beside {count} slow connections", "GET /healthz", answer)
                    time.sleep(0.1)
                outcomes = [f.result() for f in futures]
            for answer in outcomes:
                if gap < idle:
                    require(answer.status == 200, "a trickled request within the idle timeout was not answered", request, answer)
                else:
                    require(answer.status is None and answer.ended in ("closed", "reset"), "a trickle slower than the idle timeout was not closed", request, answer)
            return outcomes[0].status or outcomes[0].ended
        return run

    get = b"GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n"
    post = (POST_HEAD % len(BODY)) + BODY
    return [
        ("head byte by byte", byte_by_byte(get, 0.02)),
        ("POST byte by byte", byte_by_byte(post, 0.01)),
        ("half a request line", abandoned(b"GET /grap")),
        ("head without its blank line", abandoned(b"GET /healthz HTTP/1.1\r\nHost: fuzz\r\n")),
        ("body shorter than Content-Length", abandoned((POST_HEAD % (len(BODY) + 10)) + BODY)),
        ("chunked body never ended", abandoned(b"POST /graphql HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"que\r\n")),
        ("upgrade head left unfinished", abandoned(b"GET /graphql HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")),
        ("expect 100-continue then no body", abandoned(b"POST /graphql HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n")),
        ("slowloris within the idle timeout", slowloris(40, idle / 8)),
        ("slowloris past the idle timeout", slowloris(20, idle * 1.5)),
    ]
