"""HTTP/1.1 over a plain socket: sends exactly the bytes given (malformed, slow or half-sent,
which an HTTP library would refuse or fix), then reads one answer or the end of the connection.
"""
import socket
import time


class Answer:
    """One response (`status` set), or how the connection ended without one (`ended`):
    "closed" (FIN), "reset" (RST) or "timeout" (still open when the wait ran out)."""

    def __init__(self, status=None, headers=None, body=b"", ended=None, closed_after=False):
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.ended = ended
        self.closed_after = closed_after

    def __repr__(self):
        if self.status is None:
            return f"<no answer: {self.ended}>"
        return f"<{self.status} {self.headers.get('content-type', '')} {self.body[:300]!r}>"


def connect(host, port, timeout):
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def exchange(host, port, data, timeout=10.0, chunks=None, gap=0.0):
    """Sends `data` (in `chunks` pieces `gap` seconds apart when given) and reads the answer."""
    sock = connect(host, port, timeout)
    try:
        try:
            if chunks:
                for piece in chunks:
                    sock.sendall(piece)
                    time.sleep(gap)
            else:
                sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything: read its answer
        return read_answer(sock, timeout)
    finally:
        sock.close()


def read_answer(sock, timeout):
    """Reads one response (skipping 1xx), or reports how the connection ended."""
    deadline = time.monotonic() + timeout
    buffer = b""
    while True:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end >= 0:
            status, headers = parse_head(buffer[:head_end])
            rest = buffer[head_end + 4:]
            if 100 <= status < 200 and status != 101:
                buffer = rest
                continue
            break
        chunk, ended = recv(sock, deadline)
        if ended:
            return Answer(ended=ended)
        buffer += chunk
    length = headers.get("content-length")
    if length is None:
        # No length: the body runs to the end of the connection (RFC 9112 §6.3).
        while True:
            chunk, ended = recv(sock, deadline)
            if ended:
                return Answer(status, headers, rest, closed_after=True)
            rest += chunk
    length = int(length)
    while len(rest) < length:
        chunk, ended = recv(sock, deadline)
        if ended:
            return Answer(ended="truncated body")
        rest += chunk
    return Answer(status, headers, rest[:length], closed_after=headers.get("connection", "").lower() == "close")


def wait_closed(sock, timeout):
    """How the server ended a connection it owes no answer: "closed", "reset", "timeout",
    or "data" when it sent something."""
    chunk, ended = recv(sock, time.monotonic() + timeout)
    return ended or "data"


def recv(sock, deadline):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return b"", "timeout"
    sock.settimeout(remaining)
    try:
        chunk = sock.recv(65536)
    except socket.timeout:
        return b"", "timeout"
    except ConnectionResetError:
        return b"", "reset"
    return (chunk, None) if chunk else (b"", "closed")


def parse_head(head):
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return status, headers
