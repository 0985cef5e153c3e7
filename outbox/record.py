"""Sealed records: the clear header, the HPKE-encrypted body, the COSE signature.

Two formats (docs/record.cddl, docs/records.md). The kiosk seals v2; readers take both.

v1  a COSE_Sign1 whose payload is the header map with the ciphertext under "body".
v2  a CBOR array [envelope, body]. `envelope` is a COSE_Sign1 Hash Envelope (RFC 9995):
    its payload is the SHA-256 of the ciphertext; the protected header holds
    payload-hash-alg (258) = SHA-256, the preimage content type (259) and the header map
    as CWT claims (15). `body` is the ciphertext, or null once dropped after delivery.
    Signing costs the same whatever the body's size, and signature, sequence and chain
    verify from the envelope alone.

The header map (both versions):

    v       schema version (1 or 2)
    id      record id, UUIDv7 (16 bytes)
    kiosk   kiosk id            post     border-post code
    seq     per-kiosk sequence number, gapless from 1
    prev    the previous sealed record's hash (32 zero bytes for seq 1)
    time    capture time, milliseconds since 1970 UTC
    boot    boot id of the kiosk   mono  monotonic clock, nanoseconds
    type    "traveller", "audit" or "test"
    officer officer id            dir   "entry" or "exit"
    suite   HPKE suite name

A record's hash is the SHA-256 of its COSE_Sign1: the whole record in v1, the envelope in
v2 (so it can still be computed once the body is gone). The HPKE `info` is the encoded
header map, so a body cannot be moved under another header.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
from cryptography.exceptions import InvalidTag

from outbox import cbor, cose
from outbox.errors import RecordError
from outbox.keys import CentralPrivateKey, CentralPublicKey, suite

VERSION = 2  # what the kiosk seals
VERSIONS = (1, 2)  # what readers accept
BODY_CONTENT_TYPE = "application/vnd.border-kiosk.hpke-body"  # v2's preimage (259)
_V2_PROTECTED = {cose.ALG, cose.CWT_CLAIMS, cose.PAYLOAD_HASH_ALG, cose.PREIMAGE_CONTENT_TYPE}
RECORD_TYPES = ("traveller", "audit", "test")
DIRECTIONS = ("entry", "exit")
GENESIS = bytes(32)
MAX_TEXT = 256  # ids, post codes, boot ids and suite names are short
MAX_UINT = 2**64 - 1  # CBOR's largest plain unsigned integer
HEADER_KEYS = (
    "v", "id", "kiosk", "post", "seq", "prev", "time", "boot", "mono", "type", "officer", "dir",
    "suite",
)  # fmt: skip


def uuid7() -> uuid.UUID:
    """RFC 9562 UUIDv7: 48-bit Unix milliseconds, version 7, 74 random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (7 << 76)  # version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10
    return uuid.UUID(int=value)


