"""The forwarder's heartbeat: the kiosk's own account of how far its chain goes.

The central side sees which records arrived, never which were sealed: without this, "all
arrived" and "the newest never came" look the same. A heartbeat is a COSE_Sign1 by the
kiosk's key (the record key, kid as for records) over a CBOR map

    {"type": "status", "kiosk": tstr, "post": tstr, "last_seq": uint,
     "chain": bstr .size 32 (hash of record last_seq; zeros before the first),
     "time": uint (ms since the epoch), "pending": uint}

with the content type below in the protected header. It is not a record (no sequence
number of its own, not in the chain); each transport carries it beside the records: a
`<prefix>.<post>.<kiosk>.status` message (NATS), a `Kiosk-Status` request header
(HTTPS), a `<kiosk>-status.cose` file replaced on the media (dir).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from outbox import cbor, cose
from outbox.errors import RecordError

# (kid, kiosk, post, time_ms) -> why that key may not sign for that kiosk then, or None.
Enrolled = Callable[[bytes | None, Any, Any, Any], str | None]

CONTENT_TYPE = "application/vnd.border-kiosk.status+cbor"
_CONTENT_TYPE_LABEL = 3  # RFC 9052 content type
HTTP_HEADER = "Kiosk-Status"


@dataclass(frozen=True)
class Heartbeat:
    kiosk: str
    post: str
    last_seq: int
    chain: bytes
    time_ms: int
    pending: int
    where: str = ""

    def to_map(self) -> dict[str, Any]:
        return {
            "type": "status",
            "kiosk": self.kiosk,
            "post": self.post,
            "last_seq": self.last_seq,
            "chain": self.chain,
            "time": self.time_ms,
            "pending": self.pending,
        }


def sign(heartbeat: Heartbeat, key: cose.Signer, kid: bytes) -> bytes:
    protected = {cose.ALG: cose.EDDSA, _CONTENT_TYPE_LABEL: CONTENT_TYPE}
    return cose.sign1(cbor.encode(heartbeat.to_map()), key, kid, protected)


def is_heartbeat(data: bytes) -> bool:
    """True for a well-formed COSE_Sign1 that declares itself a heartbeat (no signature check)."""
    if data[:1] != b"\xd2":  # not tag 18: a v2 record (an array) or nothing of ours
        return False
    try:
        headers = cbor.decode(cose.parse(data).protected, "protected header")
    except (RecordError, ValueError, TypeError):
        return False
    return isinstance(headers, dict) and headers.get(_CONTENT_TYPE_LABEL) == CONTENT_TYPE


def verify(
    data: bytes,
    key_for: Callable[[bytes | None], ed25519.Ed25519PublicKey | None],
    where: str,
    enrolled: Enrolled | None = None,
) -> Heartbeat:
    """Check the signature and every field's type; raises `RecordError`. `enrolled` says
    why the signing key may not speak for the kiosk the heartbeat names (None: it may)."""
    message = cose.verify1(data, key_for)
    value = cbor.decode(message.payload, "heartbeat")
    if enrolled is not None and isinstance(value, dict):
        problem = enrolled(message.kid, value.get("kiosk"), value.get("post"), value.get("time"))
        if problem:
            raise RecordError(problem)
    if not isinstance(value, dict) or value.get("type") != "status":
        raise RecordError("heartbeat payload must be a status map")
    fields: dict[str, type] = {
        "kiosk": str, "post": str, "last_seq": int, "chain": bytes, "time": int, "pending": int,
    }  # fmt: skip
    for name, kind in fields.items():
        item = value.get(name)
        if not isinstance(item, kind) or isinstance(item, bool):
            raise RecordError(f"heartbeat field {name!r} is missing or of the wrong type")
    if value["last_seq"] < 0 or len(value["chain"]) != 32:
        raise RecordError("heartbeat last_seq or chain hash is malformed")
    return Heartbeat(
        value["kiosk"], value["post"], value["last_seq"], value["chain"], value["time"],
        value["pending"], where,
    )  # fmt: skip


def http_header(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_http_header(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Diverted:
    """Wraps `(where, bytes)` sources: heartbeats are kept aside, records pass through
    (and the hash of each readable record is noted, to compare with the heartbeats; a
    caller that gets the hashes from the verifier's reports says `note_hashes=False` and
    saves reading each record twice)."""

    def __init__(
        self, sources: Iterable[tuple[str, bytes | OSError]], note_hashes: bool = True
    ) -> None:
        self.sources = sources
        self.note_hashes = note_hashes
        self.heartbeats: list[tuple[str, bytes]] = []
        self.hashes: dict[str, dict[int, bytes]] = {}

    def __iter__(self) -> Iterator[tuple[str, bytes | OSError]]:
        from outbox.record import read_header

        for where, data in self.sources:
            if isinstance(data, OSError):
                yield where, data  # the verifier reports it as unreadable
                continue
            if is_heartbeat(data):
                self.heartbeats.append((where, data))
                continue
            if not self.note_hashes:
                yield where, data
                continue
            try:
                record = read_header(data)
                header = record.header
                if isinstance(header.kiosk, str) and isinstance(header.seq, int):
                    self.hashes.setdefault(header.kiosk, {})[header.seq] = record.hash
            except (RecordError, ValueError, TypeError, AttributeError, KeyError):
                pass  # the verifier reports it
            yield where, data


@dataclass
class TailReport:
    """What the newest heartbeat of a kiosk says about the records that arrived."""

    kiosk: str
    heartbeat: Heartbeat | None
    missing: tuple[int, int] | None = None  # first..last seq sealed but not here
    problems: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        beat = self.heartbeat
        return {
            "kiosk": self.kiosk,
            "heartbeat_last_seq": beat.last_seq if beat else None,
            "heartbeat_time_ms": beat.time_ms if beat else None,
            "missing_tail": list(self.missing) if self.missing else None,
            "problems": self.problems or [],
        }


def check_tails(
    heartbeats: list[tuple[str, bytes]],
    key_for: Callable[[bytes | None], ed25519.Ed25519PublicKey | None],
    arrived: dict[str, tuple[int | None, dict[int, bytes]]],
    enrolled: Enrolled | None = None,
) -> tuple[list[TailReport], list[str]]:
    """Compare each kiosk's newest valid heartbeat with what arrived.

    `arrived` maps kiosk -> (highest seq that arrived, {seq: record hash}). Returns a report
    per kiosk that arrived or sent a heartbeat, and a line per heartbeat that does not
    verify.
    """
    newest: dict[str, Heartbeat] = {}
    bad: list[str] = []
    for where, data in heartbeats:
        try:
            beat = verify(data, key_for, where, enrolled)
        except (RecordError, ValueError, TypeError) as exc:
            bad.append(f"{where}: heartbeat does not verify: {exc}")
            continue
        known = newest.get(beat.kiosk)
        if known is None or (beat.last_seq, beat.time_ms) > (known.last_seq, known.time_ms):
            newest[beat.kiosk] = beat
    reports = []
    for kiosk in sorted(set(newest) | set(arrived)):
        latest = newest.get(kiosk)
        last, hashes = arrived.get(kiosk, (None, {}))
        report = TailReport(kiosk, latest, problems=[])
        if latest is None:
            report.problems = ["no heartbeat: cannot tell whether the newest records arrived"]
        else:
            have = last or 0
            if latest.last_seq > have:
                report.missing = (have + 1, latest.last_seq)
            elif latest.last_seq in hashes and hashes[latest.last_seq] != latest.chain:
                report.problems = [
                    f"the heartbeat's chain hash at seq {latest.last_seq} differs from the record"
                ]
        reports.append(report)
    return reports, bad


@dataclass(frozen=True)
class Signer:
    """What the forwarder needs to sign heartbeats: the kiosk, its post and its key."""

    kiosk: str
    post: str
    key: cose.Signer
    kid: bytes

    def make(self, last_seq: int, chain: bytes, pending: int, time_ms: int) -> bytes:
        beat = Heartbeat(self.kiosk, self.post, last_seq, chain, time_ms, pending)
        return sign(beat, self.key, self.kid)
