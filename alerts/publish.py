"""The central side: build and sign the TUF repository the kiosks update from.

Layout of the repository directory (served as-is over HTTPS, copied to a NATS object store
or to removable media):

    metadata/N.root.json, root.json           root of trust (kiosks start from a copy)
    metadata/N.targets.json, N.snapshot.json  which list files exist, with hashes (signed)
    metadata/timestamp.json                   the freshest snapshot, short expiry (signed)
    targets/lists/<sha256>.index.json         the latest version and its files
    targets/lists/<sha256>.full-V.csv.gz      the whole list, version V
    targets/lists/<sha256>.delta-U-V.csv.gz   the changes from U to V (an `op` column)

Consistent snapshots (hash-prefixed target names, versioned metadata) mean a mirror caught
half-way through an update never serves a mix of files. Each role has its own Ed25519 key
(`root.key`, `targets.key`, `snapshot.key`, `timestamp.key`, PKCS#8 PEM in the keys
directory); the timestamp is re-signed by `refresh` more often than lists change, so a kiosk
that stops hearing from the repository notices it within a day.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from alerts.entries import COLUMNS, Entry, read_csv, write_csv
from alerts.errors import AlertsError, ListError

ROLES = ("root", "targets", "snapshot", "timestamp")
INDEX = "lists/index.json"
KEEP_DELTAS = 30  # a kiosk up to a month behind (daily lists) still updates by deltas


@dataclass(frozen=True)
class Lifetimes:
    """How long each role's signature holds; the timestamp's is how long a kiosk may go
    without hearing from the repository before its list counts as stale."""

    root: dt.timedelta = dt.timedelta(days=365)
    targets: dt.timedelta = dt.timedelta(days=30)
    snapshot: dt.timedelta = dt.timedelta(days=7)
    timestamp: dt.timedelta = dt.timedelta(days=1)


@dataclass(frozen=True)
class Published:
    version: int
    entries: int
    upserted: int
    deleted: int
    full: str
    delta: str | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def create_keys(keys: Path) -> list[Path]:
    """One new Ed25519 key per role; refuses to overwrite an existing one."""
    keys.mkdir(parents=True, exist_ok=True)
    written = []
    for role in ROLES:
        path = keys / f"{role}.key"
        if path.exists():
            raise AlertsError(f"{path} exists already; keys are never overwritten")
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        written.append(path)
    return written


def load_signers(keys: Path) -> dict[str, CryptoSigner]:
    signers = {}
    for role in ROLES:
        path = keys / f"{role}.key"
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise AlertsError(
                f"{path} does not exist; create the keys once with --new-keys"
            ) from None
        except ValueError as exc:
            raise AlertsError(f"{path}: not a PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise AlertsError(f"{path}: use an Ed25519 key")
        signers[role] = CryptoSigner(key)
    return signers


class Repository:
    """A TUF repository directory and the keys that sign it."""

    def __init__(self, path: Path, keys: Path, lifetimes: Lifetimes | None = None) -> None:
        self.path = Path(path)
        self.meta_dir = self.path / "metadata"
        self.targets_dir = self.path / "targets"
        self.signers = load_signers(keys)
        self.lifetimes = lifetimes or Lifetimes()

    # -- metadata files -------------------------------------------------------------------
    def _load(self, role: str) -> Metadata[Any]:
        name = "timestamp.json" if role == "timestamp" else f"{role}.json"
        if role in ("targets", "snapshot"):
            current = self._current_version(role)
            name = f"{current}.{role}.json"
        return Metadata.from_file(str(self.meta_dir / name))

    def _current_version(self, role: str) -> int:
        versions = [
            int(p.name.split(".", 1)[0])
            for p in self.meta_dir.glob(f"*.{role}.json")
            if p.name.split(".", 1)[0].isdigit()
        ]
        if not versions:
            raise AlertsError(f"{self.meta_dir}: no {role} metadata; is this a repository?")
        return max(versions)

    def _write(self, role: str, md: Metadata[Any]) -> None:
        md.sign(self.signers[role])
        data = md.to_bytes(JSONSerializer(compact=False))
        names = [f"{md.signed.version}.{role}.json"]
        if role == "timestamp":
            names = ["timestamp.json"]
        elif role == "root":
            names.append("root.json")
        for name in names:
            _write_atomic(self.meta_dir / name, data)

    def initialised(self) -> bool:
        return (self.meta_dir / "root.json").exists()

    def init(self) -> None:
        """The first root and empty targets/snapshot/timestamp."""
        if self.initialised():
            return
        self.meta_dir.mkdir(parents=True, exist_ok=True)
        root = Root(expires=_now() + self.lifetimes.root, consistent_snapshot=True)
        for role in ROLES:
            root.add_key(self.signers[role].public_key, role)
        self._write("root", Metadata(root))
        self._write("targets", Metadata(Targets(expires=_now() + self.lifetimes.targets)))
        self._sign_snapshot_and_timestamp(1, 1)

    def _sign_snapshot_and_timestamp(self, targets_version: int, snapshot_version: int) -> None:
        snapshot = Snapshot(
            version=snapshot_version,
            expires=_now() + self.lifetimes.snapshot,
            meta={"targets.json": MetaFile(version=targets_version)},
        )
        self._write("snapshot", Metadata(snapshot))
        timestamp_version = 1
        if (self.meta_dir / "timestamp.json").exists():
            timestamp_version = self._load("timestamp").signed.version + 1
        timestamp = Timestamp(
            version=timestamp_version,
            expires=_now() + self.lifetimes.timestamp,
            snapshot_meta=MetaFile(version=snapshot_version),
        )
        self._write("timestamp", Metadata(timestamp))

    def refresh(self) -> int:
        """Re-sign snapshot and timestamp with fresh expiries (run daily from a timer), so
        kiosks can tell "nothing new" from "cut off". Returns the timestamp's version."""
        targets = self._load("targets")
        snapshot = self._load("snapshot")
        self._sign_snapshot_and_timestamp(targets.signed.version, snapshot.signed.version + 1)
        return int(self._load("timestamp").signed.version)

    # -- lists ----------------------------------------------------------------------------
    def index(self) -> dict[str, Any] | None:
        """The latest index.json (unsigned read of our own repository)."""
        if not self.initialised():
            return None
        info = self._load("targets").signed.targets.get(INDEX)
        if info is None:
            return None
        data = self._target_path(INDEX, info.hashes["sha256"]).read_bytes()
        index: dict[str, Any] = json.loads(data)
        return index

    def _target_path(self, name: str, digest: str) -> Path:
        folder, _, base = name.rpartition("/")
        return self.targets_dir / folder / f"{digest}.{base}"

    def _add_target(self, targets: Targets, name: str, data: bytes, custom: dict[str, Any]) -> None:
        info = TargetFile.from_data(name, data, ["sha256"])
        if custom:
            info.unrecognized_fields["custom"] = custom
        path = self._target_path(name, info.hashes["sha256"])
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, data)
        targets.targets[name] = info

    def publish(self, csv_path: Path) -> Published:
        """Sign a new version from a full list: its full file and the delta from the last."""
        try:
            text = csv_path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ListError(f"{csv_path}: not UTF-8 text") from None
        rows = [entry for _, entry in read_csv(text, str(csv_path))]
        self.init()
        previous = self.index()
        version = (previous["version"] + 1) if previous else 1
        md = self._load("targets")
        targets: Targets = md.signed
        full = write_csv(("upsert", e) for e in rows).encode()
        full_name = f"lists/full-{version}.csv.gz"
        self._add_target(targets, full_name, gzip.compress(full, 6, mtime=0), {})
        delta_name = None
        upserted, deleted = len(rows), 0
        deltas: dict[str, str] = {}
        if previous:
            old = self._read_full(previous)
            changes = diff(old, rows)
            upserted = sum(op == "upsert" for op, _ in changes)
            deleted = len(changes) - upserted
            delta_name = f"lists/delta-{version - 1}-{version}.csv.gz"
            data = write_csv(changes, ops=True).encode()
            self._add_target(targets, delta_name, gzip.compress(data, 6, mtime=0), {})
            deltas = dict(previous.get("deltas", {}))
            deltas[str(version - 1)] = delta_name
            for base in sorted(deltas, key=int)[:-KEEP_DELTAS]:
                targets.targets.pop(deltas.pop(base), None)
            if previous["full"] != full_name:
                targets.targets.pop(previous["full"], None)
        index = {
            "version": version,
            "published": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "entries": len(rows),
            "full": full_name,
            "deltas": deltas,
        }
        self._add_target(targets, INDEX, json.dumps(index, sort_keys=True).encode(), {})
        targets.version += 1
        targets.expires = _now() + self.lifetimes.targets
        self._write("targets", md)
        snapshot_version = self._load("snapshot").signed.version + 1
        self._sign_snapshot_and_timestamp(targets.version, snapshot_version)
        return Published(version, len(rows), upserted, deleted, full_name, delta_name)

    def _read_full(self, index: dict[str, Any]) -> list[Entry]:
        name = index["full"]
        folder, _, base = name.rpartition("/")
        matches = list((self.targets_dir / folder).glob(f"*.{base}"))
        if not matches:
            raise AlertsError(f"{self.targets_dir}: the previous list {name} is missing")
        with gzip.open(matches[0], "rt", encoding="utf-8", newline="") as stream:
            return [entry for _, entry in read_csv(stream, name, unique=False)]


def diff(old: list[Entry], new: list[Entry]) -> list[tuple[str, Entry]]:
    """(op, entry) turning `old` into `new`: upserts of new or changed, deletes of gone."""
    before = {e.key: _digest(e) for e in old}
    changes: list[tuple[str, Entry]] = []
    seen = set()
    for entry in new:
        seen.add(entry.key)
        if before.get(entry.key) != _digest(entry):
            changes.append(("upsert", entry))
    for entry in old:
        if entry.key not in seen:
            changes.append(
                ("delete", Entry(entry.list_id, entry.reference, entry.category, entry.action))
            )
    return changes


_cells = operator.attrgetter(*COLUMNS)


def _digest(entry: Entry) -> bytes:
    return hashlib.blake2b("\x1f".join(_cells(entry)).encode(), digest_size=12).digest()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
