"""The outbox: sealed records in SQLite until the central side acknowledged them.

WAL journal, `synchronous=FULL`: when `seal()` returns, the record and the new chain head
are on disk (fsync'd) and survive SIGKILL and power loss. The sequence number and the
previous record's hash are assigned in the same write transaction that stores the record,
so the chain is gapless whatever crashes. States: pending -> delivered -> purged after the
retention period. Nothing undelivered is ever deleted.

Two processes share the file (the kiosk seals, the forwarder marks delivered); every
write is one short transaction, never held across network I/O.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from outbox.cose import Signer
from outbox.errors import OutboxError, OutboxFull
from outbox.keys import CentralPublicKey, kid
from outbox.record import (
    GENESIS,
    Header,
    boot_id,
    monotonic_ns,
    now_ms,
    record_hash,
    seal_record,
    uuid7,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    type TEXT NOT NULL,
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    sealed_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS records_state ON records (state, seq);
CREATE TABLE IF NOT EXISTS chain (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS link (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    state TEXT NOT NULL,
    detail TEXT NOT NULL,
    at REAL NOT NULL
);
"""

_REMEASURE_AFTER_S = 1.0


@dataclass(frozen=True)
class Identity:
    """Who seals: the kiosk, its post, its signing key and the central key."""

    kiosk: str
    post: str
    signing_key: Signer  # a key file's Ed25519PrivateKey, or a key in a token
    central: CentralPublicKey

    @property
    def kid(self) -> bytes:
        return kid(self.signing_key.public_key())


@dataclass(frozen=True)
class Sealed:
    record_id: bytes
    seq: int
    data: bytes


@dataclass(frozen=True)
class Pending:
    seq: int
    record_id: bytes
    data: bytes


@dataclass(frozen=True)
class Status:
    pending: int
    pending_bytes: int
    oldest_pending_age: float | None  # seconds
    delivered: int
    last_seq: int
    last_delivered_at: float | None
    link: str  # "up", "down" or "unknown"
    link_detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "pending_bytes": self.pending_bytes,
            "oldest_pending_age_s": self.oldest_pending_age,
            "delivered": self.delivered,
            "last_seq": self.last_seq,
            "last_delivered_at": self.last_delivered_at,
            "link": self.link,
            "link_detail": self.link_detail,
        }


