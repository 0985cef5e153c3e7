"""Real parts for the central tests: PostgreSQL 15 (one server per session, a fresh
database per test), the hub cluster and a post's leaf node (tests/central/topology.py),
kiosks with their own outboxes and `kiosk forward` daemons publishing to the leaf, and
`kiosk central intake` as a process that can be killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from central import db, natsconfig
from outbox.keys import generate_signing_key, load_central_public, load_signing_key, public_pem
from outbox.store import Identity, Outbox
from tests.central.postgres import Postgres, running_postgres
from tests.central.topology import Leaf, Topology, start_hub
from tests.outbox.conftest import Keys, make_keys

POST = "UTO-N1"
REGION = "NORTH"
STREAM = natsconfig.hub_stream(REGION)
T = TypeVar("T")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def database(postgres: Postgres) -> str:
    return postgres.create_database()


@dataclass
class Kiosk:
    """One kiosk: its outbox, its key (enrolled in the shared registry), its forwarder."""

    name: str
    directory: Path
    identity: Identity
    env: dict[str, str]
    forwarder: subprocess.Popen[bytes] | None = None

    @property
    def outbox_path(self) -> Path:
        return self.directory / "state" / "outbox.db"

    def seal(self, count: int, size: int = 4_000) -> None:
        with Outbox(self.outbox_path) as box:
            for start in range(0, count, 100):
                box.seal_many(
                    self.identity,
                    [("test", "t", "entry", {"pad": os.urandom(size)})
                     for _ in range(min(100, count - start))],
                )  # fmt: skip

    def pending(self) -> int:
        """Records the leaf node has not acknowledged yet."""
        with Outbox(self.outbox_path) as box:
            return box.status().pending

    def sealed(self) -> dict[bytes, bytes]:
        """record id -> sealed bytes, of every record this kiosk sealed."""
        from outbox.record import read_header

        with Outbox(self.outbox_path) as box:
            return {read_header(d).header.record_id: d for _, d in box.data()}

    def start_forwarder(self) -> None:
        log = open(self.directory / "forward.log", "ab")  # noqa: SIM115 - the daemon's log
        self.forwarder = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--log-level", "INFO", "forward"],
            env=self.env, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()

    def stop_forwarder(self) -> None:
        if self.forwarder is not None:
            self.forwarder.send_signal(signal.SIGTERM)
            try:
                self.forwarder.wait(15)
            except subprocess.TimeoutExpired:
                self.forwarder.kill()
                self.forwarder.wait()
            self.forwarder = None


@dataclass
class World:
    directory: Path
    keys: Keys
    topology: Topology
    leaf: Leaf
    dsn: str
    kiosks: list[Kiosk] = field(default_factory=list)
    intake: subprocess.Popen[bytes] | None = None

    def add_kiosk(self, name: str) -> Kiosk:
        directory = self.directory / name
        (directory / "state").mkdir(parents=True)
        key_path = directory / "kiosk.pem"
        signing = generate_signing_key(key_path)
        (self.keys.registry / f"{name}.pem").write_bytes(public_pem(signing))
        config = directory / "kiosk.toml"
        config.write_text(
            f'[kiosk]\nid = "{name}"\npost = "{POST}"\nstate_dir = "{directory / "state"}"\n'
            f'[keys]\nsigning_key = "{key_path}"\n'
            f'central_public_key = "{self.keys.central_public}"\n'
            f'[forward]\ntransport = "nats"\nbatch = 100\n'
            f'[forward.nats]\nurl = "{self.leaf.url}"\n'
            f'stream = "{natsconfig.post_stream(POST)}"\ntimeout = 3\n'
        )
        env = {**os.environ, "KIOSK_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}
        identity = Identity(
            name, POST, load_signing_key(key_path), load_central_public(self.keys.central_public)
        )
        kiosk = Kiosk(name, directory, identity, env)
        self.kiosks.append(kiosk)
        return kiosk

    def intake_command(self, *extra: str) -> list[str]:
        return [
            sys.executable, "-m", "kiosk", "--log-level", "INFO", "central", "intake",
            "--nats", ",".join(h.url for h in self.topology.hubs), "--db", self.dsn,
            "--keys", str(self.keys.registry), "--stream", STREAM, "--batch", "200", *extra,
        ]  # fmt: skip

    def start_intake(self) -> None:
        log = open(self.directory / "intake.log", "ab")  # noqa: SIM115 - the daemon's log
        self.intake = subprocess.Popen(self.intake_command(), stdout=log, stderr=log)
        log.close()

    def stop_intake(self, sig: int = signal.SIGTERM) -> None:
        if self.intake is not None:
            self.intake.send_signal(sig)
            try:
                self.intake.wait(20)
            except subprocess.TimeoutExpired:
                self.intake.kill()
                self.intake.wait()
            self.intake = None

    def stored(self) -> int:
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            row = conn.execute("SELECT count(*) FROM records").fetchone()
            assert row is not None
            return int(row[0])

    def wait_stored(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while (stored := self.stored()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{stored} of {count} records in PostgreSQL after {timeout} s\n" + self.logs()
                )
            if self.intake is not None and self.intake.poll() is not None:
                raise AssertionError("the intake exited\n" + self.logs())
            time.sleep(0.2)

    def logs(self) -> str:
        parts = []
        for path in sorted(self.directory.rglob("*.log")):
            parts.append(f"--- {path.name}\n" + path.read_text(errors="replace")[-1500:])
        return "\n".join(parts)

    def hub_messages(self) -> int:
        return _retried(lambda: _stream_messages(self.topology.hub_urls, STREAM))

    def leaf_messages(self) -> int:
        return _retried(lambda: _stream_messages([self.leaf.url], natsconfig.post_stream(POST)))

    def stream_leader(self) -> str:
        return _retried(lambda: _stream_leader(self.topology.hub_urls, STREAM))

    def assert_exactly_once(self) -> None:
        """Every sealed record of every kiosk is in PostgreSQL once, byte for byte, each
        kiosk's sequence without a gap, and nothing in quarantine."""
        import psycopg

        sealed: dict[bytes, bytes] = {}
        for kiosk in self.kiosks:
            sealed.update(kiosk.sealed())
        with psycopg.connect(self.dsn) as conn:
            rows = conn.execute("SELECT record_id, data FROM records").fetchall()
            gaps = conn.execute(
                "SELECT kiosk, count(*), min(seq), max(seq) FROM records GROUP BY kiosk"
            ).fetchall()
            row = conn.execute("SELECT count(*) FROM quarantine").fetchone()
        stored = {r[0].bytes: bytes(r[1]) for r in rows}
        assert len(rows) == len(stored) == len(sealed)
        assert stored == sealed
        for kiosk, count, first, last in gaps:
            assert (count, first, last) == (count, 1, count), kiosk
        assert row is not None and row[0] == 0

    def assert_status_complete(self, timeout: float = 30) -> None:
        """`kiosk central status --json`: every kiosk gapless, its newest heartbeat's last
        sealed seq stored (heartbeats follow the records they count), exit status 0."""
        import json

        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run(
                [sys.executable, "-m", "kiosk", "central", "status", "--db", self.dsn, "--json"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            rows = [json.loads(line) for line in done.stdout.splitlines()]
            kiosks = {row["kiosk"]: row for row in rows if "kiosk" in row and "post" in row}
            complete = done.returncode == 0 and all(
                row["sealed"] == row["last_seq"] for row in kiosks.values()
            )
            if complete or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(kiosks) == sorted(k.name for k in self.kiosks)
        for kiosk in self.kiosks:
            row = kiosks[kiosk.name]
            with Outbox(kiosk.outbox_path) as box:
                last = box.status().last_seq
            assert (row["last_seq"], row["records"], row["gaps"]) == (last, last, [])
            assert row["sealed"] == last and row["missing_tail"] == 0 and row["quarantined"] == 0

    def close(self) -> None:
        for kiosk in self.kiosks:
            kiosk.stop_forwarder()
        self.stop_intake()
        self.topology.stop()


def _retried(call: Callable[[], Coroutine[Any, Any, T]], timeout: float = 30) -> T:
    """A JetStream API call, again while a cluster elects a leader after a fault."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return asyncio.run(call())
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


async def _stream_messages(servers: list[str], stream: str) -> int:
    import nats

    nc = await nats.connect(servers, connect_timeout=2, max_reconnect_attempts=2)
    try:
        info = await nc.jetstream(timeout=5).stream_info(stream)
        return int(info.state.messages)
    finally:
        await nc.close()


async def _stream_leader(servers: list[str], stream: str) -> str:
    import nats

    nc = await nats.connect(servers, connect_timeout=2, max_reconnect_attempts=2)
    try:
        info: Any = await nc.jetstream(timeout=5).stream_info(stream)
        return str(info.cluster.leader)
    finally:
        await nc.close()


@pytest.fixture
def world(tmp_path: Path, database: str) -> Iterator[World]:
    """The hub (3 nodes, the region's R3 stream), the post's leaf node and stream."""
    keys = make_keys(tmp_path / "keys")
    topology = start_hub(tmp_path / "nats")
    try:
        leaf = topology.add_leaf(POST)
        asyncio.run(natsconfig.ensure_post_stream([leaf.url], POST))
        asyncio.run(natsconfig.ensure_hub_stream(topology.hub_urls, REGION, [POST]))
        db.connect(database).close()  # the tables, as the intake makes them
        world = World(tmp_path, keys, topology, leaf, database)
        yield world
    finally:
        try:
            world.close()
        except NameError:
            topology.stop()
