"""One kiosk's chain as its own outbox keeps it: signatures, sequence and links, with the
bodies or without them (`kiosk outbox verify-chain`).

After the retention a delivered v2 record keeps only its signed hash envelope, which is
enough to check its signature, its seq and its link to the record before. A body still
there is checked against the hash it was signed with. v1 records past their retention
are deleted whole with their hash kept: the link through them is checked, their own
signature no longer can be. The report says which of these it did, record by record
kind, and names every gap, broken link and bad signature.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from outbox import cose
from outbox.errors import RecordError
from outbox.record import GENESIS, read_header

KeyFor = Callable[[bytes | None], ed25519.Ed25519PublicKey | None]


@dataclass
class ChainReport:
    kiosks: set[str] = field(default_factory=set)
    first_seq: int | None = None
    last_seq: int | None = None
    records: int = 0  # kept in the outbox, with or without a body
    signatures: int = 0  # verified
    bodies: int = 0  # present and matching their signed hash (v2) / signed with it (v1)
    header_only: int = 0  # v2 records whose body was dropped after delivery
    purged: int = 0  # v1 records deleted whole; only their hash is left
    versions: dict[int, int] = field(default_factory=dict)
    unrecorded: tuple[int, int] | None = None  # seqs before the first kept, with no trace
    links: int = 0  # prev checked against the record before
    problems: list[str] = field(default_factory=list)  # one line each
    head: tuple[int, bytes] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "kiosks": sorted(self.kiosks),
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "records": self.records,
            "signatures_verified": self.signatures,
            "bodies_checked": self.bodies,
            "header_only": self.header_only,
            "purged_hash_kept": self.purged,
            "versions": {str(k): v for k, v in sorted(self.versions.items())},
            "links_checked": self.links,
            "not_in_outbox": list(self.unrecorded) if self.unrecorded else None,
            "head_seq": self.head[0] if self.head else None,
            "problems": self.problems,
            "ok": self.ok,
        }

    def summary(self) -> list[str]:
        """What was checked, in lines a technician reads."""
        if self.first_seq is None:
            return ["the outbox holds no records: nothing to check"]
        who = ", ".join(sorted(self.kiosks)) or "?"
        formats = ", ".join(f"v{k}: {v}" for k, v in sorted(self.versions.items()))
        lines = [
            f"kiosk {who}: seq {self.first_seq}..{self.last_seq}, {self.records} records kept "
            f"({formats or 'none readable'}), {self.purged} purged whole (hash kept)",
            f"  signatures verified      {self.signatures} of {self.records}",
            f"  bodies checked           {self.bodies} (against the signed hash)",
            f"  header only              {self.header_only} (bodies dropped after delivery)",
            f"  links checked (prev)     {self.links}",
        ]
        if self.unrecorded:
            first, last = self.unrecorded
            lines.append(
                f"  seq {first}..{last} not in this outbox (purged before their hashes were "
                f"kept): the chain is checked from seq {last + 1} on"
            )
        if self.head is not None:
            lines.append(f"  head                     seq {self.head[0]} {self.head[1].hex()[:16]}")
        return lines


def check_chain(
    rows: Iterable[tuple[int, bytes]],
    key_for: KeyFor,
    purged: dict[int, bytes] | None = None,
    head: tuple[int, bytes] | None = None,
) -> ChainReport:
    """Check `(seq, record bytes)` in sequence order; `purged` holds the hashes of records
    deleted whole, `head` the outbox's own (last seq, hash) to compare with the last record."""
    report = ChainReport(head=head)
    purged = dict(purged or {})
    expected = 1  # the seq the next record should have, and its `prev`:
    prev_or_none: bytes | None = GENESIS
    for seq, data in _merged(rows, purged):
        if report.first_seq is None:
            report.first_seq = seq
            if seq > 1:
                report.unrecorded = (1, seq - 1)
                prev_or_none = None
        elif seq > expected:
            report.problems.append(f"GAP: seq {expected}..{seq - 1} missing from the outbox")
            prev_or_none = None
        report.last_seq = seq
        expected = seq + 1
        if data is None:  # purged whole: only its hash
            report.purged += 1
            prev_or_none = purged[seq]
            continue
        report.records += 1
        prev_or_none = _check_one(report, seq, data, key_for, prev_or_none)
    if head is not None and report.last_seq is not None:
        head_seq, head_hash = head
        if head_seq != report.last_seq:
            report.problems.append(
                f"HEAD: the outbox's chain head is seq {head_seq}, its last record seq "
                f"{report.last_seq}"
            )
        elif prev_or_none is not None and prev_or_none != head_hash:
            report.problems.append(
                f"HEAD: the outbox's chain head hash differs from record seq {head_seq}'s"
            )
    return report


def _merged(
    rows: Iterable[tuple[int, bytes]], purged: dict[int, bytes]
) -> Iterable[tuple[int, bytes | None]]:
    """Kept records and purged ones (None) in one ascending sequence."""
    gone = sorted(purged)
    i = 0
    for seq, data in rows:
        while i < len(gone) and gone[i] < seq:
            yield gone[i], None
            i += 1
        if i < len(gone) and gone[i] == seq:
            i += 1  # kept after all (purged by an older version, then restored): the row wins
        yield seq, data
    yield from ((seq, None) for seq in gone[i:])


def _check_one(
    report: ChainReport, seq: int, data: bytes, key_for: KeyFor, prev: bytes | None
) -> bytes | None:
    """Check one kept record; its hash (the next one's expected prev), None if unknown."""
    try:
        record = read_header(data)
    except RecordError as exc:
        report.problems.append(f"UNREADABLE: seq {seq}: {exc}")
        return None
    header = record.header
    name = f"seq {seq} ({uuid.UUID(bytes=header.record_id)})"
    report.kiosks.add(header.kiosk)
    report.versions[record.version] = report.versions.get(record.version, 0) + 1
    if header.seq != seq:
        report.problems.append(f"MISPLACED: {name} is stored as seq {seq}, says seq {header.seq}")
    key = key_for(record.kid)
    if key is None:
        kid = record.kid.hex() if record.kid else "none"
        report.problems.append(
            f"UNCHECKED SIGNATURE: {name}: no key for kid {kid} (give the enrolments: --keys)"
        )
    else:
        try:
            cose.check_signature(record.message, key)
            report.signatures += 1
        except RecordError as exc:
            report.problems.append(f"BAD SIGNATURE: {name}: {exc}")
    if record.has_body:
        try:
            record.check_body()
            report.bodies += 1
        except RecordError as exc:
            report.problems.append(f"BAD BODY: {name}: {exc}")
    else:
        report.header_only += 1
    if prev is not None:
        report.links += 1
        if header.prev != prev:
            report.problems.append(
                f"BROKEN LINK: {name}: its prev is not the hash of seq {seq - 1}"
            )
    return record.hash