@cache
def boot_id() -> str:
    """This boot's id (constant while the process lives; read once)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def record_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _short(value: Any) -> str:
    """A value as it may appear in a one-line problem: its repr, cut to 40 characters."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Header:
    record_id: bytes
    kiosk: str
    post: str
    seq: int
    prev: bytes
    time_ms: int
    boot: str
    mono_ns: int
    record_type: str
    officer: str
    direction: str
    suite: str
    version: int = VERSION

    def to_map(self) -> dict[str, Any]:
        return {
            "v": self.version,
            "id": self.record_id,
            "kiosk": self.kiosk,
            "post": self.post,
            "seq": self.seq,
            "prev": self.prev,
            "time": self.time_ms,
            "boot": self.boot,
            "mono": self.mono_ns,
            "type": self.record_type,
            "officer": self.officer,
            "dir": self.direction,
            "suite": self.suite,
        }

    @classmethod
    def from_map(cls, value: dict[str, Any]) -> Header:
        keys = set(value) - {"body"}
        if keys != set(HEADER_KEYS):
            wrong = sorted(repr(k) if type(k) is not str else k for k in keys ^ set(HEADER_KEYS))
            raise RecordError(f"record header fields are wrong: {wrong}")
        version = value["v"]
        if type(version) is not int or version not in VERSIONS:
            raise RecordError(f"record schema version {_short(version)} is not supported")
        header = cls(
            value["id"], value["kiosk"], value["post"], value["seq"], value["prev"],
            value["time"], value["boot"], value["mono"], value["type"], value["officer"],
            value["dir"], value["suite"], version,
        )  # fmt: skip
        header.check()
        return header

    def check(self) -> None:
        """Every field of the right type and range: a header that passes can be printed,
        sorted, compared and written as JSON without surprises."""
        if not (type(self.record_id) is bytes and len(self.record_id) == 16):
            raise RecordError("record id must be 16 bytes (UUIDv7)")
        for name in ("kiosk", "post", "boot", "officer", "suite"):
            text = getattr(self, name)
            shortest = 0 if name in ("boot", "officer") else 1  # no officer before a login
            if type(text) is not str or not shortest <= len(text) <= MAX_TEXT:
                raise RecordError(
                    f"{name} must be a text string of {shortest} to {MAX_TEXT} characters"
                )
        if type(self.seq) is not int or not 1 <= self.seq <= MAX_UINT:
            raise RecordError("sequence numbers are whole numbers from 1")
        if not (type(self.prev) is bytes and len(self.prev) == 32):
            raise RecordError("prev must be a 32-byte SHA-256")
        for name in ("time_ms", "mono_ns"):
            number = getattr(self, name)
            if type(number) is not int or not 0 <= number <= MAX_UINT:
                raise RecordError(f"{name.split('_')[0]} must be a whole number from 0")
        if type(self.record_type) is not str or self.record_type not in RECORD_TYPES:
            raise RecordError(
                f"record type {_short(self.record_type)} is not one of {RECORD_TYPES}"
            )
        if type(self.direction) is not str or self.direction not in DIRECTIONS:
            raise RecordError(f"direction {_short(self.direction)} is not entry or exit")
        if type(self.version) is not int or self.version not in VERSIONS:
            raise RecordError(f"record schema version {_short(self.version)} is not supported")

    @property
    def info(self) -> bytes:
        return cbor.encode(self.to_map())

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.record_id)


def seal_record(
    header: Header,
    body: dict[str, Any],
    central: CentralPublicKey,
    signing_key: cose.Signer,
    kid: bytes,
) -> bytes:
    """Encrypt `body` to the central key, bound to `header`, and sign (format of
    `header.version`)."""
    return seal_and_hash(header, body, central, signing_key, kid)[0]


def seal_and_hash(
    header: Header,
    body: dict[str, Any],
    central: CentralPublicKey,
    signing_key: cose.Signer,
    kid: bytes,
) -> tuple[bytes, bytes]:
    """The sealed record and its hash (the next record's `prev`)."""
    header.check()
    ciphertext = suite(header.suite).encrypt(cbor.encode(body), central.key, info=header.info)
    return seal_ciphertext(header, ciphertext, signing_key, kid)


def seal_ciphertext(
    header: Header, ciphertext: bytes, signing_key: cose.Signer, kid: bytes
) -> tuple[bytes, bytes]:
    """Sign an already encrypted body under `header`: the record and its hash. (HPKE is
    randomised; this step is not, which is what the test vectors in docs/ pin down.)"""
    header.check()
    if header.version == 1:
        data = cose.sign1(cbor.encode({**header.to_map(), "body": ciphertext}), signing_key, kid)
        return data, record_hash(data)
    protected = {
        cose.ALG: cose.EDDSA,
        cose.CWT_CLAIMS: header.to_map(),
        cose.PAYLOAD_HASH_ALG: cose.SHA_256,
        cose.PREIMAGE_CONTENT_TYPE: BODY_CONTENT_TYPE,
    }
    envelope = cose.sign1(hashlib.sha256(ciphertext).digest(), signing_key, kid, protected)
    return cbor.encode([envelope, ciphertext]), record_hash(envelope)


