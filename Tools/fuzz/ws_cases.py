"""Raw WebSocket frames against graphql-transport-ws on /graphql: messages out of protocol order,
oversized and fragmented ones (with control frames between the fragments), frames that break
RFC 6455 (unmasked, reserved bits, unknown opcodes, broken UTF-8, bad close codes), and random
frame sequences. The rule: the server answers within the protocols or closes with a close code
that says why (RFC 6455 §7.4, graphql-transport-ws's 44xx), then ends the TCP connection.
"""
import json

from hypothesis import strategies as st

from rawws import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT, Socket, close_payload, frame
from tally import require

INIT = json.dumps({"type": "connection_init"})
WAIT = 10
MAX_MESSAGE = 1 << 20
# Codes a client may put in a close frame (RFC 6455 §7.4.1-2, and 1012-1014 from the IANA registry): the rest is a protocol error.
VALID_CLOSE = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999]
INVALID_CLOSE = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
# Every code the server may close with (1005: no code, the echo of a client's close without one).
SERVER_CODES = {1005, 1000, 1001, 1002, 1007, 1009, 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4430}


def _open(host, port, **kw):
    ws = Socket(host, port, **kw)
    require(ws.upgrade.status == 101, "WebSocket upgrade refused", "upgrade", ws.upgrade)
    return ws


def _acked(host, port, init=INIT):
    ws = _open(host, port)
    ws.send_text(init)
    opcode, payload = ws.next_frame(WAIT)
    require(opcode == TEXT and json.loads(payload)["type"] == "connection_ack", "no connection_ack", INIT, payload)
    return ws


def _expect_close(ws, codes, sent, answer=True):
    """The server's close frame carries one of `codes`; once the client answers it (or, when
    `answer` is false, after the server's close timeout of 10 s) the TCP connection ends."""
    code, reason, seen = ws.close_code(WAIT)
    require(code in codes, f"expected a close with {sorted(codes)}", sent, (code, reason, seen))
    if answer:
        ws.send(frame(CLOSE, close_payload(code)))
    require(ws.ended_after_close(WAIT if answer else 15), "TCP connection left open after the close frame", sent)
    ws.close()
    return f"ws:{code}"


