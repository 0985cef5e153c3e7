"""Real parts for the outbox tests: key files, SQLite files, a NATS JetStream server and
an HTTPS server with client certificates, all on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from outbox.keys import (
    generate_central_key,
    generate_signing_key,
    load_central_private,
    load_central_public,
    public_pem,
)
from outbox.store import Identity, Outbox


@dataclass
class Keys:
    directory: Path
    central_private: Path
    central_public: Path
    signing: Path
    registry: Path  # the central side's directory of kiosk public keys


def make_keys(directory: Path, hybrid: bool = False) -> Keys:
    directory.mkdir(parents=True, exist_ok=True)
    keys = Keys(
        directory,
        directory / "central.key",
        directory / "central.pub",
        directory / "kiosk.pem",
        directory / "registry",
    )
    generate_central_key(keys.central_private, keys.central_public, hybrid=hybrid)
    signing = generate_signing_key(keys.signing)
    keys.registry.mkdir()
    (keys.registry / "K-1.pem").write_bytes(public_pem(signing))
    return keys


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path / "keys")


@pytest.fixture
def identity(keys: Keys) -> Identity:
    from outbox.keys import load_signing_key

    return Identity(
        "K-1", "UTO-N1", load_signing_key(keys.signing), load_central_public(keys.central_public)
    )


@pytest.fixture
def central(keys: Keys):  # type: ignore[no-untyped-def]
    return load_central_private(keys.central_private)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.db") as box:
        yield box