@dataclass(frozen=True)
class OpenedRecord:
    """A sealed record taken apart (`read_header`) or verified (`verify_record`).

    `ciphertext` is b"" when the body was dropped after delivery (v2 only): then
    `has_body` is false, and signature, sequence and chain still verify."""

    data: bytes
    header: Header
    kid: bytes | None
    ciphertext: bytes
    message: cose.Sign1
    signed: bytes = b""  # the COSE_Sign1's bytes: `data` in v1, the envelope in v2
    has_body: bool = True

    @property
    def version(self) -> int:
        return self.header.version

    @property
    def hash(self) -> bytes:
        """The record hash: SHA-256 of the COSE_Sign1 (what the next record's prev holds)."""
        return record_hash(self.signed or self.data)

    @property
    def body_hash(self) -> bytes:
        """The SHA-256 of the ciphertext as signed (v2), or as carried (v1)."""
        if self.version == 1:
            return record_hash(self.ciphertext)
        return self.message.payload

    def check_body(self) -> None:
        """A v2 body that is present must hash to the signed payload (`RecordError`)."""
        if (
            self.version >= 2
            and self.has_body
            and hashlib.sha256(self.ciphertext).digest() != self.message.payload
        ):
            raise RecordError(
                "the body does not match the hash its signature covers: the record was altered"
            )


def read_header(data: bytes) -> OpenedRecord:
    """The clear header of a sealed record of either format, with no signature check
    (routing, listing)."""
    return _read_v2_as_sealed(data) or _read(data)


def _read(data: bytes) -> OpenedRecord:
    """Any record, through the generic deterministic-CBOR reader (which names what is
    wrong with a record that is not well formed)."""
    if data[:1] == b"\xd2":  # tag 18: a bare COSE_Sign1 is a v1 record
        message = cose.parse(data)
        return _opened_v1(data, message)
    value = cbor.decode(data, "record")
    if not (type(value) is list and len(value) == 2):
        raise RecordError("not a sealed record (a COSE_Sign1, or an array of envelope and body)")
    envelope, body = value
    if type(envelope) is not bytes or not (body is None or type(body) is bytes):
        raise RecordError("a v2 record is [envelope: bstr, body: bstr / null]")
    return _opened_v2(data, envelope, body, cose.parse(envelope))


# A v2 envelope after its protected header: {4: kid (8 bytes)}, payload (32), signature (64).
_ENVELOPE_TAIL = 3 + 8 + 2 + 32 + 2 + 64


def _read_v2_as_sealed(data: bytes) -> OpenedRecord | None:
    """A v2 record laid out exactly as the kiosk seals it, read without the generic walk
    (verifying a central backlog is mostly this); None for anything else, which `_read`
    then reads or refuses with a reason. Only bytes that are the deterministic encoding
    of that layout get through, so what it accepts `_read` accepts too, as the same
    record (tests/outbox/test_verify_fuzz.py checks both on mutated records)."""
    if data[:1] != b"\x82":
        return None
    span = _bstr_span(data, 1)
    if span is None:
        return None
    start, end = span
    if end == len(data) - 1 and data[end] == 0xF6:
        body = None
    else:
        body_span = _bstr_span(data, end)
        if body_span is None or body_span[1] != len(data):
            return None
        body = data[body_span[0] :]
    envelope = data[start:end]
    if envelope[:2] != b"\xd2\x84":  # tag 18, array of 4
        return None
    span = _bstr_span(envelope, 2)
    if span is None:
        return None
    protected, tail = envelope[span[0] : span[1]], envelope[span[1] :]
    if not (
        len(tail) == _ENVELOPE_TAIL
        and tail[:3] == b"\xa1\x04\x48"
        and tail[11:13] == b"\x58\x20"
        and tail[45:47] == b"\x58\x40"
    ):
        return None
    try:
        headers = cbor2.loads(protected, allow_duplicate_keys=False)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, EOFError):
        return None
    if type(headers) is not dict or headers.keys() != _V2_PROTECTED:
        return None
    # Claims of another type or shape than a header's are refused by `Header.check` below,
    # as `_read` refuses them; the labels' own values are checked here.
    if type(headers[cose.CWT_CLAIMS]) is not dict or not all(
        type(headers[k]) in _PLAIN for k in _V2_SCALAR_LABELS
    ):
        return None
    # Text keys inside, unsigned ones outside: cbor2's canonical order is §4.2.1's here.
    try:
        if cbor2.dumps(headers, canonical=True) != protected:
            return None
    except (cbor2.CBOREncodeError, ValueError, TypeError, RecursionError):
        return None  # a tag cbor2 decoded into an object it cannot write back
    kid = tail[3:11]
    message = cose.Sign1(
        protected, {cose.KID: kid}, tail[13:45], tail[47:], {cose.KID: kid, **headers}, headers
    )
    return _opened_v2(data, envelope, body, message)