def scenarios(host, port, token):
    """(name, function returning its outcome) for the fixed cases; `token` is a user's."""
    signed_in = json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})

    def order(messages, codes, acked=False):
        def run():
            ws = _acked(host, port, signed_in) if acked else _open(host, port)
            for message in messages:
                ws.send_text(message)
            return _expect_close(ws, codes, messages)
        return run

    def frames(parts, codes, acked=True):
        def run():
            ws = _acked(host, port) if acked else _open(host, port)
            for part in parts:
                ws.send(part)
            return _expect_close(ws, codes, [p[:64] for p in parts])
        return run

    def fragmented_with_pings():
        ws = _open(host, port)
        data = INIT.encode()
        ws.send(frame(TEXT, data[:5], fin=False))
        ws.send(frame(PING, b"between"))
        ws.send(frame(CONTINUATION, data[5:9], fin=False))
        ws.send(frame(PONG, b"unsolicited"))
        ws.send(frame(CONTINUATION, data[9:], fin=True))
        got = [ws.next_frame(WAIT), ws.next_frame(WAIT)]
        require(got[0] == (PONG, b"between"), "ping between fragments not answered with its payload", "fragments", got)
        require(got[1][0] == TEXT and json.loads(got[1][1])["type"] == "connection_ack", "fragmented init not acknowledged", "fragments", got)
        # A character split across two frames is still one valid message.
        subscribe = json.dumps({"id": "é🌊", "type": "subscribe", "payload": {"query": "{ __typename }"}}, ensure_ascii=False).encode()
        split = subscribe.index("🌊".encode()) + 2
        ws.send(frame(TEXT, subscribe[:split], fin=False))
        ws.send(frame(CONTINUATION, subscribe[split:]))
        opcode, payload = ws.next_frame(WAIT)
        require(opcode == TEXT and json.loads(payload)["type"] == "next", "a message split inside a character was refused", subscribe, payload)
        ws.send(frame(CLOSE, close_payload(1000)))
        return _expect_close(ws, {1000}, "close 1000")

    def protocol_errors_answer_with_codes():
        ws = _acked(host, port)
        ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ nope }"}}))
        opcode, payload = ws.next_frame(WAIT)
        message = json.loads(payload)
        require(message["type"] == "error" and all(e["extensions"]["code"] for e in message["payload"]), "invalid document not refused with coded errors", "{ nope }", message)
        ws.send_text(json.dumps({"type": "ping", "payload": {"x": 1}}))
        opcode, payload = ws.next_frame(WAIT)
        require(json.loads(payload)["type"] == "pong", "graphql-transport-ws ping not answered", "ping", payload)
        ws.send(frame(CLOSE, close_payload(4000, "bye".encode())))
        return _expect_close(ws, {4000}, "close 4000")

    def idle_socket():
        return _expect_close(_open(host, port), {4408}, "nothing after the upgrade")

    def close_not_answered():
        ws = _acked(host, port)
        ws.send_text("{")
        return _expect_close(ws, {4400}, "{ (then no answer to the close)", answer=False)

    def no_subprotocol():
        return _expect_close(_open(host, port, subprotocol=None), {4406}, "no subprotocol")

    subscribe = json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { onCreateNote { id } }"}})
    cases = [
        ("subscribe before connection_init", order([subscribe], {4401})),
        ("two connection_init", order([INIT, INIT], {4429})),
        ("unknown message type", order([json.dumps({"type": "hello"})], {4400}, acked=True)),
        ("unknown type before init", order([json.dumps({"type": "hello"})], {4400})),
        ("not JSON", order(["{", "null", "[]", "1"], {4400})),
        ("no id", order([json.dumps({"type": "subscribe", "payload": {"query": "{ __typename }"}})], {4400}, acked=True)),
        ("complete before init (ignored, as graphql-ws does)", order([json.dumps({"type": "complete", "id": "x"})], {4408})),
        ("next from the client", order([json.dumps({"type": "next", "id": "1", "payload": {}})], {4400}, acked=True)),
        ("duplicate subscription id", order([subscribe, subscribe], {4409}, acked=True)),
        ("binary frame", frames([frame(BINARY, INIT.encode())], {4400, 1003})),
        ("oversized message", frames([frame(TEXT, b'{"type":"ping","payload":"' + b"a" * MAX_MESSAGE + b'"}')], {1009})),
        ("oversized in fragments", frames([frame(TEXT, b"a" * 600000, fin=False), frame(CONTINUATION, b"a" * 600000)], {1009})),
        ("length field of 2^63-1", frames([frame(TEXT, b"", length=(1 << 63) - 1)], {1009, 1002})),
        ("unmasked frame", frames([frame(TEXT, INIT.encode(), mask=False)], {1002}, acked=False)),
        ("ping past 125 bytes", frames([frame(PING, b"p" * 126)], {1002})),
        ("fragmented ping", frames([frame(PING, b"p", fin=False)], {1002})),
        ("continuation without a start", frames([frame(CONTINUATION, b"{}")], {1002})),
        ("new message inside a fragmented one", frames([frame(TEXT, b'{"ty', fin=False), frame(TEXT, b'{"type":"ping"}')], {1002})),
        ("invalid UTF-8 text", frames([frame(TEXT, b'{"type":"ping","payload":"\xc0\xaf"}')], {1007})),
        ("lone surrogate bytes in text", frames([frame(TEXT, b'{"type":"ping","payload":"\xed\xa0\x80"}')], {1007})),
        ("invalid UTF-8 split over fragments", frames([frame(TEXT, b'{"type":"ping","payload":"\xf0\x9f', fin=False), frame(CONTINUATION, b'"}')], {1007})),
        ("close with a one-byte payload", frames([frame(CLOSE, b"\x03")], {1002})),
        ("close with an invalid UTF-8 reason", frames([frame(CLOSE, close_payload(1000, b"\xff\xfe"))], {1007, 1002})),
        ("close past 125 bytes", frames([frame(CLOSE, close_payload(1000, b"r" * 124))], {1002})),
        # One close frame only (RFC 6455 §5.5.1): NIO's own frame-error handler once sent a second.
        ("a frame NIO cannot decode after the server's close", frames([frame(TEXT, b"{}", mask=False) + frame(PING, b"p" * 126)], {1002}, acked=False)),
        ("fragmented messages with interleaved control frames", fragmented_with_pings),
        ("errors and pings on an open socket", protocol_errors_answer_with_codes),
        ("no connection_init", idle_socket),
        ("no subprotocol", no_subprotocol),
        ("the server's close left unanswered", close_not_answered),
    ]
    for opcode in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF):
        cases.append((f"opcode {opcode:#x}", frames([frame(opcode, b"{}")], {1002})))
    for rsv in range(1, 8):
        cases.append((f"reserved bits {rsv:03b}", frames([frame(TEXT, INIT.encode(), rsv=rsv)], {1002}, acked=False)))
    for code in INVALID_CLOSE:
        cases.append((f"close code {code}", frames([frame(CLOSE, close_payload(code))], {1002})))
    for code in VALID_CLOSE:
        cases.append((f"close code {code}", frames([frame(CLOSE, close_payload(code, "ok".encode()))], {code})))
    return cases


