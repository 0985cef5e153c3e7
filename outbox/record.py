"""Sealed records: the clear header, the HPKE-encrypted body, the COSE signature.

Payload of the COSE_Sign1 (docs/record.cddl), a deterministic CBOR map:

    v       schema version (1)
    id      record id, UUIDv7 (16 bytes)
    kiosk   kiosk id            post     border-post code
    seq     per-kiosk sequence number, gapless from 1
    prev    SHA-256 of the previous sealed record's bytes (32 zero bytes for seq 1)
    time    capture time, milliseconds since 1970 UTC
    boot    boot id of the kiosk   mono  monotonic clock, nanoseconds
    type    "traveller", "audit" or "test"
    officer officer id            dir   "entry" or "exit"
    suite   HPKE suite name        body  HPKE ciphertext (enc || ct) of the CBOR body

The HPKE `info` is the encoded header (every field but `body`), so a body cannot be moved
under another header; the signature covers the header and the ciphertext.
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

from cryptography.exceptions import InvalidTag

from outbox import cbor, cose
from outbox.errors import RecordError
from outbox.keys import CentralPrivateKey, CentralPublicKey, suite

VERSION = 1
RECORD_TYPES = ("traveller", "audit", "test")
DIRECTIONS = ("entry", "exit")
GENESIS = bytes(32)
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

    def to_map(self) -> dict[str, Any]:
        return {
            "v": VERSION,
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
            raise RecordError(f"record header fields are wrong: {sorted(keys ^ set(HEADER_KEYS))}")
        if value["v"] != VERSION:
            raise RecordError(f"record schema version {value['v']!r} is not supported")
        header = cls(
            value["id"], value["kiosk"], value["post"], value["seq"], value["prev"],
            value["time"], value["boot"], value["mono"], value["type"], value["officer"],
            value["dir"], value["suite"],
        )  # fmt: skip
        header.check()
        return header

    def check(self) -> None:
        if not (isinstance(self.record_id, bytes) and len(self.record_id) == 16):
            raise RecordError("record id must be 16 bytes (UUIDv7)")
        if not (isinstance(self.seq, int) and self.seq >= 1):
            raise RecordError("sequence numbers start at 1")
        if not (isinstance(self.prev, bytes) and len(self.prev) == 32):
            raise RecordError("prev must be a 32-byte SHA-256")
        if self.record_type not in RECORD_TYPES:
            raise RecordError(f"record type {self.record_type!r} is not one of {RECORD_TYPES}")
        if self.direction not in DIRECTIONS:
            raise RecordError(f"direction {self.direction!r} is not entry or exit")

    @property
    def info(self) -> bytes:
        return cbor.encode(self.to_map())

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.record_id)


def seal_record(
    header: Header, body: dict[str, Any], central: CentralPublicKey, signing_key: Any, kid: bytes
) -> bytes:
    """Encrypt `body` to the central key, bound to `header`, and sign the whole."""
    header.check()
    ciphertext = suite(header.suite).encrypt(cbor.encode(body), central.key, info=header.info)
    payload = cbor.encode({**header.to_map(), "body": ciphertext})
    return cose.sign1(payload, signing_key, kid)


@dataclass(frozen=True)
class OpenedRecord:
    data: bytes
    header: Header
    kid: bytes | None
    ciphertext: bytes

    @property
    def hash(self) -> bytes:
        return record_hash(self.data)


def read_header(data: bytes) -> OpenedRecord:
    """The clear header of a sealed record, with no signature check (routing, listing)."""
    message = cose.parse(data)
    return _opened(data, message)


def _opened(data: bytes, message: cose.Sign1) -> OpenedRecord:
    payload = cbor.decode(message.payload, "record payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("body"), bytes):
        raise RecordError("record payload must be a map with an encrypted body")
    return OpenedRecord(data, Header.from_map(payload), message.kid, payload["body"])


def verify_record(data: bytes, key_for: Any) -> OpenedRecord:
    """Check the signature (with the registered key for its kid) and the header."""
    return _opened(data, cose.verify1(data, key_for))


def decrypt_body(record: OpenedRecord, central: CentralPrivateKey) -> dict[str, Any]:
    if record.header.suite != central.suite:
        raise RecordError(
            f"record is encrypted with {record.header.suite}, the central key is {central.suite}"
        )
    try:
        plain = suite(record.header.suite).decrypt(
            record.ciphertext, central.key, info=record.header.info
        )
    except InvalidTag:
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
