"""The outbox: sealed records in SQLite until the central side acknowledged them.

WAL journal, `synchronous=FULL`: when `seal()` returns, the record and the new chain head
are on disk (fsync'd) and survive SIGKILL and power loss. The sequence number and the
previous record's hash are assigned in the same write transaction that stores the record,
so the chain is gapless whatever crashes. States: pending -> delivered -> header only after
the retention period. Nothing undelivered is ever deleted.

Retention drops the bodies of delivered records and keeps their headers: a v2 record
without its body is its signed hash envelope, so signatures, sequence and chain can still
be checked (`kiosk outbox verify-chain`) for a few hundred bytes a record. A v1 record
signs its body and cannot be kept without it: it is deleted whole and its hash is kept
(`purged`), so the chain through it still links.

The state lives in two small tables (`pending`, `delivered`), never in the record's own
row: changing a 100 KB row rewrites all its pages, so marking a batch delivered would
need as much free disk as the batch itself, and a full disk could never drain. Now it
costs a few bytes per record. (Outboxes of the first schema, with `records.state`, are
migrated when opened; that column is no longer used.)

Room: the guard counts what SQLite really uses on disk: the database, the WAL and the
room the WAL may still take before its next checkpoint (it is checkpointed at about
4 MiB and cut back to that size), less free pages inside the database that new records
reuse. A new record is refused when it would leave less than the reserve free; the
reserve is what the forwarder needs to mark records delivered, purge them and checkpoint.
Part of it (half, at most 16 MiB) is held for real in a ballast file, `<outbox>-reserve`:
when something else fills the disk to the last byte, marking and purging give the
ballast up, succeed, and it is taken again once there is room.

Two processes share the file (the kiosk seals, the forwarder marks delivered); every
write is one short transaction, never held across network I/O.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from outbox.errors import OutboxError, OutboxFull

if TYPE_CHECKING:  # sealing's cryptography is imported when sealing, not for `outbox status`
    from outbox.cose import Signer
    from outbox.keys import CentralPublicKey

log = logging.getLogger(__name__)
T = TypeVar("T")

GENESIS = bytes(32)  # the `prev` of seq 1 (as outbox.record.GENESIS)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    type TEXT NOT NULL,
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    sealed_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
    delivered_at REAL,
    hash BLOB
);
CREATE TABLE IF NOT EXISTS pending (seq INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS delivered (seq INTEGER PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dropped (seq INTEGER PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS purged (seq INTEGER PRIMARY KEY, hash BLOB NOT NULL);
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
# `records.hash` (the record hash, what the next record's prev holds) came with format v2:
# the chain's head is the last record's, so sealing writes no extra page for it. `chain`
# is what outboxes kept before; it is still read (for records sealed before the column).
# Added to `link` after the first release (an older outbox gets them on open): when the
# state began, and the last error with its time, kept while the link is up again.
_LINK_COLUMNS = {"since": "REAL", "error": "TEXT NOT NULL DEFAULT ''", "error_at": "REAL"}

_REMEASURE_AFTER_S = 1.0
WAL_LIMIT_BYTES = 4 * 1024**2  # checkpoint at about this size, and cut the WAL back to it
BALLAST_MAX_BYTES = 16 * 1024**2
_PURGE_SLICE = 200  # records per purge transaction


@dataclass(frozen=True)
class Identity:
    """Who seals: the kiosk, its post, its signing key and the central key."""

    kiosk: str
    post: str
    signing_key: Signer  # a key file's Ed25519PrivateKey, or a key in a token
    central: CentralPublicKey

    @cached_property
    def kid(self) -> bytes:  # once: it hashes the public key (a token round trip for some)
        from outbox.keys import kid

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
    link: str  # "up", "down" or "unknown" (as the forwarder last saw it)
    link_detail: str
    link_since: float | None = None  # when the link went into this state
    link_seen_at: float | None = None  # when the forwarder last looked
    last_error: str = ""
    last_error_at: float | None = None
    header_only: int = 0  # delivered records whose body was dropped after the retention

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
            "link_since": self.link_since,
            "link_seen_at": self.link_seen_at,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "header_only": self.header_only,
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
            self._page_size = self._db.execute("PRAGMA page_size").fetchone()[0]
            self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_LIMIT_BYTES // self._page_size}")
            self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            with self._write() as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
                first_schema = "records" in tables and "pending" not in tables
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                if first_schema:
                    db.execute(
                        "INSERT INTO pending SELECT seq FROM records WHERE state = 'pending'"
                    )
                    db.execute(
                        "INSERT INTO delivered SELECT seq, coalesce(delivered_at, sealed_at) "
                        "FROM records WHERE state = 'delivered'"
                    )
                    db.execute("DROP INDEX IF EXISTS records_state")
                if "hash" not in {row[1] for row in db.execute("PRAGMA table_info(records)")}:
                    db.execute("ALTER TABLE records ADD COLUMN hash BLOB")
                columns = {row[1] for row in db.execute("PRAGMA table_info(link)")}
                for name, kind in _LINK_COLUMNS.items():
                    if name not in columns:
                        db.execute(f"ALTER TABLE link ADD COLUMN {name} {kind}")
        except sqlite3.DatabaseError as exc:
            raise OutboxError(f"outbox {path} cannot be opened: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self, what: str = "nothing was written") -> Iterator[sqlite3.Connection]:
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
                        f"the disk holding {self.path} is full: {what}; free room on that "
                        "disk (the outbox loses nothing it had)"
                    ) from None
                raise

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- sealing ---------------------------------------------------------------------
    def _measure(self) -> tuple[int, int]:
        """(bytes the outbox takes on disk, bytes free for it beyond the reserve).

        What SQLite may still take counts as taken: the WAL may grow to its limit, and what
        it holds is copied into the database at the next checkpoint (up to the limit
        again). Free pages inside the database count as free: new records reuse them.
        """
        wal = _size(self.path.with_name(self.path.name + "-wal"))
        used = self.path.stat().st_size + wal
        reusable = self._db.execute("PRAGMA freelist_count").fetchone()[0] * self._page_size
        pending_growth = max(0, WAL_LIMIT_BYTES - wal) + max(wal, WAL_LIMIT_BYTES)
        free = shutil.disk_usage(self.path.parent).free - pending_growth + reusable
        return used - reusable, free - self.reserve_bytes

    def _check_room(self, incoming: int) -> None:
        """Refuse a record that would pass the quota or eat into the disk's reserve.

        Measuring the files and the disk costs about as much as the INSERT, so after a
        measurement records are let through unmeasured while they add up to a quarter of
        the room it found, for at most a second (other writers share the disk). Near the
        limit that quarter shrinks to nothing and every record is measured.
        """
        self._unmeasured += incoming
        if (
            self._unmeasured <= self._room / 4
            and time.monotonic() - self._measured_at < _REMEASURE_AFTER_S
        ):
            return
        used, free = self._measure()
        if used + incoming > self.quota_bytes:
            raise OutboxFull(
                f"outbox quota reached ({_human(used)} of {_human(self.quota_bytes)}): "
                "nothing was sealed; get records forwarded ('kiosk forward --once', or a "
                "'dir' export) so they can be purged"
            )
        if free - incoming < 0:
            raise OutboxFull(
                f"the disk of {self.path} is nearly full: {_human(max(0, free))} free beyond "
                f"the {_human(self.reserve_bytes)} kept in reserve for the forwarder; nothing "
                "was sealed; get records forwarded so they can be purged, or free room on "
                "that disk"
            )
        self._room = min(self.quota_bytes - used, free) - incoming
        self._unmeasured = 0
        self._measured_at = time.monotonic()
        self.keep_ballast()

    @property
    def ballast_path(self) -> Path:
        return self.path.with_name(self.path.name + "-reserve")

    def _ballast_size(self) -> int:
        return max(0, min(self.reserve_bytes // 2, BALLAST_MAX_BYTES))

    def keep_ballast(self) -> None:
        """Take the ballast (again) when the disk has room for it beyond the reserve."""
        size = self._ballast_size()
        if not size or _size(self.ballast_path) >= size:
            return
        if shutil.disk_usage(self.path.parent).free < self.reserve_bytes + size:
            return
        try:
            fd = os.open(self.ballast_path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, size)
            finally:
                os.close(fd)
        except OSError:
            self.ballast_path.unlink(missing_ok=True)

    def _with_ballast_given_up(self, operation: Callable[[], T]) -> T:
        """Run a write the forwarder must be able to do; on a full disk, give up the
        ballast and try once more."""
        try:
            return operation()
        except OutboxFull:
            if not self.ballast_path.exists():
                raise
            self.ballast_path.unlink(missing_ok=True)
            log.warning("the disk of %s is full: gave up the outbox's ballast", self.path)
            return operation()

    def room_is_low(self) -> bool:
        """True when less than the reserve is left beyond the reserve (time to purge)."""
        with self._lock:
            used, free = self._measure()
        return free < self.reserve_bytes or used > self.quota_bytes * 0.9

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
        from outbox.record import Header, boot_id, monotonic_ns, now_ms, seal_and_hash, uuid7

        items = list(items)
        with self._write("nothing was sealed") as db:
            seq, prev = _head_in(db)
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
                data, record_hash = seal_and_hash(
                    header, body, identity.central, identity.signing_key, identity.kid
                )
                self._check_room(len(data))
                db.execute(
                    "INSERT INTO records (seq, id, type, data, size, sealed_at, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, header.record_id, record_type, data, len(data), time.time(), record_hash),
                )
                db.execute("INSERT INTO pending (seq) VALUES (?)", (seq,))
                prev = record_hash
                sealed.append(Sealed(header.record_id, seq, data))
        return sealed

    # -- forwarding ------------------------------------------------------------------
    def pending(
        self, limit: int = 100, after_seq: int = 0, max_bytes: int | None = None
    ) -> list[Pending]:
        """The oldest pending records after `after_seq`: at most `limit`, and no more than
        `max_bytes` together (but always at least one)."""
        batch: list[Pending] = []
        total = 0
        with self._lock:
            cursor = self._db.execute(
                "SELECT p.seq, r.id, r.data FROM pending p JOIN records r ON r.seq = p.seq "
                "WHERE p.seq > ? ORDER BY p.seq LIMIT ?",
                (after_seq, limit),
            )
            try:
                for seq, record_id, data in cursor:
                    if batch and max_bytes is not None and total + len(data) > max_bytes:
                        break
                    batch.append(Pending(seq, record_id, data))
                    total += len(data)
            finally:
                cursor.close()
        return batch

    def mark_delivered(self, record_ids: Iterable[bytes]) -> int:
        """Mark acknowledged records delivered; a few bytes each, so it works on a full disk."""
        ids = list(record_ids)
        if not ids:
            return 0
        return self._with_ballast_given_up(lambda: self._mark(ids))

    def _mark(self, ids: list[bytes]) -> int:
        now = time.time()
        marked = 0
        with self._write(
            "records could not be marked delivered (they stay pending and go again)"
        ) as db:
            for record_id in ids:
                row = db.execute(
                    "SELECT p.seq FROM records r JOIN pending p ON p.seq = r.seq WHERE r.id = ?",
                    (record_id,),
                ).fetchone()
                if row is None:
                    continue
                db.execute("DELETE FROM pending WHERE seq = ?", row)
                db.execute("INSERT INTO delivered (seq, at) VALUES (?, ?)", (row[0], now))
                marked += 1
        return marked

    def purge(self, retention_seconds: float, zero_freed: bool = True) -> int:
        """Drop the bodies of records delivered longer ago than the retention period
        (never a pending one's), keeping their signed headers, then checkpoint so the WAL
        gives its room back. Returns how many records lost their body.

        SQLite overwrites freed pages with zeros (Debian builds it with secure_delete on),
        which writes every purged byte again. On a full disk that cannot be afforded:
        `zero_freed=False` zeroes only what costs no extra writes (secure_delete=FAST);
        the rest of those pages (encrypted bodies) goes with reuse.
        """
        cutoff = time.time() - retention_seconds
        with self._lock:
            before = self._db.execute("PRAGMA secure_delete").fetchone()[0]
            if not zero_freed:
                self._db.execute("PRAGMA secure_delete=FAST")
        purged = 0
        try:
            while True:  # in slices: a write transaction stays short, whatever the backlog
                done = self._with_ballast_given_up(lambda: self._purge(cutoff))
                purged += done
                if done < _PURGE_SLICE:
                    break
        finally:
            with self._lock:
                self._db.execute(f"PRAGMA secure_delete={int(before)}")
        if purged:
            self.checkpoint()
        return purged

    def _purge(self, cutoff: float) -> int:
        from outbox.errors import RecordError
        from outbox.record import read_header, record_hash, without_body

        now = time.time()
        with self._write("delivered records could not be purged") as db:
            rows = db.execute(
                "SELECT r.seq, r.data FROM delivered d JOIN records r ON r.seq = d.seq "
                "WHERE d.at <= ? AND d.seq NOT IN (SELECT seq FROM dropped) "
                "ORDER BY d.seq LIMIT ?",
                (cutoff, _PURGE_SLICE),
            ).fetchall()
            for seq, data in rows:
                try:
                    record = read_header(data)
                    stripped = without_body(record)
                except RecordError:  # v1: signed with its body; gone whole, its hash kept
                    db.execute(
                        "INSERT OR REPLACE INTO purged (seq, hash) VALUES (?, ?)",
                        (seq, record_hash(data)),
                    )
                    db.execute("DELETE FROM records WHERE seq = ?", (seq,))
                    db.execute("DELETE FROM delivered WHERE seq = ?", (seq,))
                    continue
                db.execute(
                    "UPDATE records SET data = ?, size = ? WHERE seq = ?",
                    (stripped, len(stripped), seq),
                )
                db.execute("INSERT INTO dropped (seq, at) VALUES (?, ?)", (seq, now))
            return len(rows)

    def checkpoint(self) -> None:
        """Copy the WAL into the database and cut the WAL back (best effort: a reader may
        hold it; SQLite retries at its next automatic checkpoint)."""
        with self._lock, suppress(sqlite3.OperationalError):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def set_link(self, state: str, detail: str = "") -> None:
        """The forwarder's view of the link, for `outbox status` and the UI's status bar.

        `since` moves only when the state changes; a "down" detail is also kept as the last
        error, which stays visible after the link is up again.
        """
        now = time.time()
        error, error_at = (detail, now) if state == "down" else (None, None)
        with self._write("the link state was not recorded") as db:
            db.execute(
                "INSERT INTO link (one, state, detail, at, since, error, error_at) "
                "VALUES (1, ?, ?, ?, ?, coalesce(?, ''), ?) "
                "ON CONFLICT (one) DO UPDATE SET "
                "since = CASE WHEN link.state = excluded.state THEN link.since "
                "ELSE excluded.since END, "
                "state = excluded.state, detail = excluded.detail, at = excluded.at, "
                "error = coalesce(?, link.error), error_at = coalesce(?, link.error_at)",
                (state, detail, now, now, error, error_at, error, error_at),
            )

    def head(self) -> tuple[int, bytes]:
        """The last sealed sequence number and its record hash (the chain's head)."""
        with self._lock:
            return _head_in(self._db)

    # -- figures ---------------------------------------------------------------------
    def status(self) -> Status:
        pending, pending_bytes, oldest = self._read(
            "SELECT count(*), coalesce(sum(r.size), 0), min(r.sealed_at) "
            "FROM pending p JOIN records r ON r.seq = p.seq"
        )[0]
        delivered, last_delivered = self._read("SELECT count(*), max(at) FROM delivered")[0]
        header_only = self._read("SELECT count(*) FROM dropped")[0][0]
        last_seq = self.head()[0]
        link = self._read(
            "SELECT state, detail, since, at, error, error_at FROM link WHERE one = 1"
        )
        return Status(
            pending=pending,
            pending_bytes=pending_bytes,
            oldest_pending_age=(time.time() - oldest) if oldest else None,
            delivered=delivered,
            last_seq=last_seq,
            last_delivered_at=last_delivered,
            link=link[0][0] if link else "unknown",
            link_detail=link[0][1] if link else "",
            link_since=link[0][2] if link else None,
            link_seen_at=link[0][3] if link else None,
            last_error=link[0][4] if link else "",
            last_error_at=link[0][5] if link else None,
            header_only=header_only,
        )

    _LISTED = (
        "SELECT r.seq, r.id, r.type, r.size, "
        "CASE WHEN d.seq IS NULL THEN 'pending' ELSE 'delivered' END AS state, "
        "r.sealed_at, d.at FROM records r LEFT JOIN delivered d ON d.seq = r.seq"
    )

    def records(
        self, state: str | None = None, limit: int | None = None
    ) -> list[tuple[int, bytes, str, int, str, float, float | None]]:
        """seq, id, type, size, state, sealed_at, delivered_at; newest last."""
        sql = f"SELECT * FROM ({self._LISTED})"
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
        sql = "SELECT r.seq, r.data FROM records r"
        if state == "pending":
            sql += " JOIN pending p ON p.seq = r.seq"
        elif state == "delivered":
            sql += " JOIN delivered d ON d.seq = r.seq"
        yield from self._read(sql + " ORDER BY r.seq")

    def chain_rows(self, batch: int = 1000) -> Iterator[tuple[int, bytes]]:
        """seq and bytes of every record kept (bodies or not), in sequence order, read in
        slices so a long outbox is never all in memory."""
        after = 0
        while True:
            rows = self._read(
                "SELECT seq, data FROM records WHERE seq > ? ORDER BY seq LIMIT ?", (after, batch)
            )
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def purged_hashes(self) -> dict[int, bytes]:
        """seq -> record hash of the v1 records deleted whole after their retention."""
        return dict(self._read("SELECT seq, hash FROM purged"))


def _head_in(db: sqlite3.Connection) -> tuple[int, bytes]:
    """The chain's head: the newest of the last record, the last record purged whole, and
    what `chain` held before records carried their hash."""
    best = (0, GENESIS)
    for sql in (
        "SELECT seq, hash FROM chain WHERE one = 1",
        "SELECT seq, hash FROM purged ORDER BY seq DESC LIMIT 1",
    ):
        row = db.execute(sql).fetchone()
        if row and row[0] > best[0]:
            best = (row[0], row[1])
    row = db.execute(
        "SELECT seq, hash, CASE WHEN hash IS NULL THEN data END FROM records "
        "ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    if row and row[0] > best[0]:
        if row[1] is not None:
            return row[0], row[1]
        from outbox.record import read_header

        return row[0], read_header(row[2]).hash
    return best


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _human(size: int) -> str:
    if size >= 10 * 1024**2:
        return f"{size // 1024**2} MiB"
    if size >= 10 * 1024:
        return f"{size // 1024} KiB"
    return f"{size} bytes"
