"""Officer accounts: who may log in to the kiosk UI, with which role.

PINs (6 to 12 digits) are hashed with scrypt (stdlib `hashlib.scrypt`) and a per-account
random salt, then keyed with HMAC-SHA256 under a **pepper**: a secret held outside the
database (`/etc/border-kiosk/pin-pepper`, or a systemd credential `pin-pepper`), so a
stolen `officers.db` alone cannot be searched offline. A run of wrong PINs locks the
account, each further lockout twice as long (15 minutes, 30, 1 hour ... at most a day)
until a right PIN or a technician's reset. A technician can disable an account or reset
its PIN. Accounts live in a small SQLite file in the state directory (WAL, FULL sync).

A refused login raises `LoginError` carrying what happened (`event`), so the UI can seal
an audit record of every failure and lockout.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import KioskError

if TYPE_CHECKING:
    from kiosk.config import Config

# scrypt cost: about 50 ms on a small kiosk CPU, 16 MiB of memory.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60  # the first lockout; each further one doubles it
MAX_LOCKOUT_SECONDS = 24 * 3600
PIN_MIN, PIN_MAX = 6, 12
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_PIN = re.compile(rf"\d{{{PIN_MIN},{PIN_MAX}}}")
PEPPER_CREDENTIAL = "pin-pepper"  # systemd LoadCredential= name
# Hash schemes of the pin_hash column: 0 scrypt alone (before the pepper; upgraded at the
# next right PIN), 1 HMAC-SHA256(pepper, scrypt).
LEGACY, PEPPERED = 0, 1


class Role(Enum):
    OFFICER = "officer"
    TECHNICIAN = "technician"


class LoginEvent(Enum):
    """What a refused login was, for the audit record the UI seals."""

    UNKNOWN_OFFICER = "unknown officer"  # the officer sees the wrong-PIN message
    WRONG_PIN = "wrong PIN"
    LOCKED_OUT = "wrong PIN, account locked"  # this failure started a lockout
    LOCKED = "login while locked"
    DISABLED = "login to a disabled account"


class LoginError(KioskError):
    """A login refused: wrong PIN, locked, disabled or unknown account. The message is
    what the officer sees; `event`, `failures` and `locked_until` are for the audit."""

    def __init__(
        self,
        message: str,
        *,
        officer_id: str,
        event: LoginEvent,
        failures: int = 0,
        locked_until: float = 0.0,
    ) -> None:
        super().__init__(message)
        self.officer_id = officer_id
        self.event = event
        self.failures = failures
        self.locked_until = locked_until

    def audit(self) -> dict[str, object]:
        """The audit record's body (no PIN, ever)."""
        return {
            "event": "login refused",
            "reason": self.event.value,
            "officer": self.officer_id,
            "failures": self.failures,
            "locked_until_ms": int(self.locked_until * 1000) if self.locked_until else None,
        }


class PepperError(KioskError):
    """The pepper is missing or unreadable: no PIN can be checked or set."""


def load_pepper(path: Path) -> bytes:
    """The pepper: the systemd credential `pin-pepper` when the service has one, else the
    file at `path` (`[keys] pin_pepper`, default next to the configuration)."""
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / PEPPER_CREDENTIAL).is_file():
        path = Path(credentials) / PEPPER_CREDENTIAL
    try:
        data = path.read_bytes().strip()
    except FileNotFoundError:
        raise PepperError(
            f"PIN pepper {path} does not exist; 'kiosk provision init' creates it "
            "(or: kiosk provision pepper)"
        ) from None
    except OSError as exc:
        raise PepperError(f"PIN pepper {path} cannot be read: {exc.strerror}") from None
    if len(data) < 32:
        raise PepperError(f"PIN pepper {path} is too short (at least 32 characters)")
    return data