class Outbox:
    """One outbox file. Thread-safe within a process; WAL-shared between processes."""

    def __init__(
        self,
        path: Path,
        *,
        quota_bytes: int = 2 * 1024**3,
        reserve_bytes: int = 64 * 1024**2,
    ) -> None:
        self.path = path
        self.quota_bytes = quota_bytes
        self.reserve_bytes = reserve_bytes
        self._lock = threading.Lock()
        self._room = 0  # bytes found free at the last measurement (see _check_room)
        self._unmeasured = 0
        self._measured_at = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
            # 16 KiB pages: a 100 KB record is 7 WAL frames instead of 25 (less CPU per
            # seal); only takes effect when the file is created.
            self._db.execute("PRAGMA page_size=16384")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=30000")
            with self._write() as db:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise OutboxError(f"outbox {path} cannot be opened: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: the writer lock is taken at BEGIN, not at first write."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise OutboxError(f"outbox is busy: {exc}") from None
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
                    raise OutboxFull(
                        f"the disk holding {self.path} is full; nothing was sealed"
                    ) from None
                raise

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- sealing ---------------------------------------------------------------------
    def _check_room(self, incoming: int) -> None:
        """Refuse a record that would pass the quota or eat into the disk's reserve.

        Measuring the files and the disk costs about as much as the INSERT, so after a
        measurement records are let through unmeasured while they add up to a quarter of
        the room it found (until a checkpoint a record is on disk twice, in the WAL and the
        database, with page slack), for at most a second (other writers share the disk).
        Near the limit that quarter shrinks to nothing and every record is measured.
        """
        self._unmeasured += incoming
        if (
            self._unmeasured <= self._room / 4
            and time.monotonic() - self._measured_at < _REMEASURE_AFTER_S
        ):
            return
        used = self.path.stat().st_size + _size(self.path.with_name(self.path.name + "-wal"))
        if used + incoming > self.quota_bytes:
            raise OutboxFull(
                f"outbox quota reached ({used // 1024**2} MiB of "
                f"{self.quota_bytes // 1024**2} MiB): forward or export records first"
            )
        free = shutil.disk_usage(self.path.parent).free
        if free - incoming < self.reserve_bytes:
            raise OutboxFull(
                f"only {free // 1024**2} MiB free on the disk of {self.path}; "
                f"{self.reserve_bytes // 1024**2} MiB are kept in reserve"
            )
        self._room = min(self.quota_bytes - used, free - self.reserve_bytes) - incoming
        self._unmeasured = 0
        self._measured_at = time.monotonic()

    def seal(
        self,
        identity: Identity,
        record_type: str,
        officer: str,
        direction: str,
        body: dict[str, Any],
    ) -> Sealed:
        """Seal one record durably; returns once it is on disk."""
        return self.seal_many(identity, [(record_type, officer, direction, body)])[0]

    def seal_many(
        self,
        identity: Identity,
        items: Iterable[tuple[str, str, str, dict[str, Any]]],
    ) -> list[Sealed]:
        """Seal several records in one transaction (one fsync): group commit for bursts."""
        items = list(items)
        with self._write() as db:
            row = db.execute("SELECT seq, hash FROM chain WHERE one = 1").fetchone()
            seq, prev = (row[0], row[1]) if row else (0, GENESIS)
            sealed: list[Sealed] = []
            for record_type, officer, direction, body in items:
                seq += 1
                header = Header(
                    record_id=uuid7().bytes,
                    kiosk=identity.kiosk,
                    post=identity.post,
                    seq=seq,
                    prev=prev,
                    time_ms=now_ms(),
                    boot=boot_id(),
                    mono_ns=monotonic_ns(),
                    record_type=record_type,
                    officer=officer,
                    direction=direction,
                    suite=identity.central.suite,
                )
                data = seal_record(
                    header, body, identity.central, identity.signing_key, identity.kid
                )
                self._check_room(len(data))
                db.execute(
                    "INSERT INTO records (seq, id, type, data, size, sealed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (seq, header.record_id, record_type, data, len(data), time.time()),
                )
                prev = record_hash(data)
                sealed.append(Sealed(header.record_id, seq, data))
            db.execute(
                "INSERT INTO chain (one, seq, hash) VALUES (1, ?, ?) "
                "ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                (seq, prev),
            )
        return sealed

    # -- forwarding ------------------------------------------------------------------
    def pending(self, limit: int = 100, after_seq: int = 0) -> list[Pending]:
        rows = self._read(
            "SELECT seq, id, data FROM records WHERE state = 'pending' AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (after_seq, limit),
        )
        return [Pending(seq, record_id, data) for seq, record_id, data in rows]

    def mark_delivered(self, record_ids: Iterable[bytes]) -> int:
        ids = list(record_ids)
        if not ids:
            return 0
        now = time.time()
        with self._write() as db:
            cursor = db.executemany(
                "UPDATE records SET state = 'delivered', delivered_at = ? "
                "WHERE id = ? AND state = 'pending'",
                [(now, record_id) for record_id in ids],
            )
            return cursor.rowcount

    def purge(self, retention_seconds: float) -> int:
        """Delete delivered records older than the retention period (never pending ones)."""
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM records WHERE state = 'delivered' AND delivered_at < ?",
                (time.time() - retention_seconds,),
            )
            return cursor.rowcount

    def set_link(self, state: str, detail: str = "") -> None:
        """The forwarder's view of the link, for the UI's status bar."""
        with self._write() as db:
            db.execute(
                "INSERT INTO link (one, state, detail, at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (one) DO UPDATE SET state = excluded.state, "
                "detail = excluded.detail, at = excluded.at",
                (state, detail, time.time()),
            )

    # -- figures ---------------------------------------------------------------------
    def status(self) -> Status:
        pending, pending_bytes, oldest = self._read(
            "SELECT count(*), coalesce(sum(size), 0), min(sealed_at) FROM records "
            "WHERE state = 'pending'"
        )[0]
        delivered, last_delivered = self._read(
            "SELECT count(*), max(delivered_at) FROM records WHERE state = 'delivered'"
        )[0]
        chain = self._read("SELECT seq FROM chain WHERE one = 1")
        link = self._read("SELECT state, detail FROM link WHERE one = 1")
        return Status(
            pending=pending,
            pending_bytes=pending_bytes,
            oldest_pending_age=(time.time() - oldest) if oldest else None,
            delivered=delivered,
            last_seq=chain[0][0] if chain else 0,
            last_delivered_at=last_delivered,
            link=link[0][0] if link else "unknown",
            link_detail=link[0][1] if link else "",
        )

    def records(
        self, state: str | None = None, limit: int | None = None
    ) -> list[tuple[int, bytes, str, int, str, float, float | None]]:
        """seq, id, type, size, state, sealed_at, delivered_at; newest last."""
        sql = "SELECT seq, id, type, size, state, sealed_at, delivered_at FROM records"
        args: list[Any] = []
        if state:
            sql += " WHERE state = ?"
            args.append(state)
        sql += " ORDER BY seq"
        if limit:
            sql = f"SELECT * FROM ({sql} DESC LIMIT ?) ORDER BY seq"
            args.append(limit)
        return self._read(sql, args)

    def data(self, state: str | None = None) -> Iterator[tuple[int, bytes]]:
        """seq and bytes of every record (for export), in sequence order."""
        sql = "SELECT seq, data FROM records"
        args: list[Any] = []
        if state:
            sql += " WHERE state = ?"
            args.append(state)
        yield from self._read(sql + " ORDER BY seq", args)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
