"""Central-side verification: signatures, enrolments, decryption, sequence continuity,
hash chains.

Given sealed records of either format (docs/records.md) from any transport (files from
`dir` media or an export, or a NATS JetStream stream), with their bodies or with only
their signed headers (v2 after the kiosk's retention), it reports per record whether it
verifies, and per kiosk the gaps, duplicates and broken chain links, naming the record
ids concerned. A record is trusted
only through an enrolment (`outbox.enrolment`): its kid enrolled for the kiosk and post its
header names, at its capture time. Whatever the bytes, every record gets a report: a
malformed one never stops the batch.

With a state file, successive batches verify as one stream: the last verified seq and
record hash of each kiosk are remembered, so a batch of seq 6..9 continues from 5.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from outbox import cose
from outbox.enrolment import Registry, load_registry
from outbox.errors import OutboxError, RecordError
from outbox.keys import CentralPrivateKey
from outbox.record import GENESIS, OpenedRecord, decrypt_body, read_header

__all__ = ["KioskState", "Registry", "load_registry", "load_state", "save_state", "verify"]

# A record's verdict: "ok", or what is wrong with it. Only "tampered" means the bytes
# were altered; the others are about trust (which key, for whom, when).
STATUSES = (
    "ok",
    "unreadable",  # not a record at all: bad CBOR, wrong structure or field types
    "not-enrolled",  # no enrolment for its kid under --keys: nothing could be checked
    "tampered",  # the signature does not verify with the enrolled key
    "wrong-kiosk",  # signed by a key enrolled for another kiosk or post
    "outside-validity",  # signed before or after the key's validity
    "revoked",  # signed after the key was revoked
    "undecryptable",  # the body does not decrypt with the central key
)


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
) -> Iterator[tuple[str, bytes | OSError]]:
    """(where, bytes) for every record under the given files, directories and
    nats://host:port/STREAM URLs (`nats`: TLS and credential settings for those)."""
    for item in paths:
        if str(item).startswith(("nats://", "tls://")):
            yield from read_nats(str(item), nats)
            continue
        path = Path(item)
        if path.is_dir():
            for item in sorted(path.rglob("*.cose")):
                yield str(item), _read(item)
        elif path.is_file():
            yield str(path), _read(path)
        else:
            raise OutboxError(f"{path} does not exist")