_PLAIN = (bytes, str, int)
_V2_SCALAR_LABELS = (cose.ALG, cose.PAYLOAD_HASH_ALG, cose.PREIMAGE_CONTENT_TYPE)


def _bstr_span(data: bytes, at: int) -> tuple[int, int] | None:
    """Where the content of the byte string whose head is at `at` lies, if that head is
    in shortest form and the content fits in `data`."""
    if at >= len(data):
        return None
    head = data[at]
    if 0x40 <= head <= 0x57:
        size, start = head - 0x40, at + 1
    elif 0x58 <= head <= 0x5A:
        width = 1 << (head - 0x58)  # 1, 2 or 4 length bytes
        start = at + 1 + width
        if start > len(data):
            return None
        size = int.from_bytes(data[at + 1 : start], "big")
        if size < (24, 256, 65536)[head - 0x58]:  # not the shortest form
            return None
    else:
        return None
    end = start + size
    return (start, end) if end <= len(data) else None


def _opened_v1(data: bytes, message: cose.Sign1) -> OpenedRecord:
    payload = cbor.decode(message.payload, "record payload")
    if type(payload) is not dict or type(payload.get("body")) is not bytes:
        raise RecordError("record payload must be a map with an encrypted body")
    header = Header.from_map(payload)
    if header.version != 1:
        raise RecordError(f"a version {header.version} header in a version 1 record")
    return OpenedRecord(data, header, message.kid, payload["body"], message, data)


def _opened_v2(
    data: bytes, envelope: bytes, body: bytes | None, message: cose.Sign1
) -> OpenedRecord:
    protected = message.protected_headers or {}
    if set(protected) != _V2_PROTECTED:
        labels = sorted(map(repr, set(protected) ^ _V2_PROTECTED))
        raise RecordError(f"v2 envelope protected header labels are wrong: {labels}")
    if cose.CONTENT_TYPE in message.unprotected:
        raise RecordError("a hash envelope carries no content type (label 3)")
    if protected[cose.PAYLOAD_HASH_ALG] != cose.SHA_256 or len(message.payload) != 32:
        raise RecordError("v2 envelope payload must be a SHA-256 (payload-hash-alg -16)")
    if protected[cose.PREIMAGE_CONTENT_TYPE] != BODY_CONTENT_TYPE:
        raise RecordError(f"v2 body content type must be {BODY_CONTENT_TYPE}")
    claims = protected[cose.CWT_CLAIMS]
    if type(claims) is not dict:
        raise RecordError("v2 envelope header claims (label 15) must be a map")
    if "body" in claims:
        raise RecordError("a v2 header carries no body")
    header = Header.from_map(claims)
    if header.version != 2:
        raise RecordError(f"a version {header.version} header in a version 2 record")
    return OpenedRecord(
        data, header, message.kid, body or b"", message, envelope, has_body=body is not None
    )


def verify_record(data: bytes, key_for: Any) -> OpenedRecord:
    """Check the signature (with the registered key for its kid), the header and, when
    the body is there, its hash."""
    record = read_header(data)
    key = key_for(record.kid)
    if key is None:
        kid = record.kid.hex() if record.kid else "none"
        raise RecordError(f"no registered kiosk key with kid {kid}")
    cose.check_signature(record.message, key)
    record.check_body()
    return record


def without_body(record: OpenedRecord) -> bytes:
    """The v2 record with its body dropped: envelope kept, so it still verifies and chains."""
    if record.version < 2:
        raise RecordError("a v1 record signs its body: it cannot be kept without it")
    return cbor.encode([record.signed, None])


def decrypt_body(record: OpenedRecord, central: CentralPrivateKey) -> dict[str, Any]:
    if not record.has_body:
        raise RecordError("the body was dropped after delivery; only the header is left")
    record.check_body()
    if record.header.suite != central.suite:
        raise RecordError(
            f"record is encrypted with {record.header.suite}, the central key is {central.suite}"
        )
    try:
        plain = suite(record.header.suite).decrypt(
            record.ciphertext, central.key, info=record.header.info
        )
    except (InvalidTag, ValueError):
        raise RecordError("body does not decrypt: wrong central key or altered record") from None
    body = cbor.decode(plain, "record body")
    if not isinstance(body, dict):
        raise RecordError("record body must be a map")
    return body


def monotonic_ns() -> int:
    return time.monotonic_ns()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
