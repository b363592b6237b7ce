"""RFC 6455 frames written byte by byte over a plain socket, so that frames a WebSocket library
refuses to send (unmasked, reserved bits, unknown opcodes, bad close codes, broken UTF-8,
fragmented control frames) reach the server.
"""
import base64
import os
import struct
import time

import rawhttp

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
    """One frame; `length` overrides the length field (to lie about it)."""
    first = (0x80 if fin else 0) | (rsv & 0x7) << 4 | (opcode & 0xF)
    n = len(payload) if length is None else length
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", first, mask_bit | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", first, mask_bit | 126, n)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


class Socket:
    """A WebSocket opened on /graphql; `upgrade` holds the server's answer to the handshake."""

    def __init__(self, host, port, subprotocol="graphql-transport-ws", timeout=10.0):
        self.sock = rawhttp.connect(host, port, timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        offer = f"Sec-WebSocket-Protocol: {subprotocol}\r\n" if subprotocol else ""
        self.sock.sendall(
            (f"GET /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n").encode())
        self.buffer = b""
        self.upgrade = self._read_upgrade(timeout)

    def _read_upgrade(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buffer:
            chunk, ended = rawhttp.recv(self.sock, deadline)
            if ended:
                return rawhttp.Answer(ended=ended)
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status, headers = rawhttp.parse_head(head)
        return rawhttp.Answer(status, headers)

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def send_text(self, text):
        return self.send(frame(TEXT, text.encode() if isinstance(text, str) else text))

    def next_frame(self, timeout):
        """(opcode, payload) of the next frame, or (None, how the connection ended)."""
        deadline = time.monotonic() + timeout
        while True:
            parsed = self._parse()
            if parsed:
                return parsed
            chunk, ended = rawhttp.recv(self.sock, deadline)
            if ended:
                return None, ended
            self.buffer += chunk

    def _parse(self):
        b = self.buffer
        if len(b) < 2:
            return None
        opcode, n, at = b[0] & 0xF, b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, at = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, at = struct.unpack("!Q", b[2:10])[0], 10
        if b[1] & 0x80:
            raise AssertionError("the server masked a frame (RFC 6455 §5.1 forbids it)")
        if len(b) < at + n:
            return None
        self.buffer = b[at + n:]
        return opcode, b[at:at + n]

    def close_code(self, timeout):
        """Reads until the server's close frame: (code, reason, frames before it), with code
        None and reason how the connection ended when no close frame came. Answers pings."""
        seen = []
        while True:
            opcode, payload = self.next_frame(timeout)
            if opcode is None:
                return None, payload, seen
            if opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                return code, payload[2:], seen
            seen.append((opcode, payload))

    def ended_after_close(self, timeout):
        """After the closing handshake the server closes the TCP connection."""
        return rawhttp.wait_closed(self.sock, timeout) in ("closed", "reset")

    def close(self):
        self.sock.close()
