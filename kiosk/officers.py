"""Officer accounts: who may log in to the kiosk UI, with which role.

PINs are hashed with scrypt (stdlib `hashlib.scrypt`) and a per-account random salt; a run
of wrong PINs locks the account for a while; a technician can disable an account or reset
its PIN. Accounts live in a small SQLite file in the state directory (WAL, FULL sync).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from kiosk import KioskError

# scrypt cost: about 50 ms on a small kiosk CPU, 16 MiB of memory.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_PIN = re.compile(r"\d{4,12}")


class Role(Enum):
    OFFICER = "officer"
    TECHNICIAN = "technician"


class LoginError(KioskError):
    """A login refused: wrong PIN, locked, disabled or unknown account."""


@dataclass(frozen=True)
class Officer:
    officer_id: str
    name: str
    role: Role
    disabled: bool
    failures: int
    locked_until: float

    def locked(self, now: float) -> bool:
        return self.locked_until > now

    def to_dict(self, now: float | None = None) -> dict[str, object]:
        now = time.time() if now is None else now
        return {
            "id": self.officer_id,
            "name": self.name,
            "role": self.role.value,
            "disabled": self.disabled,
            "locked": self.locked(now),
            "failures": self.failures,
        }


def hash_pin(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024
    )


def check_pin_format(pin: str) -> None:
    if not _PIN.fullmatch(pin):
        raise KioskError("a PIN is 4 to 12 digits")


class OfficerStore:
    """The accounts file. Every method is one short transaction."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._now = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(
                """CREATE TABLE IF NOT EXISTS officers (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('officer', 'technician')),
                    salt BLOB NOT NULL,
                    pin_hash BLOB NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    failures INTEGER NOT NULL DEFAULT 0,
                    locked_until REAL NOT NULL DEFAULT 0
                )"""
            )
        path.chmod(0o600)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def add(self, officer_id: str, name: str, role: Role, pin: str) -> Officer:
        if not _ID.fullmatch(officer_id):
            raise KioskError(
                f"officer id {officer_id!r}: use 1-32 letters, digits, '.', '_' or '-'"
            )
        check_pin_format(pin)
        salt = secrets.token_bytes(16)
        with self._db() as db:
            try:
                db.execute(
                    "INSERT INTO officers (id, name, role, salt, pin_hash) VALUES (?, ?, ?, ?, ?)",
                    (officer_id, name, role.value, salt, hash_pin(pin, salt)),
                )
            except sqlite3.IntegrityError:
                raise KioskError(f"officer {officer_id!r} already exists") from None
        return self.get(officer_id)

    def get(self, officer_id: str) -> Officer:
        with self._db() as db:
            row = db.execute(
                "SELECT id, name, role, disabled, failures, locked_until FROM officers WHERE id=?",
                (officer_id,),
            ).fetchone()
        if row is None:
            raise KioskError(f"no officer {officer_id!r}; see 'kiosk provision officer list'")
        return Officer(row[0], row[1], Role(row[2]), bool(row[3]), row[4], row[5])

    def list(self) -> list[Officer]:
        with self._db() as db:
            rows = db.execute(
                "SELECT id, name, role, disabled, failures, locked_until FROM officers ORDER BY id"
            ).fetchall()
        return [Officer(r[0], r[1], Role(r[2]), bool(r[3]), r[4], r[5]) for r in rows]

    def disable(self, officer_id: str) -> None:
        self.get(officer_id)
        with self._db() as db:
            db.execute("UPDATE officers SET disabled=1 WHERE id=?", (officer_id,))

    def enable(self, officer_id: str) -> None:
        self.get(officer_id)
        with self._db() as db:
            db.execute("UPDATE officers SET disabled=0 WHERE id=?", (officer_id,))

    def reset_pin(self, officer_id: str, pin: str) -> None:
        """A new PIN; also clears a lockout (the technician has seen the officer)."""
        self.get(officer_id)
        check_pin_format(pin)
        salt = secrets.token_bytes(16)
        with self._db() as db:
            db.execute(
                "UPDATE officers SET salt=?, pin_hash=?, failures=0, locked_until=0 WHERE id=?",
                (salt, hash_pin(pin, salt), officer_id),
            )

    def login(self, officer_id: str, pin: str) -> Officer:
        """The officer, if the PIN is right and the account usable; else `LoginError`.

        The hash is computed even for unknown ids so timing does not reveal which exist;
        a failure is counted (and committed) before the error is raised.
        """
        now = self._now()
        refusal = ""
        with self._db() as db:
            row = db.execute(
                "SELECT salt, pin_hash, disabled, failures, locked_until FROM officers WHERE id=?",
                (officer_id,),
            ).fetchone()
            salt, stored = (row[0], row[1]) if row else (b"\0" * 16, b"")
            matches = hmac.compare_digest(hash_pin(pin, salt), stored)
            if row is None:
                refusal = "unknown officer id or wrong PIN"
            elif row[2]:
                refusal = f"account {officer_id!r} is disabled; ask a technician"
            elif row[4] > now:
                minutes = max(1, round((row[4] - now) / 60))
                refusal = f"account {officer_id!r} is locked for {minutes} more minute(s)"
            elif not matches:
                failures = row[3] + 1
                locked = failures >= MAX_FAILURES
                db.execute(
                    "UPDATE officers SET failures=?, locked_until=? WHERE id=?",
                    (0 if locked else failures, now + LOCKOUT_SECONDS if locked else 0, officer_id),
                )
                refusal = (
                    f"wrong PIN {MAX_FAILURES} times: account {officer_id!r} is locked "
                    f"for {LOCKOUT_SECONDS // 60} minutes"
                    if locked
                    else "unknown officer id or wrong PIN"
                )
            else:
                db.execute("UPDATE officers SET failures=0 WHERE id=?", (officer_id,))
        if refusal:
            raise LoginError(refusal)
        return self.get(officer_id)
