"""PostgreSQL storage of the central intake (psycopg 3).

`records`: one row per verified record, its clear header in columns and the sealed bytes
as they arrived (`data`: signed bytes are never re-encoded; the encrypted body travels in
them). `record_id` is the primary key and `(kiosk, seq)` is unique, so a record is stored
exactly once whatever is delivered twice. `quarantine`: what failed verification, with the
status and reason, once per hub-stream message. `heartbeats`: each kiosk's newest signed
account of how far it has sealed.

Every record stored was checked against the neighbours already stored (the record before
it names its hash as `prev`; it names the record after it): so a kiosk's chain is intact
wherever its sequence has no gap.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from central import CentralError

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    record_id   uuid PRIMARY KEY,
    kiosk       text NOT NULL,
    post        text NOT NULL,
    seq         bigint NOT NULL,
    prev        bytea NOT NULL,
    hash        bytea NOT NULL,
    time_ms     bigint NOT NULL,
    boot        text NOT NULL,
    mono_ns     numeric(20) NOT NULL,
    record_type text NOT NULL,
    officer     text NOT NULL,
    direction   text NOT NULL,
    suite       text NOT NULL,
    kid         bytea,
    data        bytea NOT NULL,
    stream      text NOT NULL,
    stream_seq  bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kiosk, seq)
);
-- Encrypted bodies do not compress: store them out of line without trying.
ALTER TABLE records ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE IF NOT EXISTS quarantine (
    id          bigserial PRIMARY KEY,
    stream      text NOT NULL,
    stream_seq  bigint NOT NULL,
    subject     text NOT NULL,
    record_id   uuid,
    kiosk       text,
    seq         numeric(20),
    status      text NOT NULL,
    reason      text NOT NULL,
    data        bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream, stream_seq)
);
CREATE TABLE IF NOT EXISTS heartbeats (
    kiosk       text PRIMARY KEY,
    post        text NOT NULL,
    last_seq    bigint NOT NULL,
    chain       bytea NOT NULL,
    time_ms     bigint NOT NULL,
    pending     bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
"""

# Byte columns go as binary parameters (%b): no hex escaping of 10 KB bodies both ways.
INSERT_RECORDS = (
    "INSERT INTO records (record_id, kiosk, post, seq, prev, hash, time_ms, boot, mono_ns, "
    "record_type, officer, direction, suite, kid, data, stream, stream_seq) VALUES (%s, %s, "
    "%s, %s, %b, %b, %s, %s, %s, %s, %s, %s, %s, %b, %b, %s, %s) "
    "ON CONFLICT (record_id) DO NOTHING"
)
MAX_BIGINT = 2**63 - 1
GENESIS = bytes(32)


def where(dsn: str) -> str:
    """The database as an operator names it, without a password."""
    parts = urlsplit(dsn)
    if parts.scheme in ("postgresql", "postgres"):
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"PostgreSQL at {host}{port}{parts.path or '/'}"
    return "PostgreSQL"


