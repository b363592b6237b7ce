"""Local stand-ins for the notification providers, for tests and for trying the rules file.

Real, independent protocol implementations: hypercorn (HTTP/1.1, and HTTP/2 over TLS for APNs),
aiosmtpd (SMTP, with STARTTLS and AUTH), and `cryptography` to check every JWT's signature with
the public key. Each request is checked against the provider's documented wire format; what is
wrong goes into the record's "problems", so a test sees both the request and the verdict.

    python receivers.py --dir DIR [--http-port N] [--h2-port N] [--smtp-port N]

(ports default to free ones; fixed ones let a rules file name them, as the `make
serve-notifications` demo does) writes into DIR: ca.pem (the test CA), fcm.json (a service account whose token_uri points
here), apns.p8 (an ES256 key) and prints one JSON line with the ports, then serves until
SIGTERM, SIGINT, or the end of the process that started it. Control endpoints (plain HTTP port):
    POST /_control/script {"kind": K, "answers": [{"status": 500} | {"status": 429, "headers":
         {"retry-after": "1"}} | {"hang": true} | {"status": 410, "body": {...}}, ...]}
         kinds: token, fcm, apns, sms, webhook, smtp-rcpt, smtp-data (answers used in order,
         then 2xx); for smtp-*: {"code": 550, "text": "no such user"} or {"hang": true}
    GET  /_control/records   every request received, in order
    POST /_control/reset     forget records and scripts
"""
import argparse
import asyncio
import base64
import datetime
import email
import email.policy
import hashlib
import hmac
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID
from hypercorn.asyncio import serve
from hypercorn.config import Config

PROJECT = "tidewater-test"
CLIENT_EMAIL = "push@tidewater-test.iam.gserviceaccount.com"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
APNS_TEAM, APNS_KEY_ID, APNS_TOPIC = "TEAM123456", "KEY1234567", "com.example.tidewater"
TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM = "AC0123456789abcdef", "twilio-token", "+15550001111"
SMTP_USER, SMTP_PASSWORD = "app", "smtp-password"
WEBHOOK_SECRET = "whsec-test"

lock = threading.Lock()
records = []
scripts = {}
issued_tokens = set()


def record(entry):
    with lock:
        entry["seq"] = len(records) + 1
        entry["at"] = time.time()
        records.append(entry)
    return entry


def next_answer(kind):
    with lock:
        queue = scripts.get(kind) or []
        return queue.pop(0) if queue else None


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_jwt(token, public_key, alg, problems):
    """The JWT's header and claims; its signature checked with `public_key`."""
    try:
        header_b64, claims_b64, sig_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        signature = b64url_decode(sig_b64)
    except Exception as error:  # noqa: BLE001
        problems.append(f"malformed JWT: {error}")
        return {}, {}
    if header.get("alg") != alg:
        problems.append(f"JWT alg {header.get('alg')!r}, expected {alg}")
    signed = f"{header_b64}.{claims_b64}".encode()
    try:
        if alg == "RS256":
            public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            if len(signature) != 64:
                problems.append(f"ES256 signature is {len(signature)} bytes, JWS wants R||S (64)")
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            public_key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
    except Exception:  # noqa: BLE001
        problems.append("JWT signature does not verify with the public key")
    return header, claims


class Keys:
    def __init__(self, folder):
        self.folder = folder
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.leaf_key = ec.generate_private_key(ec.SECP256R1())

    def write(self, http_port):
        pem = lambda key: key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode()
        account = {"type": "service_account", "project_id": PROJECT, "private_key_id": "k1",
                   "private_key": pem(self.rsa), "client_email": CLIENT_EMAIL,
                   "token_uri": f"http://127.0.0.1:{http_port}/token"}
        with open(os.path.join(self.folder, "fcm.json"), "w") as f:
            json.dump(account, f)
        with open(os.path.join(self.folder, "apns.p8"), "w") as f:
            f.write(pem(self.ec))
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tidewater test CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
              .sign(self.ca_key, hashes.SHA256()))
        import ipaddress
        leaf = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                .issuer_name(ca_name).public_key(self.leaf_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(self.ca_key, hashes.SHA256()))
        self.ca_file = os.path.join(self.folder, "ca.pem")
        self.cert_file = os.path.join(self.folder, "server.pem")
        self.key_file = os.path.join(self.folder, "server.key")
        with open(self.ca_file, "wb") as f:
            f.write(ca.public_bytes(serialization.Encoding.PEM))
        with open(self.cert_file, "wb") as f:
            f.write(leaf.public_bytes(serialization.Encoding.PEM))
        with open(self.key_file, "w") as f:
            f.write(pem(self.leaf_key))