def create_pepper(path: Path) -> None:
    """A new random pepper (64 hex characters), mode 0640 from the start; refuses to
    overwrite one (every PIN hashed under it would stop working)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
        out.flush()
        os.fsync(out.fileno())


def lockout_seconds(lockouts: int) -> float:
    """The length of the n-th lockout in a row (1-based): 15 min, doubling, at most 24 h."""
    return float(min(MAX_LOCKOUT_SECONDS, LOCKOUT_SECONDS * 2 ** max(0, lockouts - 1)))


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


def hash_pin(pin: str, salt: bytes, pepper: bytes | None = None) -> bytes:
    """scrypt of the PIN; keyed with the pepper unless `pepper` is None (legacy rows)."""
    stretched = hashlib.scrypt(
        pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024
    )
    return stretched if pepper is None else hmac.new(pepper, stretched, "sha256").digest()


def check_pin_format(pin: str) -> None:
    if not _PIN.fullmatch(pin):
        raise KioskError(f"a PIN is {PIN_MIN} to {PIN_MAX} digits")


class OfficerStore:
    """The accounts file. Every method is one short transaction."""

    def __init__(
        self, path: Path, *, pepper: bytes | None, clock: Callable[[], float] = time.time
    ) -> None:
        """`pepper` None: listing, disabling and enabling only (no PIN is hashed)."""
        self.path = path
        self._pepper = pepper
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
            columns = {row[1] for row in db.execute("PRAGMA table_info(officers)")}
            for column in ("lockouts", "scheme"):  # added with the pepper
                if column not in columns:
                    db.execute(
                        f"ALTER TABLE officers ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"
                    )
        path.chmod(0o600)

    @classmethod
    def for_config(cls, config: Config, **kwargs: Any) -> OfficerStore:
        """The kiosk's accounts file with its pepper, as the configuration places them."""
        return cls(config.officers_path, pepper=load_pepper(config.pin_pepper), **kwargs)

    def _needs_pepper(self) -> bytes:
        if self._pepper is None:
            raise PepperError("no PIN pepper given: PINs can be neither set nor checked")
        return self._pepper

    def _hash(self, pin: str, salt: bytes) -> bytes:
        return hash_pin(pin, salt, self._needs_pepper())

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
        pin_hash = self._hash(pin, salt)
        with self._db() as db:
            try:
                db.execute(
                    "INSERT INTO officers (id, name, role, salt, pin_hash, scheme) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (officer_id, name, role.value, salt, pin_hash, PEPPERED),
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
                "UPDATE officers SET salt=?, pin_hash=?, scheme=?, failures=0, lockouts=0, "
                "locked_until=0 WHERE id=?",
                (salt, self._hash(pin, salt), PEPPERED, officer_id),
            )

    def login(self, officer_id: str, pin: str) -> Officer:
        """The officer, if the PIN is right and the account usable; else `LoginError`
        (its `event` says which refusal, for the audit record).

        The hash is computed even for unknown ids so timing does not reveal which exist;
        a failure is counted (and committed) before the error is raised. Five wrong PINs
        in a row lock the account; each lockout since the last right PIN is twice as long.
        """
        now = self._now()
        refusal: LoginError | None = None
        with self._db() as db:
            row = db.execute(
                "SELECT salt, pin_hash, disabled, failures, locked_until, lockouts, scheme "
                "FROM officers WHERE id=?",
                (officer_id,),
            ).fetchone()
            salt, stored = (row[0], row[1]) if row else (b"\0" * 16, b"")
            legacy = row is not None and row[6] == LEGACY
            pepper = self._needs_pepper()
            matches = hmac.compare_digest(hash_pin(pin, salt, None if legacy else pepper), stored)
            wrong = "unknown officer id or wrong PIN"
            if row is None:
                refusal = LoginError(wrong, officer_id=officer_id, event=LoginEvent.UNKNOWN_OFFICER)
            elif row[2]:
                refusal = LoginError(
                    f"account {officer_id!r} is disabled; ask a technician",
                    officer_id=officer_id,
                    event=LoginEvent.DISABLED,
                )
            elif row[4] > now:
                minutes = max(1, round((row[4] - now) / 60))
                refusal = LoginError(
                    f"account {officer_id!r} is locked for {minutes} more minute(s)",
                    officer_id=officer_id,
                    event=LoginEvent.LOCKED,
                    failures=row[3],
                    locked_until=row[4],
                )
            elif not matches:
                failures, lockouts = row[3] + 1, row[5]
                locked_until = 0.0
                if failures >= MAX_FAILURES:
                    lockouts += 1
                    locked_until = now + lockout_seconds(lockouts)
                db.execute(
                    "UPDATE officers SET failures=?, lockouts=?, locked_until=? WHERE id=?",
                    (0 if locked_until else failures, lockouts, locked_until, officer_id),
                )
                if locked_until:
                    minutes = round((locked_until - now) / 60)
                    refusal = LoginError(
                        f"wrong PIN {MAX_FAILURES} times: account {officer_id!r} is locked "
                        f"for {minutes} minutes",
                        officer_id=officer_id,
                        event=LoginEvent.LOCKED_OUT,
                        failures=failures,
                        locked_until=locked_until,
                    )
                else:
                    refusal = LoginError(
                        wrong, officer_id=officer_id, event=LoginEvent.WRONG_PIN, failures=failures
                    )
            else:
                db.execute("UPDATE officers SET failures=0, lockouts=0 WHERE id=?", (officer_id,))
                if legacy:  # hashed before the pepper: re-hash with it now the PIN is known
                    fresh = secrets.token_bytes(16)
                    db.execute(
                        "UPDATE officers SET salt=?, pin_hash=?, scheme=? WHERE id=?",
                        (fresh, self._hash(pin, fresh), PEPPERED, officer_id),
                    )
        if refusal is not None:
            raise refusal
        return self.get(officer_id)
