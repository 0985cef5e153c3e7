"""Enrolments: the only way a kiosk key is trusted. An enrolment binds a public key (and its
kid) to one kiosk at one post for a period of time:

    {"format": "border-kiosk-enrolment/1", "kiosk": "K-0042", "post": "UTO-NORTH-1",
     "kid": "<16 hex>", "public_key": "<PEM>", "valid_from": "2026-12-01T10:00:00.000Z",
     "valid_until": null, "revoked_at": null}

A record verifies only if its kid is enrolled for the kiosk (and post) its header names and
its capture time lies inside the key's validity and before any revocation. The central
side keeps a directory of these files (`kiosk verify --keys DIR`); `kiosk provision show
--enrolment FILE` writes them at the kiosk, `kiosk provision rotate-key` ends the old key's
validity, `kiosk provision revoke` marks a key revoked from a given time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from outbox.errors import OutboxError
from outbox.keys import kid as kid_of
from outbox.keys import load_verify_key, public_pem

FORMAT = "border-kiosk-enrolment/1"
SUFFIX = ".json"


def format_time(ms: int | None) -> str | None:
    """Milliseconds since 1970 as ISO 8601 UTC with milliseconds (`...T10:00:00.000Z`)."""
    if ms is None:
        return None
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_time(text: str, what: str) -> int:
    """ISO 8601 (a time zone is required; `Z` for UTC) to milliseconds since 1970."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise OutboxError(f"{what}: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise OutboxError(f"{what}: {text!r} needs a time zone, e.g. 2026-12-01T10:00:00Z")
    return round(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Enrolment:
    kiosk: str
    post: str | None  # None for a bare `<kiosk>.pem` file: any post
    public_key: ed25519.Ed25519PublicKey
    valid_from: int | None = None  # ms since 1970; None: since ever
    valid_until: int | None = None  # inclusive; None: open
    revoked_at: int | None = None
    source: str = ""

    @property
    def kid(self) -> bytes:
        return kid_of(self.public_key)

    def problem_at(self, time_ms: int) -> tuple[str, str] | None:
        """(status, reason) when a record signed at `time_ms` is outside this enrolment."""
        if self.revoked_at is not None and time_ms >= self.revoked_at:
            return "revoked", (
                f"signed at {format_time(time_ms)}, after key {self.kid.hex()} of kiosk "
                f"{self.kiosk} was revoked at {format_time(self.revoked_at)}"
            )
        early = self.valid_from is not None and time_ms < self.valid_from
        late = self.valid_until is not None and time_ms > self.valid_until
        if early or late:
            return "outside-validity", (
                f"signed at {format_time(time_ms)}, outside the validity of key "
                f"{self.kid.hex()} of kiosk {self.kiosk} "
                f"({format_time(self.valid_from) or 'ever'} .. "
                f"{format_time(self.valid_until) or 'open'})"
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kiosk": self.kiosk,
            "post": self.post,
            "kid": self.kid.hex(),
            "public_key": public_pem(self.public_key).decode(),
            "valid_from": format_time(self.valid_from),
            "valid_until": format_time(self.valid_until),
            "revoked_at": format_time(self.revoked_at),
        }

    def with_times(self, **times: int | None) -> Enrolment:
        return replace(self, **times)  # type: ignore[arg-type]


def _text(data: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise OutboxError(f"enrolment {where}: {key!r} must be a non-empty string")
    return value


def from_dict(data: Any, where: str) -> Enrolment:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise OutboxError(f"enrolment {where}: not a {FORMAT} file")
    kiosk = _text(data, "kiosk", where)
    pem = _text(data, "public_key", where)
    assert kiosk is not None and pem is not None
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise OutboxError(f"enrolment {where}: public_key is not a PEM public key") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise OutboxError(f"enrolment {where}: public_key is not an Ed25519 key")
    stated = data.get("kid")
    if stated is not None and stated != kid_of(key).hex():
        raise OutboxError(f"enrolment {where}: kid {stated!r} is not the kid of its public_key")
    times: dict[str, int | None] = {}
    for name in ("valid_from", "valid_until", "revoked_at"):
        text = _text(data, name, where, optional=True)
        times[name] = None if text is None else parse_time(text, f"enrolment {where}: {name}")
    return Enrolment(kiosk, _text(data, "post", where, optional=True), key, source=where, **times)


def load(path: Path) -> Enrolment:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise OutboxError(f"enrolment {path} cannot be read: {exc}") from None
    return from_dict(data, str(path))


def write(path: Path, enrolment: Enrolment) -> None:
    """Write (or replace) an enrolment file: public data, mode 0644, fsync'd then renamed."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w") as out:
        json.dump(enrolment.to_dict(), out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    temporary.chmod(0o644)
    os.replace(temporary, path)


class Registry:
    """The central side's enrolled keys, by kid (a key may be enrolled more than once,
    e.g. a record of its earlier validity and a newer file that revokes it)."""

    def __init__(self, enrolments: list[Enrolment]) -> None:
        self.by_kid: dict[bytes, list[Enrolment]] = {}
        for enrolment in enrolments:
            self.by_kid.setdefault(enrolment.kid, []).append(enrolment)

    def enrolments(self, kid: bytes | None) -> list[Enrolment]:
        return list(self.by_kid.get(kid, [])) if kid is not None else []

    def get(self, kid: bytes | None) -> ed25519.Ed25519PublicKey | None:
        """The public key for a kid, whoever it is enrolled for (signature checks only)."""
        found = self.enrolments(kid)
        return found[0].public_key if found else None

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_kid.values())

    def refusal(self, kid: bytes | None, kiosk: Any, post: Any, time_ms: Any) -> str | None:
        """Why the key `kid` may not sign for `kiosk` at `post` at `time_ms` (None: it may)."""
        mine = [
            e
            for e in self.enrolments(kid)
            if e.kiosk == kiosk and (e.post is None or e.post == post)
        ]
        if not mine:
            return f"key {kid.hex() if kid else 'none'} is not enrolled for kiosk {kiosk}"
        if not isinstance(time_ms, int):
            return "no time"
        verdicts = [e.problem_at(time_ms) for e in mine]
        return next(v[1] for v in verdicts if v) if all(verdicts) else None


def load_registry(directory: Path) -> Registry:
    """Every enrolment (`*.json`) under `directory`; a bare `<kiosk id>.pem` (or `.pub`)
    public key is enrolled for the kiosk its file name names, at any post and time."""
    if not directory.is_dir():
        raise OutboxError(f"kiosk key registry {directory} is not a directory")
    enrolments = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix == SUFFIX:
            enrolments.append(load(path))
        elif path.suffix in (".pem", ".pub"):
            enrolments.append(Enrolment(path.stem, None, load_verify_key(path), source=str(path)))
    if not enrolments:
        raise OutboxError(
            f"no enrolments (*.json from 'kiosk provision show --enrolment') in {directory}"
        )
    return Registry(enrolments)