def describe(error: BaseException) -> str:
    """psycopg's message, on one line, without its connection preamble."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = text.removeprefix("connection failed: ")
    return text.split(" Is the server running")[0].rstrip(":")


@dataclass(frozen=True)
class Row:
    """A verified record, ready for the `records` table."""

    record_id: bytes
    kiosk: str
    post: str
    seq: int
    prev: bytes
    hash: bytes
    time_ms: int
    boot: str
    mono_ns: int
    record_type: str
    officer: str
    direction: str
    suite: str
    kid: bytes | None
    data: bytes
    stream_seq: int
    subject: str = ""


@dataclass(frozen=True)
class Rejected:
    stream_seq: int
    subject: str
    status: str
    reason: str
    data: bytes
    record_id: bytes | None = None
    kiosk: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Beat:
    kiosk: str
    post: str
    last_seq: int
    chain: bytes
    time_ms: int
    pending: int


@dataclass
class Outcome:
    stored: int = 0
    duplicates: int = 0
    quarantined: list[Rejected] = field(default_factory=list)


def connect(dsn: str, create: bool = True) -> Any:
    """A connection with the schema in place (`create`: make it; else it must exist); a
    dead database is one CentralError line."""
    try:
        import psycopg
    except ImportError:
        raise CentralError(
            "psycopg is not installed: install the package's 'central' extra "
            "(pip install -e '.[central]'; make setup does)"
        ) from None
    try:
        conn = psycopg.connect(dsn, connect_timeout=10)
    except psycopg.Error as exc:
        raise CentralError(f"cannot reach {where(dsn)}: {describe(exc)}") from None
    if not create:
        row = conn.execute("SELECT to_regclass('records') IS NOT NULL").fetchone()
        if not (row and row[0]):
            conn.close()
            raise CentralError(
                f"{where(dsn)} has no intake tables yet: run 'kiosk central intake' first"
            )
        return conn
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(7305566)")  # one schema creator
            conn.execute(SCHEMA)
    except psycopg.Error as exc:
        conn.close()
        raise CentralError(f"{where(dsn)}: cannot create the tables: {describe(exc)}") from None
    return conn


def check_chain(rows: list[Row], stream: str, conn: Any) -> tuple[list[Row], Outcome]:
    """Which rows continue their kiosk's chain (against the batch and what is stored), which
    are already stored, and which break it. Runs inside the caller's transaction."""
    outcome = Outcome()
    keys: set[tuple[str, int]] = set()
    for row in rows:
        keys.update((row.kiosk, s) for s in (row.seq - 1, row.seq, row.seq + 1) if s > 0)
    kiosks, seqs = zip(*sorted(keys), strict=True) if keys else ((), ())
    known: dict[tuple[str, int], tuple[bytes, bytes, bytes]] = {
        (k, s): (bytes(rid.bytes), bytes(h), bytes(p))
        for k, s, rid, h, p in conn.execute(
            "SELECT r.kiosk, r.seq, r.record_id, r.hash, r.prev FROM records r "
            "JOIN unnest(%s::text[], %s::bigint[]) AS w(kiosk, seq) "
            "ON r.kiosk = w.kiosk AND r.seq = w.seq",
            (list(kiosks), list(seqs)),
        ).fetchall()
    }
    accepted: list[Row] = []
    for row in sorted(rows, key=lambda r: (r.kiosk, r.seq, r.stream_seq)):
        here = known.get((row.kiosk, row.seq))
        before = known.get((row.kiosk, row.seq - 1))
        after = known.get((row.kiosk, row.seq + 1))
        reason = ""
        if here is not None:
            if here[0] == row.record_id:
                outcome.duplicates += 1
                continue
            reason = (
                f"conflict: seq {row.seq} of kiosk {row.kiosk} is already record "
                f"{uuid.UUID(bytes=here[0])}"
            )
        elif row.seq == 1 and row.prev != GENESIS:
            reason = "chain break: seq 1 must start the chain (prev of 32 zero bytes)"
        elif before is not None and before[1] != row.prev:
            reason = (
                f"chain break: prev is not the hash of seq {row.seq - 1} "
                f"(record {uuid.UUID(bytes=before[0])})"
            )
        elif after is not None and after[2] != row.hash:
            reason = (
                f"chain break: seq {row.seq + 1} (record {uuid.UUID(bytes=after[0])}) "
                "does not follow this record"
            )
        if reason:
            outcome.quarantined.append(
                Rejected(
                    row.stream_seq,
                    row.subject,
                    "chain",
                    reason,
                    row.data,
                    row.record_id,
                    row.kiosk,
                    row.seq,
                )
            )
            continue
        known[(row.kiosk, row.seq)] = (row.record_id, row.hash, row.prev)
        accepted.append(row)
    return accepted, outcome


