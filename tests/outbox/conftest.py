"""Real parts for the outbox tests: key files, SQLite files, a NATS JetStream server and
an HTTPS server with client certificates, all on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NatsServer:
    port: int
    store: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.process = subprocess.Popen(
            [binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    if not (shutil.which("nats-server") or Path("/usr/sbin/nats-server").exists()):
        pytest.skip("nats-server is not installed (make test installs it)")
    server = NatsServer(free_port(), tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()
