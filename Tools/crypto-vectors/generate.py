"""Known-answer vectors for Tidewater's field encryption, made without libsodium.

An independent implementation of docs/ENCRYPTION.md's formats: XChaCha20-Poly1305 as HChaCha20
(written out below, checked against the draft-irtf-cfrg-xchacha vector) plus the `cryptography`
package's ChaCha20-Poly1305 (OpenSSL), Argon2id from `cryptography` (OpenSSL), keyed BLAKE2b and
NFC from Python's standard library. The Swift tests (Tests/TideCryptoTests/KnownAnswerTests.swift)
check libsodium's results against these files, so the two implementations check each other.

    python generate.py            # (re)writes Fixtures/crypto/*.json
    python generate.py --check    # fails when the files differ from what this script makes
"""
import base64
import hashlib
import json
import struct
import sys
import unicodedata
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

OUT = Path(__file__).resolve().parents[2] / "Fixtures" / "crypto"
MASK = 0xFFFFFFFF


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- XChaCha20-Poly1305-IETF -------------------------------------------------------------

def _rotl(v, c):
    return ((v << c) & MASK) | (v >> (32 - c))


def _quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & MASK; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & MASK; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & MASK; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & MASK; s[b] = _rotl(s[b] ^ s[c], 7)


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        _quarter(s, 0, 4, 8, 12); _quarter(s, 1, 5, 9, 13); _quarter(s, 2, 6, 10, 14); _quarter(s, 3, 7, 11, 15)
        _quarter(s, 0, 5, 10, 15); _quarter(s, 1, 6, 11, 12); _quarter(s, 2, 7, 8, 13); _quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


# draft-irtf-cfrg-xchacha-03 §2.2.1
assert hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")).hex() == (
    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")


def xchacha_seal(key: bytes, nonce: bytes, message: bytes, aad: bytes) -> bytes:
    return ChaCha20Poly1305(hchacha20(key, nonce[:16])).encrypt(b"\0" * 4 + nonce[16:], message, aad)


# --- Field envelopes ---------------------------------------------------------------------

def field_aad(model: str, rid: str, field: str) -> bytes:
    return model.encode() + b"\0" + rid.encode() + b"\0" + field.encode()


def field_envelope(key: bytes, key_id: int, nonce: bytes, model: str, rid: str, field: str, plaintext: str) -> str:
    sealed = xchacha_seal(key, nonce, plaintext.encode(), field_aad(model, rid, field))
    return "tw1:" + b64(struct.pack(">I", key_id) + nonce + sealed)


def det(label: str, n: int) -> bytes:
    """Fixed pseudo-random bytes for a vector (reproducible; never a real key)."""
    return hashlib.blake2b(label.encode(), digest_size=64).digest()[:n]


def field_vectors():
    cases = [
        ("key-1", 1, "Note", "note-1", "body", "Ward 4, bed 2"),
        ("key-1", 1, "Note", "note-1", "body", ""),
        ("key-1", 1, "Note", "8d0c8a3e-5b7f-4f5e-9a1c-2b6b1f0e9d41", "title", "Grüße aus Köln — 東京 🌊"),
        ("key-2", 2, "Patient", "p/42?x=1", "bloodType", "A+"),
        ("key-3", 0x01020304, "Account", "acc-9", "number", "DE89 3704 0044 0532 0130 00" * 12),
    ]
    vectors = []
    for label, key_id, model, rid, field, plaintext in cases:
        key = det(label, 32)
        nonce = det(f"nonce {len(vectors)}", 24)
        vectors.append({
            "key": key.hex(), "keyId": key_id, "nonce": nonce.hex(), "model": model, "id": rid, "field": field,
            "aad": field_aad(model, rid, field).hex(), "plaintext": plaintext,
            "envelope": field_envelope(key, key_id, nonce, model, rid, field, plaintext),
        })
    return vectors


def failure_vectors(good):
    """Envelopes that must not decrypt, with the error a client reports."""
    base = good[0]
    raw = bytearray(b64decode(base["envelope"][4:]))
    tampered = bytearray(raw); tampered[30] ^= 0x01
    tampered_tag = bytearray(raw); tampered_tag[-1] ^= 0x80
    other_id = bytearray(raw); other_id[3] = 7
    ctx = {k: base[k] for k in ("key", "keyId", "model", "id", "field")}
    return [
        dict(ctx, case="moved to another record", id="note-2", envelope=base["envelope"], error="authenticationFailed"),
        dict(ctx, case="moved to another field", field="title", envelope=base["envelope"], error="authenticationFailed"),
        dict(ctx, case="moved to another model", model="Memo", envelope=base["envelope"], error="authenticationFailed"),
        dict(ctx, case="ciphertext bit flipped", envelope="tw1:" + b64(bytes(tampered)), error="authenticationFailed"),
        dict(ctx, case="tag bit flipped", envelope="tw1:" + b64(bytes(tampered_tag)), error="authenticationFailed"),
        dict(ctx, case="wrong key", key=det("key-2", 32).hex(), envelope=base["envelope"], error="authenticationFailed"),
        dict(ctx, case="unknown key id", envelope="tw1:" + b64(bytes(other_id)), error="unknownKeyId"),
        dict(ctx, case="truncated below key id, nonce and tag", envelope="tw1:" + b64(bytes(raw[:43])), error="malformed"),
        dict(ctx, case="not base64url", envelope="tw1:" + base["envelope"][4:20] + "+/" + base["envelope"][22:], error="malformed"),
        dict(ctx, case="padding", envelope=base["envelope"] + "=", error="malformed"),
        dict(ctx, case="plain text", envelope="Ward 4, bed 2", error="notAnEnvelope"),
        dict(ctx, case="other format", envelope="tw2:" + base["envelope"][4:], error="notAnEnvelope"),
    ]