def store(
    conn: Any, stream: str, rows: list[Row], rejected: list[Rejected], beats: list[Beat]
) -> Outcome:
    """One transaction: chain checks, records, quarantine, heartbeats; committed on return."""
    with conn.transaction():
        accepted, outcome = check_chain(rows, stream, conn)
        with conn.cursor() as cur:
            if accepted:
                cur.executemany(
                    INSERT_RECORDS,
                    [
                        (
                            uuid.UUID(bytes=r.record_id),
                            r.kiosk,
                            r.post,
                            r.seq,
                            r.prev,
                            r.hash,
                            r.time_ms,
                            r.boot,
                            r.mono_ns,
                            r.record_type,
                            r.officer,
                            r.direction,
                            r.suite,
                            r.kid,
                            r.data,
                            stream,
                            r.stream_seq,
                        )
                        for r in accepted
                    ],
                )
            outcome.stored = len(accepted)
            quarantined = rejected + outcome.quarantined
            outcome.quarantined = quarantined
            if quarantined:
                cur.executemany(
                    "INSERT INTO quarantine (stream, stream_seq, subject, record_id, kiosk, "
                    "seq, status, reason, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %b) "
                    "ON CONFLICT (stream, stream_seq) DO NOTHING",
                    [
                        (
                            stream,
                            q.stream_seq,
                            q.subject,
                            uuid.UUID(bytes=q.record_id) if q.record_id else None,
                            q.kiosk,
                            q.seq,
                            q.status,
                            q.reason,
                            q.data,
                        )
                        for q in quarantined
                    ],
                )
            for beat in beats:
                cur.execute(
                    "INSERT INTO heartbeats (kiosk, post, last_seq, chain, time_ms, pending) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (kiosk) DO UPDATE SET "
                    "post = EXCLUDED.post, last_seq = EXCLUDED.last_seq, chain = EXCLUDED.chain, "
                    "time_ms = EXCLUDED.time_ms, pending = EXCLUDED.pending, received_at = now() "
                    "WHERE heartbeats.time_ms <= EXCLUDED.time_ms",
                    (
                        beat.kiosk,
                        beat.post,
                        beat.last_seq,
                        beat.chain,
                        beat.time_ms,
                        beat.pending,
                    ),
                )
    return outcome


@dataclass
class KioskStatus:
    kiosk: str
    post: str
    records: int
    first_seq: int
    last_seq: int
    gaps: list[tuple[int, int]]
    last_seen: dt.datetime
    last_capture_ms: int
    quarantined: int = 0
    sealed: int | None = None  # the kiosk's newest heartbeat: its last sealed seq

    @property
    def missing_tail(self) -> int:
        return max(0, (self.sealed or 0) - self.last_seq)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kiosk": self.kiosk,
            "post": self.post,
            "records": self.records,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "gaps": [list(g) for g in self.gaps],
            "last_seen": self.last_seen.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "last_capture": dt.datetime.fromtimestamp(
                self.last_capture_ms / 1000, dt.UTC
            ).isoformat(timespec="seconds"),
            "quarantined": self.quarantined,
            "sealed": self.sealed,
            "missing_tail": self.missing_tail,
            "chain": "intact" if not self.gaps else "checked between gaps",
        }


def status(conn: Any) -> tuple[list[KioskStatus], int]:
    """Per kiosk: counts, last seq, gaps, last seen; and the quarantine's size."""
    kiosks = {
        row[0]: KioskStatus(row[0], row[1], row[2], row[3], row[4], [], row[5], row[6])
        for row in conn.execute(
            "SELECT kiosk, max(post), count(*), min(seq), max(seq), max(received_at), "
            "max(time_ms) FROM records GROUP BY kiosk ORDER BY kiosk"
        ).fetchall()
    }
    for kiosk, first, last in conn.execute(
        "SELECT kiosk, coalesce(before, 0) + 1, seq - 1 FROM ("
        "  SELECT kiosk, seq, lag(seq) OVER (PARTITION BY kiosk ORDER BY seq) AS before"
        "  FROM records) t WHERE seq > coalesce(before, 0) + 1 ORDER BY kiosk, seq"
    ).fetchall():
        kiosks[kiosk].gaps.append((first, last))
    for kiosk, count in conn.execute(
        "SELECT kiosk, count(*) FROM quarantine WHERE kiosk IS NOT NULL GROUP BY kiosk"
    ).fetchall():
        if kiosk in kiosks:
            kiosks[kiosk].quarantined = count
    for kiosk, last_seq in conn.execute("SELECT kiosk, last_seq FROM heartbeats").fetchall():
        if kiosk in kiosks:
            kiosks[kiosk].sealed = last_seq
    (quarantined,) = conn.execute("SELECT count(*) FROM quarantine").fetchone()
    return list(kiosks.values()), quarantined
