"""Central-side verification: signatures, decryption, sequence continuity, hash chains.

Given sealed records from any transport (files from `dir` media or an export, or a NATS
JetStream stream), it reports per record whether it verifies, and per kiosk the gaps,
duplicates and broken chain links, naming the record ids concerned.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ed25519

from outbox.errors import OutboxError, RecordError
from outbox.keys import CentralPrivateKey, kid, load_verify_key
from outbox.record import GENESIS, OpenedRecord, decrypt_body, read_header, verify_record


def load_registry(directory: Path) -> dict[bytes, ed25519.Ed25519PublicKey]:
    """Registered kiosk public keys (PEM files) by kid."""
    if not directory.is_dir():
        raise OutboxError(f"kiosk key registry {directory} is not a directory")
    keys = {}
    for path in sorted(directory.iterdir()):
        if path.suffix in (".pem", ".pub"):
            key = load_verify_key(path)
            keys[kid(key)] = key
    if not keys:
        raise OutboxError(f"no kiosk public keys (*.pem, *.pub) in {directory}")
    return keys


def read_nats(url: str, settings: dict[str, Any] | None = None) -> list[tuple[str, bytes]]:
    """Every message of a JetStream stream: `nats://host:port/STREAM` (or `tls://`, and
    `user:password@` in the URL); `settings` may add `ca`, `cert`, `key`, `credentials`."""
    import asyncio
    import ssl

    from outbox.transports.nats import connect_options

    parts = urlsplit(url)
    stream = parts.path.strip("/")
    if parts.scheme not in ("nats", "tls") or not stream:
        raise OutboxError(f"{url}: use nats://HOST:PORT/STREAM or tls://HOST:PORT/STREAM")
    server = f"{parts.scheme}://{parts.netloc}"
    where = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    options = connect_options({**(settings or {}), "url": server}, 10.0)

    async def fetch() -> list[tuple[str, bytes]]:
        import nats
        from nats.errors import Error as NatsError

        try:
            nc = await nats.connect(**options)
        except (OSError, NatsError, TimeoutError, ssl.SSLError) as exc:
            raise OutboxError(f"cannot reach NATS at {where}: {exc}") from None
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            messages = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    message = await js.get_msg(stream, seq)
                except NatsError:
                    continue  # deleted by retention
                messages.append((f"{stream}#{seq}", message.data or b""))
            return messages
        except NatsError as exc:
            raise OutboxError(f"stream {stream}: {exc}") from None
        finally:
            await nc.close()

    return asyncio.run(fetch())


def read_sources(
    paths: Iterable[Path | str], nats: dict[str, Any] | None = None
) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) for every record under the given files, directories and
    nats://host:port/STREAM URLs (`nats`: TLS and credential settings for those)."""
    for item in paths:
        if str(item).startswith(("nats://", "tls://")):
            yield from read_nats(str(item), nats)
            continue
        path = Path(item)
        if path.is_dir():
            for item in sorted(path.rglob("*.cose")):
                yield str(item), item.read_bytes()
        elif path.is_file():
            yield str(path), path.read_bytes()
        else:
            raise OutboxError(f"{path} does not exist")


@dataclass
class RecordReport:
    where: str
    record_id: str | None = None
    kiosk: str | None = None
    seq: int | None = None
    record_type: str | None = None
    problems: list[str] = field(default_factory=list)
    body: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "id": self.record_id,
            "kiosk": self.kiosk,
            "seq": self.seq,
            "type": self.record_type,
            "ok": not self.problems,
            "problems": self.problems,
        }


@dataclass
class KioskReport:
    kiosk: str
    records: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    gaps: list[tuple[int, int]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # the same record delivered twice
    conflicts: list[str] = field(default_factory=list)  # two records claim one seq
    chain_breaks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.gaps or self.conflicts or self.chain_breaks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kiosk": self.kiosk,
            "records": self.records,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "gaps": [list(g) for g in self.gaps],
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "chain_breaks": self.chain_breaks,
            "ok": self.ok,
        }


def verify(
    sources: Iterable[tuple[str, bytes]],
    registry: dict[bytes, ed25519.Ed25519PublicKey],
    central: CentralPrivateKey | None = None,
) -> tuple[list[RecordReport], list[KioskReport]]:
    reports: list[RecordReport] = []
    good: dict[str, dict[int, list[OpenedRecord]]] = defaultdict(lambda: defaultdict(list))
    for where, data in sources:
        report = RecordReport(where)
        reports.append(report)
        try:
            record = verify_record(data, registry.get)
        except (RecordError, ValueError, TypeError) as exc:
            report.problems.append(f"tampered or unreadable: {exc}")
            # Say which record it claims to be, if the header still reads.
            with suppress(RecordError, ValueError, TypeError):
                _describe(report, read_header(data))
            continue
        _describe(report, record)
        if central is not None:
            try:
                report.body = decrypt_body(record, central)
            except RecordError as exc:
                report.problems.append(str(exc))
                continue
        good[record.header.kiosk][record.header.seq].append(record)
    return reports, [_check_kiosk(kiosk, by_seq) for kiosk, by_seq in sorted(good.items())]


def _describe(report: RecordReport, record: OpenedRecord) -> None:
    report.record_id = str(uuid.UUID(bytes=record.header.record_id))
    report.kiosk = record.header.kiosk
    report.seq = record.header.seq
    report.record_type = record.header.record_type


def _check_kiosk(kiosk: str, by_seq: dict[int, list[OpenedRecord]]) -> KioskReport:
    report = KioskReport(kiosk)
    seqs = sorted(by_seq)
    report.first_seq, report.last_seq = seqs[0], seqs[-1]
    chosen: dict[int, OpenedRecord] = {}
    for seq in seqs:
        records = by_seq[seq]
        distinct = {r.data: r for r in records}
        report.records += len(distinct)
        for record in records[len(distinct) :]:
            report.duplicates.append(str(record.header.uuid))
        if len(distinct) > 1:
            report.conflicts += [str(r.header.uuid) for r in distinct.values()]
        chosen[seq] = records[0]
    expected = 1
    for seq in seqs:
        if seq > expected:
            report.gaps.append((expected, seq - 1))
        expected = seq + 1
    for seq in seqs:
        record = chosen[seq]
        if seq == 1:
            if record.header.prev != GENESIS:
                report.chain_breaks.append(str(record.header.uuid))
        elif seq - 1 in chosen and record.header.prev != chosen[seq - 1].hash:
            report.chain_breaks.append(str(record.header.uuid))
    return report