# ---------------------------------------------------------------- HTTP providers (ASGI)

async def read_body(receive):
    """The request's body; None when the client went away before sending all of it (a sender
    killed mid-request): a real server never acts on such a request, so it is not recorded."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def respond(send, status, body=b"", headers=()):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = list(headers) + [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status,
                "headers": [(k if isinstance(k, bytes) else k.encode(), v if isinstance(v, bytes) else v.encode())
                            for k, v in headers]})
    await send({"type": "http.response.body", "body": body})


async def scripted(send, kind):
    """Plays the next scripted answer for `kind`; False when there is none (answer normally)."""
    answer = next_answer(kind)
    if answer is None:
        return False
    if answer.get("hang"):
        await asyncio.sleep(answer.get("seconds", 300))
        return True
    await respond(send, answer.get("status", 500), answer.get("body", {"error": "scripted"}),
                  list(answer.get("headers", {}).items()))
    return True


def make_app(keys):
    rsa_public, ec_public = keys.rsa.public_key(), keys.ec.public_key()

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path, method = scope["path"], scope["method"]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        body = await read_body(receive)
        if body is None:
            return
        entry = {"path": path, "method": method, "headers": headers, "body": body.decode(errors="replace"),
                 "httpVersion": scope.get("http_version"), "tls": scope.get("scheme") == "https", "problems": []}
        problems = entry["problems"]

        if path == "/_control/records":
            with lock:
                return await respond(send, 200, list(records))
        if path == "/_control/reset":
            with lock:
                records.clear()
                scripts.clear()
            return await respond(send, 200, {})
        if path == "/_control/script":
            request = json.loads(body)
            with lock:
                scripts.setdefault(request["kind"], []).extend(request["answers"])
            return await respond(send, 200, {})

        if path == "/token":
            entry["kind"] = "token"
            form = dict(urllib.parse.parse_qsl(body.decode()))
            if method != "POST" or headers.get("content-type") != "application/x-www-form-urlencoded":
                problems.append("token request must be a form POST")
            if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                problems.append(f"grant_type {form.get('grant_type')!r}")
            _, claims = check_jwt(form.get("assertion", ""), rsa_public, "RS256", problems)
            want = {"iss": CLIENT_EMAIL, "scope": FCM_SCOPE, "aud": f"http://127.0.0.1:{scope['server'][1]}/token"}
            for name, value in want.items():
                if claims.get(name) != value:
                    problems.append(f"assertion {name} {claims.get(name)!r}, expected {value!r}")
            if not isinstance(claims.get("iat"), int) or claims.get("exp", 0) - claims.get("iat", 0) > 3600:
                problems.append("assertion iat/exp: at most an hour")
            record(entry)
            if await scripted(send, "token"):
                return
            token = "ya29." + uuid.uuid4().hex
            with lock:
                issued_tokens.add(token)
            entry["token"] = token
            return await respond(send, 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

        if path == f"/v1/projects/{PROJECT}/messages:send":
            entry["kind"] = "fcm"
            auth = headers.get("authorization", "")
            with lock:
                known = auth.startswith("Bearer ") and auth[7:] in issued_tokens
            if not known:
                problems.append("authorization is not a bearer token this token endpoint issued")
            try:
                message = json.loads(body)["message"]
                entry["message"] = message
                if not message.get("token") or "body" not in message.get("notification", {}):
                    problems.append("message needs token and notification.body")
            except Exception as error:  # noqa: BLE001
                problems.append(f"body is not {{\"message\": …}}: {error}")
            record(entry)
            if await scripted(send, "fcm"):
                return
            return await respond(send, 200, {"name": f"projects/{PROJECT}/messages/{uuid.uuid4().int % 10**16}"})

        if path.startswith("/3/device/"):
            entry["kind"] = "apns"
            entry["deviceToken"] = path[len("/3/device/"):]
            if scope.get("http_version") != "2":
                problems.append(f"APNs requires HTTP/2, got HTTP/{scope.get('http_version')}")
            auth = headers.get("authorization", "")
            if not auth.startswith("bearer "):
                problems.append("authorization is not 'bearer <provider token>'")
            header, claims = check_jwt(auth[7:], ec_public, "ES256", problems)
            if header.get("kid") != APNS_KEY_ID:
                problems.append(f"kid {header.get('kid')!r}")
            if claims.get("iss") != APNS_TEAM:
                problems.append(f"iss {claims.get('iss')!r}")
            if not isinstance(claims.get("iat"), int) or abs(time.time() - claims["iat"]) > 3600:
                problems.append("iat missing or older than an hour")
            for name, value in {"apns-topic": APNS_TOPIC, "apns-push-type": "alert"}.items():
                if headers.get(name) != value:
                    problems.append(f"{name} {headers.get(name)!r}, expected {value!r}")
            if headers.get("apns-priority") not in ("5", "10"):
                problems.append(f"apns-priority {headers.get('apns-priority')!r}")
            try:
                entry["payload"] = json.loads(body)
                if "body" not in entry["payload"]["aps"]["alert"]:
                    problems.append("aps.alert.body missing")
            except Exception as error:  # noqa: BLE001
                problems.append(f"payload is not {{\"aps\": {{\"alert\": …}}}}: {error}")
            record(entry)
            if await scripted(send, "apns"):
                return
            return await respond(send, 200, b"", [("apns-id", str(uuid.uuid4()).upper())])

        if path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
            entry["kind"] = "sms"
            expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
            if headers.get("authorization") != expected:
                problems.append("basic auth is not accountSid:authToken")
            if headers.get("content-type") != "application/x-www-form-urlencoded":
                problems.append(f"content-type {headers.get('content-type')!r}")
            form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            entry["form"] = form
            if form.get("From") != TWILIO_FROM or not form.get("To") or "Body" not in form:
                problems.append("form needs To, From and Body")
            record(entry)
            if await scripted(send, "sms"):
                return
            return await respond(send, 201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued"})

        if path.startswith("/hooks/"):
            entry["kind"] = "webhook"
            signature = headers.get("x-tidewater-signature", "")
            parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
            expected = hmac.new(WEBHOOK_SECRET.encode(), f"{parts.get('t', '')}.".encode() + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(parts.get("v1", ""), expected):
                problems.append("X-Tidewater-Signature v1 is not HMAC-SHA256(secret, t.body)")
            if not parts.get("t", "").isdigit() or abs(time.time() - int(parts["t"])) > 300:
                problems.append("X-Tidewater-Signature t is not a current unix time")
            if not headers.get("x-tidewater-delivery"):
                problems.append("X-Tidewater-Delivery missing")
            if headers.get("content-type") != "application/json":
                problems.append(f"content-type {headers.get('content-type')!r}")
            try:
                json.loads(body)
            except Exception:  # noqa: BLE001
                problems.append("body is not JSON")
            entry["delivery"] = headers.get("x-tidewater-delivery")
            record(entry)
            if await scripted(send, "webhook"):
                return
            return await respond(send, 200, {"ok": True})

        return await respond(send, 404, {"error": f"no route {method} {path}"})

    return app


# ---------------------------------------------------------------- SMTP

class MailHandler:
    def __init__(self, name):
        self.name = name

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = next_answer("smtp-rcpt")
        if answer:
            if answer.get("hang"):
                await asyncio.sleep(answer.get("seconds", 300))
            return f"{answer.get('code', 550)} {answer.get('text', 'scripted')}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        entry = record({"kind": "smtp", "server": self.name, "mailFrom": envelope.mail_from,
                        "rcptTos": list(envelope.rcpt_tos), "data": envelope.content.decode(errors="replace"),
                        "tls": session.ssl is not None,
                        "login": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
                        "problems": []})
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        entry["messageId"] = parsed["message-id"]
        entry["subject"] = str(parsed["subject"])
        entry["date"] = parsed["date"]
        entry["to"] = str(parsed["to"])
        entry["from"] = str(parsed["from"])
        entry["contentType"] = parsed.get_content_type()
        text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
        entry["text"] = text.get_content() if text else None
        entry["html"] = html.get_content() if html else None
        for name in ("message-id", "date", "from", "to", "subject", "mime-version"):
            if parsed[name] is None:
                entry["problems"].append(f"no {name} header")
        # "accepted": whether the server took responsibility for the message (a 250 after the
        # data); a scripted refusal is recorded with false, a hang with "unknown".
        answer = next_answer("smtp-data")
        if answer:
            entry["accepted"] = "unknown" if answer.get("hang") else False
            if answer.get("hang"):
                await asyncio.sleep(answer.get("seconds", 300))
            return f"{answer.get('code', 451)} {answer.get('text', 'scripted')}"
        entry["accepted"] = True
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode() \
        and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def stop_with_parent(stop):
    """Stops when the process that started us is gone (we are handed to another parent): a test
    run that ended or crashed leaves nothing behind. Polled: PR_SET_PDEATHSIG follows the
    parent's thread, and a test runner's threads come and go."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(1)
    stop.set()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--h2-port", type=int, default=0)
    parser.add_argument("--smtp-port", type=int, default=0)
    args = parser.parse_args()
    keys = Keys(args.dir)

    plain = socket.socket()
    plain.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    plain.bind(("127.0.0.1", args.http_port))
    plain.listen(512)
    secure = socket.socket()
    secure.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    secure.bind(("127.0.0.1", args.h2_port))
    secure.listen(512)
    keys.write(plain.getsockname()[1])

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(keys.cert_file, keys.key_file)
    smtp_plain = Controller(MailHandler("plain"), hostname="127.0.0.1", port=args.smtp_port or free_port(),
                            authenticator=authenticator, auth_require_tls=False, decode_data=False)
    smtp_tls = Controller(MailHandler("starttls"), hostname="127.0.0.1", port=free_port(),
                          authenticator=authenticator, tls_context=tls, require_starttls=True,
                          auth_exclude_mechanism=["PLAIN"], decode_data=False)
    smtp_plain.start()
    smtp_tls.start()

    config = Config()
    config.insecure_bind = [f"fd://{plain.fileno()}"]
    config.bind = [f"fd://{secure.fileno()}"]
    config.certfile, config.keyfile = keys.cert_file, keys.key_file
    config.alpn_protocols = ["h2"]
    config.keep_alive_timeout = 30
    config.accesslog = None
    config.errorlog = "-"

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.ensure_future(stop_with_parent(stop))

    print(json.dumps({"http": plain.getsockname()[1], "h2tls": secure.getsockname()[1],
                      "smtp": smtp_plain.port, "smtpStarttls": smtp_tls.port,
                      "caFile": keys.ca_file, "serviceAccountFile": os.path.join(args.dir, "fcm.json"),
                      "apnsKeyFile": os.path.join(args.dir, "apns.p8"), "apnsTeamId": APNS_TEAM,
                      "apnsKeyId": APNS_KEY_ID, "apnsTopic": APNS_TOPIC, "twilioAccountSid": TWILIO_SID,
                      "twilioAuthToken": TWILIO_TOKEN, "twilioFrom": TWILIO_FROM, "smtpUsername": SMTP_USER,
                      "smtpPassword": SMTP_PASSWORD, "webhookSecret": WEBHOOK_SECRET}), flush=True)
    await serve(make_app(keys), config, shutdown_trigger=stop.wait)
    watcher.cancel()
    smtp_plain.stop()
    smtp_tls.stop()


if __name__ == "__main__":
    asyncio.run(main())
