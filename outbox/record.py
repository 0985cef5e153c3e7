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
            wrong = sorted(repr(k) if type(k) is not str else k for k in keys ^ set(HEADER_KEYS))
            raise RecordError(f"record header fields are wrong: {wrong}")
        version = value["v"]
        if type(version) is not int or version != VERSION:
            raise RecordError(f"record schema version {_short(version)} is not supported")
        header = cls(
            value["id"], value["kiosk"], value["post"], value["seq"], value["prev"],
            value["time"], value["boot"], value["mono"], value["type"], value["officer"],
            value["dir"], value["suite"],
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
    message: cose.Sign1

    @property
    def hash(self) -> bytes:
        return record_hash(self.data)


def read_header(data: bytes) -> OpenedRecord:
    """The clear header of a sealed record, with no signature check (routing, listing)."""
    message = cose.parse(data)
    return _opened(data, message)


def _opened(data: bytes, message: cose.Sign1) -> OpenedRecord:
    payload = cbor.decode(message.payload, "record payload")
    if type(payload) is not dict or type(payload.get("body")) is not bytes:
        raise RecordError("record payload must be a map with an encrypted body")
    return OpenedRecord(data, Header.from_map(payload), message.kid, payload["body"], message)


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