# --- Blind indexes -----------------------------------------------------------------------

def kdf_derive(key: bytes, subkey_id: int, context: bytes, length: int = 32) -> bytes:
    """libsodium crypto_kdf_derive_from_key: keyed BLAKE2b of nothing, salt = LE64(id), personal = context."""
    return hashlib.blake2b(b"", digest_size=length, key=key, salt=struct.pack("<Q", subkey_id) + b"\0" * 8,
                           person=context + b"\0" * 8).digest()


def blind_index(key: bytes, model: str, field: str, plaintext: str):
    root = kdf_derive(key, 1, b"tw1blind")
    field_key = hashlib.blake2b(model.encode() + b"\0" + field.encode(), digest_size=32, key=root).digest()
    nfc = unicodedata.normalize("NFC", plaintext).encode()
    return root, field_key, nfc, b64(hashlib.blake2b(nfc, digest_size=16, key=field_key).digest())


def blind_vectors():
    cases = [
        ("key-1", "Patient", "bloodType", "A+"),
        ("key-1", "Patient", "bloodType", "a+"),                      # case kept: differs from "A+"
        ("key-1", "Patient", "allergy", "A+"),                        # another field: differs
        ("key-2", "Patient", "bloodType", "A+"),                      # another key version: differs
        ("key-1", "Contact", "city", "Caf\u00e9 M\u00fcnchen"),       # composed
        ("key-1", "Contact", "city", "Cafe\u0301 Mu\u0308nchen"),     # decomposed: same index
        ("key-1", "Contact", "city", "\u212b"),                      # Angstrom sign → U+00C5
        ("key-1", "Contact", "city", "\u00c5"),
        ("key-1", "Contact", "city", "\uac00\u11a8"),                # Hangul LV + trailing jamo → U+AC01
        ("key-1", "Contact", "city", "\uac01"),
        ("key-1", "Contact", "city", "a\u0302\u0323"),               # canonical reordering, then composition
        ("key-1", "Contact", "city", ""),
    ]
    vectors = []
    for label, model, field, plaintext in cases:
        key = det(label, 32)
        root, field_key, nfc, index = blind_index(key, model, field, plaintext)
        vectors.append({"key": key.hex(), "model": model, "field": field, "plaintext": plaintext,
                        "plaintextNFC": nfc.hex(), "rootKey": root.hex(), "fieldKey": field_key.hex(),
                        "blindIndex": index})
    return vectors


# --- Key envelopes -----------------------------------------------------------------------

def key_envelope_vectors():
    cases = [
        ("correct horse battery staple", 2, 65536, ["key-1"]),
        ("Pässwörd mit Umlauten", 1, 8192, ["key-1", "key-2", "key-4"]),   # decomposed below
    ]
    vectors = []
    for n, (passphrase, ops, mem, labels) in enumerate(cases):
        if n == 1:
            passphrase = unicodedata.normalize("NFD", passphrase)
        salt = det(f"salt {n}", 16)
        kek = Argon2id(salt=salt, length=32, iterations=ops, lanes=1, memory_cost=mem // 1024).derive(
            unicodedata.normalize("NFC", passphrase).encode())
        keys, data_keys = [], {}
        for key_id, label in enumerate(labels, start=1):
            data_key, nonce = det(label, 32), det(f"wrap nonce {n} {key_id}", 24)
            aad = b"tw1-key-wrap\0" + struct.pack(">I", key_id)
            keys.append({"id": key_id, "nonce": b64(nonce), "wrapped": b64(xchacha_seal(kek, nonce, data_key, aad))})
            data_keys[str(key_id)] = data_key.hex()
        envelope = {"currentKeyId": len(labels), "formatVersion": 1,
                    "kdf": {"alg": "argon2id13", "memlimit": mem, "opslimit": ops, "salt": b64(salt)}, "keys": keys}
        vectors.append({"passphrase": passphrase, "wrongPassphrase": passphrase + "!", "wrappingKey": kek.hex(),
                        "dataKeys": data_keys,
                        "envelope": json.dumps(envelope, sort_keys=True, separators=(",", ":"))})
    return vectors


def main():
    fields = field_vectors()
    files = {
        "field-envelope.json": {
            "about": "tw1 field envelopes: XChaCha20-Poly1305-IETF, AAD = model \\0 id \\0 field; key, nonce and aad in hex",
            "vectors": fields, "failures": failure_vectors(fields)},
        "blind-index.json": {
            "about": "blind indexes: root = crypto_kdf(dataKey, 1, 'tw1blind'); fieldKey = BLAKE2b-256(root, model \\0 field); "
                     "index = base64url(BLAKE2b-128(fieldKey, NFC(plaintext)))",
            "vectors": blind_vectors()},
        "key-envelope.json": {
            "about": "key envelopes: wrappingKey = Argon2id(NFC(passphrase), salt, opslimit, memlimit/1024 KiB, 1 lane); "
                     "wrapped = XChaCha20-Poly1305(wrappingKey, nonce, dataKey, 'tw1-key-wrap' \\0 BE32(id))",
            "vectors": key_envelope_vectors()},
    }
    check = "--check" in sys.argv
    stale = []
    for name, content in files.items():
        text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        path = OUT / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("crypto vectors differ from this script's output: " + ", ".join(stale), file=sys.stderr)
        sys.exit(1)
    print("crypto vectors: " + ("up to date" if check else "written") + f" ({len(files)} files)")


if __name__ == "__main__":
    main()
