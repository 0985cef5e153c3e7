"""The current list in SQLite, with the indexes matching needs.

- `entries`: one row per listed document or person, with the name's MRZ-form parts
  precomputed (`parts`: surname parts, "|", given parts) so a check does no transliteration
  of listed names; a partial index on the normalised document number.
- `name_keys(k, id, birth)`: the blocking keys of every person (64-bit hashes of skeleton
  pairs and of skeleton + birth year, see alerts.names) with the person's date of birth; a
  covering index on (k, id, birth) answers "who shares a key with this traveller and was
  born on a date that could still score a hit" without touching `entries`.
- `part_counts(part, n)`: how many listed persons carry each name part (MRZ form), so a
  check can tell a rare name from a common one by the list itself.
- `meta`: version, when it was signed, when its signature runs out, the last sync.

A full list is built in a new file and renamed over the old one, so a failed load leaves
the list in use untouched; a delta is one transaction. Readers notice the rename (inode)
and reopen; until then they read the old file, which stays whole (rollback journal, no
WAL beside it to be replayed into the new file).
"""

from __future__ import annotations

import datetime as dt
import operator
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alerts.entries import COLUMNS, Entry, parse_birth
from alerts.errors import AlertsError, ListError
from alerts.names import Name, pair_keys, year_keys

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    list_id TEXT NOT NULL, reference TEXT NOT NULL, category TEXT NOT NULL,
    action TEXT NOT NULL, doc_type TEXT NOT NULL, doc_state TEXT NOT NULL,
    doc_number TEXT NOT NULL, surname TEXT NOT NULL, given_names TEXT NOT NULL,
    birth_date TEXT NOT NULL, nationality TEXT NOT NULL, sex TEXT NOT NULL,
    note TEXT NOT NULL, parts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS name_keys (
    k INTEGER NOT NULL, id INTEGER NOT NULL, birth TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS part_counts (
    part TEXT PRIMARY KEY, n INTEGER NOT NULL
) WITHOUT ROWID;
"""
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS entries_key ON entries (list_id, reference);
CREATE INDEX IF NOT EXISTS entries_doc ON entries (doc_number) WHERE doc_number != '';
CREATE INDEX IF NOT EXISTS name_keys_k ON name_keys (k, id, birth);
"""
_INSERT = (
    f"INSERT INTO entries (id, {', '.join(COLUMNS)}, parts) VALUES "
    f"({', '.join('?' * (len(COLUMNS) + 2))})"
)


_cells = operator.attrgetter(*COLUMNS)


def entry_keys(name: Name, birth_date: str) -> set[int]:
    """Every blocking key of one listed person."""
    parts = name.parts
    if not parts:
        return set()
    birth = parse_birth(birth_date)
    if not birth:
        return pair_keys(parts, [0])
    return pair_keys(parts, [birth[0]]) | year_keys(parts, [birth[0]])


def _parts(entry: Entry) -> tuple[Name | None, str]:
    if entry.category != "person":
        return None, ""
    name = Name.of(entry.surname, entry.given_names)
    return name, " ".join(name.surname) + "|" + " ".join(name.given)


def parts_name(parts: str) -> Name:
    surname, _, given = parts.partition("|")
    return Name(tuple(surname.split()), tuple(given.split()))


@dataclass(frozen=True)
class StoreStatus:
    """What `kiosk alerts status` shows; `stale` says why the list cannot be trusted as
    current (None when it can)."""

    path: str
    version: int | None
    entries: int
    signed_at: str | None
    expires: str | None
    last_sync: str | None
    last_attempt: str | None
    last_error: str | None
    stale: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


class Store:
    """The list on disk. Safe to read from one process while another updates it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._inode = 0
        self._persons: tuple[int, int] | None = None  # (inode, persons) of an old store

    # -- connection ---------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, reopened when a full load renamed a new file over the old one."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = 0
        if self._conn is None or inode != self._inode:
            if self._conn is not None:
                self._conn.close()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                # a rollback journal, not WAL: a full load renames a new file over this
                # one, and a WAL file left beside the old one would be replayed into it
                conn.execute("PRAGMA journal_mode=DELETE")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA busy_timeout=5000")
                conn.execute("PRAGMA cache_size=-8000")  # 8 MB: the index pages a check touches
                conn.executescript(SCHEMA + INDEXES)
            except sqlite3.DatabaseError as exc:
                raise AlertsError(f"{self.path}: not a usable alert list store: {exc}") from None
            self._conn = conn
            self._inode = os.stat(self.path).st_ino
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- meta ---------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    def set_meta(self, **values: str | int | None) -> None:
        with _transaction(self.conn):
            self._write_meta(self.conn, values)

    @staticmethod
    def _write_meta(conn: sqlite3.Connection, values: dict[str, str | int | None]) -> None:
        for key, value in values.items():
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, str(value)),
                )

    @property
    def version(self) -> int | None:
        value = self.meta().get("version")
        return int(value) if value else None

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM entries").fetchone()[0])

    def status(self, max_age: dt.timedelta, now: dt.datetime | None = None) -> StoreStatus:
        """The list's state; stale when missing, when its signed timestamp ran out, or when
        no update succeeded for `max_age` (an attacker may be blocking them)."""
        now = now or _now()
        meta = self.meta()
        version = int(meta["version"]) if meta.get("version") else None
        stale = None
        if version is None:
            stale = "no alert list has been loaded"
        elif meta.get("expires") and _parse_iso(meta["expires"]) <= now:
            stale = f"the list's signature expired at {meta['expires']}"
        elif meta.get("last_sync") and now - _parse_iso(meta["last_sync"]) > max_age:
            stale = f"no successful update since {meta['last_sync']}"
        return StoreStatus(
            path=str(self.path),
            version=version,
            entries=self.count(),
            signed_at=meta.get("signed_at"),
            expires=meta.get("expires"),
            last_sync=meta.get("last_sync"),
            last_attempt=meta.get("last_attempt"),
            last_error=meta.get("last_error"),
            stale=stale,
        )

    # -- loading ------------------------------------------------------------------------
    def replace(self, entries: Iterable[Entry], meta: dict[str, str | int | None]) -> int:
        """Load a full list into a new file and rename it over the current one. Returns the
        number of entries; on any error the current list stays as it was."""
        new = self.path.with_name(self.path.name + ".new")
        new.unlink(missing_ok=True)
        conn = sqlite3.connect(new, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA cache_size=-16000")
            conn.executescript(SCHEMA)
            conn.execute("BEGIN")
            count = self._insert(conn, entries, first_id=1)
            keep = {k: v for k, v in self.meta().items() if k.startswith("last_")}
            self._write_meta(conn, {**keep, **meta})
            conn.execute("COMMIT")
            conn.executescript(INDEXES)
        except sqlite3.IntegrityError as exc:
            conn.close()
            new.unlink(missing_ok=True)
            raise ListError(
                f"the list has two entries with one (list_id, reference): {exc}"
            ) from None
        except BaseException:
            conn.close()
            new.unlink(missing_ok=True)
            raise
        conn.close()
        with open(new, "rb+") as handle:
            os.fsync(handle.fileno())
        self.close()
        os.replace(new, self.path)
        _fsync_dir(self.path.parent)
        return count

    @staticmethod
    def _insert(conn: sqlite3.Connection, entries: Iterable[Entry], first_id: int) -> int:
        """Insert entries, their keys and their name parts' counts in chunks (bounded memory
        for a million rows; the counts are one small dict of distinct parts)."""
        count = 0
        parts_seen: Counter[str] = Counter()
        persons = 0
        rows: list[tuple[Any, ...]] = []
        keys: list[tuple[int, int, str]] = []
        next_id = first_id

        def flush() -> None:
            conn.executemany(_INSERT, rows)
            conn.executemany("INSERT INTO name_keys (k, id, birth) VALUES (?, ?, ?)", keys)
            rows.clear()
            keys.clear()

        for entry in entries:
            name, parts = _parts(entry)
            rows.append((next_id, *_cells(entry), parts))
            if name is not None:
                birth = entry.birth_date
                keys.extend((k, next_id, birth) for k in entry_keys(name, birth))
                parts_seen.update(set(name.parts))
                persons += 1
            next_id += 1
            count += 1
            if len(rows) >= 20000:
                flush()
        flush()
        _count_parts(conn, parts_seen.items(), persons)
        return count

    def apply_delta(
        self, changes: Iterable[tuple[str, Entry]], base: int, meta: dict[str, str | int | None]
    ) -> tuple[int, int]:
        """Apply (op, entry) changes made against list version `base` in one transaction.
        Returns (upserted, deleted)."""
        conn = self.conn
        upserted = deleted = 0
        with _transaction(conn):
            current = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if current is None or int(current[0]) != base:
                raise ListError(
                    f"the delta applies to version {base}, the store holds "
                    f"{current[0] if current else 'none'}"
                )
            next_id = int(
                conn.execute("SELECT coalesce(max(id), 0) + 1 FROM entries").fetchone()[0]
            )
            for op, entry in changes:
                if self._delete(conn, entry.list_id, entry.reference):
                    deleted += op == "delete"
                if op == "upsert":
                    self._insert(conn, [entry], next_id)
                    next_id += 1
                    upserted += 1
            self._write_meta(conn, meta)
        return upserted, deleted

    @staticmethod
    def _delete(conn: sqlite3.Connection, list_id: str, reference: str) -> bool:
        row = conn.execute(
            "SELECT id, parts, birth_date, category FROM entries "
            "WHERE list_id = ? AND reference = ?",
            (list_id, reference),
        ).fetchone()
        if row is None:
            return False
        entry_id, parts, birth, category = row
        if category == "person":
            name = parts_name(parts)
            keys = entry_keys(name, birth)
            conn.executemany(
                "DELETE FROM name_keys WHERE k = ? AND id = ?", [(k, entry_id) for k in keys]
            )
            _count_parts(conn, ((part, -1) for part in set(name.parts)), -1)
        conn.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
        return True

    # -- reading ------------------------------------------------------------------------
    def part_counts(self, parts: Iterable[str]) -> dict[str, int]:
        """How many listed persons carry each of these name parts (absent: 0)."""
        wanted = sorted(set(parts))
        if not wanted:
            return {}
        rows = self.conn.execute(
            f"SELECT part, n FROM part_counts WHERE part IN ({', '.join('?' * len(wanted))})",
            wanted,
        ).fetchall()
        return dict(rows)

    def persons(self) -> int:
        """Listed persons (the denominator of a name part's frequency)."""
        conn = self.conn
        row = conn.execute("SELECT value FROM meta WHERE key = 'persons'").fetchone()
        if row is not None:
            return int(row[0])
        # a store loaded before counts were kept (its parts count as rare until the next
        # full list): count once per file, not per check
        if self._persons is None or self._persons[0] != self._inode:
            counted = conn.execute("SELECT count(*) FROM entries WHERE category = 'person'")
            self._persons = (self._inode, int(counted.fetchone()[0]))
        return self._persons[1]

    def entries(self) -> Iterator[Entry]:
        cursor = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM entries ORDER BY id")
        for row in cursor:
            yield Entry(*row)


def _count_parts(conn: sqlite3.Connection, counts: Iterable[tuple[str, int]], persons: int) -> None:
    """Add to the listed persons' name-part counts and to the persons' total."""
    rows = [(part, n) for part, n in counts if n]
    conn.executemany(
        "INSERT INTO part_counts (part, n) VALUES (?, ?) "
        "ON CONFLICT (part) DO UPDATE SET n = n + excluded.n",
        rows,
    )
    if persons:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('persons', ?) ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER)",
            (str(persons),),
        )


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if kind else "COMMIT")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