MESSAGES = st.one_of(
    st.sampled_from([INIT, '{"type":"ping"}', '{"type":"pong"}', '{"type":"complete","id":"1"}',
                     '{"id":"1","type":"subscribe","payload":{"query":"subscription { onCreateNote { id } }"}}',
                     '{"id":"2","type":"subscribe","payload":{"query":"{ listNotes { items { id } } }"}}',
                     '{"id":"3","type":"subscribe","payload":{"query":"mutation { createNote(input: {title: \\"ws\\"}) { id } }"}}',
                     '{"id":"4","type":"subscribe","payload":{"query":"{ nope }","variables":[]}}',
                     '{"type":"connection_init","payload":{"Authorization":"Bearer nope"}}']).map(str.encode),
    st.binary(max_size=40))


@st.composite
def frame_sequences(draw):
    """Frames a client might send, mostly well formed, sometimes not."""
    out = []
    for _ in range(draw(st.integers(1, 8))):
        payload = draw(MESSAGES)
        opcode = draw(st.sampled_from([TEXT] * 6 + [CONTINUATION, BINARY, PING, PONG, CLOSE] + list(range(3, 8)) + list(range(0xB, 0x10))))
        if opcode in (PING, PONG, CLOSE):
            payload = payload[:draw(st.sampled_from([0, 2, 125, 200]))]
        fin = draw(st.integers(0, 5)) > 0
        mask = draw(st.integers(0, 15)) > 0
        rsv = draw(st.sampled_from([0] * 10 + list(range(1, 8))))
        out.append(frame(opcode, payload, fin=fin, mask=mask, rsv=rsv))
    return out


def run_sequence(host, port, frames_):
    """Sends the frames, then a clean close; the server answers only with protocol messages
    and ends the connection with a code it defines."""
    ws = _open(host, port)
    for f in frames_:
        if not ws.send(f):
            break
    ws.send(frame(CLOSE, close_payload(1000)))
    code, reason, seen = ws.close_code(WAIT)
    sent = [f[:80] for f in frames_]
    require(code in SERVER_CODES, "closed without a known close code", sent, (code, reason, seen))
    ws.send(frame(CLOSE, close_payload(code)))
    for opcode, payload in seen:
        require(opcode in (TEXT, PING, PONG), f"unexpected frame opcode {opcode}", sent, payload)
        if opcode == TEXT:
            message = json.loads(payload)
            require(message.get("type") in ("connection_ack", "next", "error", "complete", "ping", "pong"), "unknown server message", sent, message)
            if message["type"] == "error":
                require(all(e.get("extensions", {}).get("code") for e in message["payload"]), "error message without codes", sent, message)
    require(ws.ended_after_close(WAIT), "TCP connection left open after the close frame", sent)
    ws.close()
    return f"ws:{code}"