def _read(path: Path) -> bytes | OSError:
    """The file's bytes, or the error that stopped reading it (reported as unreadable)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        return exc


@dataclass
class RecordReport:
    where: str
    record_id: str | None = None
    kiosk: str | None = None
    seq: int | None = None
    record_type: str | None = None
    status: str = "ok"
    problems: list[str] = field(default_factory=list)
    body: dict[str, Any] | None = None
    version: int | None = None  # record format, 1 or 2
    has_body: bool | None = None  # False: dropped after delivery, the header checked alone
    record_hash: bytes | None = None  # of a readable record (what the next one's prev holds)

    def fail(self, status: str, problem: str) -> None:
        self.status = status
        self.problems.append(problem)

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "id": self.record_id,
            "kiosk": self.kiosk,
            "seq": self.seq,
            "type": self.record_type,
            "ok": not self.problems,
            "status": self.status,
            "problems": self.problems,
            "version": self.version,
            "has_body": self.has_body,
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
    resumed_from: int | None = None  # the state file's last verified seq
    earlier: list[str] = field(default_factory=list)  # seq at or below it: seen before
    state: KioskState | None = None  # what the state file remembers after this batch

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
            "resumed_from": self.resumed_from,
            "already_verified": self.earlier,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class KioskState:
    """The last record of a kiosk verified without a gap from seq 1 (or an earlier state)."""

    seq: int
    hash: bytes

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash.hex()}


STATE_FORMAT = "border-kiosk-verify-state/1"


def load_state(path: Path) -> dict[str, KioskState]:
    """A state file written by `save_state`; a missing file is an empty state."""
    import json

    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise OutboxError(f"verify state {path} cannot be read: {exc}") from None
    try:
        if data["format"] != STATE_FORMAT:
            raise ValueError("unknown format")
        return {
            str(kiosk): KioskState(int(entry["seq"]), bytes.fromhex(entry["hash"]))
            for kiosk, entry in data["kiosks"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise OutboxError(f"verify state {path} is not a {STATE_FORMAT} file ({exc})") from None


def save_state(path: Path, states: dict[str, KioskState]) -> None:
    """Write atomically (temporary file, fsync, rename): a crash keeps the old state."""
    import json
    import os

    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w") as out:
        json.dump(
            {"format": STATE_FORMAT, "kiosks": {k: v.to_dict() for k, v in sorted(states.items())}},
            out,
            indent=1,
        )
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def verify(
    sources: Iterable[tuple[str, bytes | OSError]],
    registry: Registry,
    central: CentralPrivateKey | None = None,
    state: dict[str, KioskState] | None = None,
    workers: int = 1,
) -> tuple[list[RecordReport], list[KioskReport]]:
    """A report per record and per kiosk. With `state`, each kiosk continues from its
    remembered seq and hash; the reports' `state` is what to remember next.

    `workers`: processes that check records (signatures, bodies, decryption) side by
    side; 0 picks one per CPU once the batch is large. Those processes are forked, so a
    caller with threads of its own keeps the default, 1 (checked in this process).
    """
    state = state or {}
    reports: list[RecordReport] = []
    good: dict[str, dict[int, list[_Link]]] = defaultdict(lambda: defaultdict(list))
    for report, link in _checked(sources, registry, central, workers):
        reports.append(report)
        if link is not None:
            good[link.kiosk][link.seq].append(link)
    kiosks = [
        _check_kiosk(kiosk, by_seq, state.get(kiosk)) for kiosk, by_seq in sorted(good.items())
    ]
    return reports, kiosks


@dataclass(frozen=True)
class _Link:
    """What the chain check needs of a trusted record."""

    kiosk: str
    seq: int
    prev: bytes
    hash: bytes
    uuid: str


_CHUNK = 256  # records handed to a worker at a time
_PARALLEL_FROM = 4 * _CHUNK  # fewer records are checked here: a pool costs more than it saves
_context: tuple[Registry, CentralPrivateKey | None] | None = None  # what forked workers use


def _check_chunk(
    chunk: list[tuple[str, bytes | OSError]],
) -> list[tuple[RecordReport, _Link | None]]:
    assert _context is not None
    registry, central = _context
    out = []
    for where, data in chunk:
        report = RecordReport(where)
        record = _check_record(report, data, registry, central)
        link = None
        if record is not None:
            header = record.header
            link = _Link(header.kiosk, header.seq, header.prev, record.hash, report.record_id or "")
        out.append((report, link))
    return out


def _checked(
    sources: Iterable[tuple[str, bytes | OSError]],
    registry: Registry,
    central: CentralPrivateKey | None,
    workers: int,
) -> Iterator[tuple[RecordReport, _Link | None]]:
    """Each source's report and link, in order: here, or in forked worker processes with
    a few chunks in flight (never the whole batch in memory)."""
    global _context
    import itertools
    import os

    _context = (registry, central)
    if workers == 0:
        workers = min(os.cpu_count() or 1, 8)
    items = iter(sources)
    first = list(itertools.islice(items, _PARALLEL_FROM))
    if workers <= 1 or len(first) < _PARALLEL_FROM:
        for chunk in _chunks(itertools.chain(first, items)):
            yield from _check_chunk(chunk)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        flight: deque[Future[list[tuple[RecordReport, _Link | None]]]] = deque()
        for chunk in _chunks(itertools.chain(first, items)):
            flight.append(pool.submit(_check_chunk, chunk))
            if len(flight) >= 2 * workers:
                yield from flight.popleft().result()
        while flight:
            yield from flight.popleft().result()


def _chunks(
    items: Iterator[tuple[str, bytes | OSError]],
) -> Iterator[list[tuple[str, bytes | OSError]]]:
    import itertools

    while chunk := list(itertools.islice(items, _CHUNK)):
        yield chunk


def _check_record(
    report: RecordReport,
    data: bytes | OSError,
    registry: Registry,
    central: CentralPrivateKey | None,
) -> OpenedRecord | None:
    """Fill in `report`; the record when it is fully trusted, else None."""
    if isinstance(data, OSError):
        report.fail("unreadable", f"cannot read the file: {data.strerror or data}")
        return None
    try:
        record = read_header(data)
    except RecordError as exc:
        report.fail("unreadable", f"not a readable record: {exc}")
        return None
    except Exception as exc:  # a gap in the checks above; report it, never stop the batch
        report.fail("unreadable", f"not a readable record ({type(exc).__name__})")
        return None
    _describe(report, record)
    header = record.header
    enrolments = registry.enrolments(record.kid)
    kid = record.kid.hex() if record.kid else "none"
    if not enrolments:
        report.fail(
            "not-enrolled",
            f"key {kid} is not enrolled: add kiosk {header.kiosk}'s enrolment to the keys "
            "directory (nothing was checked)",
        )
        return None
    try:
        cose.check_signature(record.message, enrolments[0].public_key)
        record.check_body()
    except RecordError as exc:
        report.fail("tampered", str(exc))
        return None
    mine = [
        e
        for e in enrolments
        if e.kiosk == header.kiosk and (e.post is None or e.post == header.post)
    ]
    if not mine:
        owners = ", ".join(sorted({f"{e.kiosk} at {e.post or 'any post'}" for e in enrolments}))
        report.fail(
            "wrong-kiosk",
            f"signed with key {kid}, enrolled for kiosk {owners}, "
            f"not for kiosk {header.kiosk} at {header.post}",
        )
        return None
    verdicts = [e.problem_at(header.time_ms) for e in mine]
    if all(verdicts):
        status, reason = next(v for v in verdicts if v)
        report.fail(status, reason)
        return None
    if central is not None and record.has_body:
        try:
            report.body = decrypt_body(record, central)
        except RecordError as exc:
            report.fail("undecryptable", str(exc))
            return None
    return record


def _describe(report: RecordReport, record: OpenedRecord) -> None:
    hexa = record.header.record_id.hex()  # as str(uuid.UUID(...)) writes it, faster
    report.record_id = f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"
    report.kiosk = record.header.kiosk
    report.seq = record.header.seq
    report.record_type = record.header.record_type
    report.version = record.version
    report.has_body = record.has_body
    report.record_hash = record.hash


def _check_kiosk(
    kiosk: str, by_seq: dict[int, list[_Link]], start: KioskState | None = None
) -> KioskReport:
    report = KioskReport(kiosk)
    base = start.seq if start else 0
    report.resumed_from = start.seq if start else None
    seqs = sorted(by_seq)
    report.first_seq, report.last_seq = seqs[0], seqs[-1]
    chosen: dict[int, _Link] = {}
    for seq in seqs:
        records = by_seq[seq]
        distinct = {r.hash: r for r in records}  # with or without its body: one record
        report.records += len(distinct)
        for record in records[len(distinct) :]:
            report.duplicates.append(record.uuid)
        if len(distinct) > 1:
            report.conflicts += [r.uuid for r in distinct.values()]
        if seq <= base:
            report.earlier += [r.uuid for r in distinct.values()]
            continue
        chosen[seq] = records[0]
    expected = base + 1
    for seq in sorted(chosen):
        if seq > expected:
            report.gaps.append((expected, seq - 1))
        expected = seq + 1
    previous = {base: start.hash if start else GENESIS}
    for seq, record in sorted(chosen.items()):
        prev = chosen[seq - 1].hash if seq - 1 in chosen else previous.get(seq - 1)
        if prev is not None and record.prev != prev:
            report.chain_breaks.append(record.uuid)
    # Remember only what verified without a gap, a conflict or a break from the start.
    last = start
    broken = set(report.chain_breaks) | set(report.conflicts)
    seq = base + 1
    while seq in chosen and chosen[seq].uuid not in broken:
        last = KioskState(seq, chosen[seq].hash)
        seq += 1
    report.state = last
    return report
