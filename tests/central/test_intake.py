"""`kiosk central intake` and `kiosk central status` against a real nats-server and a real
PostgreSQL: what verifies is stored once, what does not is quarantined with its reason,
the chain is checked against what is stored from both sides, and a dead database or NATS
is one line, never a traceback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from outbox.keys import generate_signing_key, load_central_public, load_signing_key
from outbox.record import read_header
from outbox.store import Identity, Outbox
from tests.central.postgres import Postgres
from tests.central.topology import Node, nats_server_binary, start_single
from tests.outbox.conftest import Keys, make_keys
from tests.servers import free_port

STREAM = "BORDER-TEST"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Node]:
    node = start_single(tmp_path / "nats")
    asyncio.run(_add_stream(node.url))
    yield node
    node.stop()


async def _add_stream(url: str) -> None:
    import nats

    nc = await nats.connect(url)
    try:
        await nc.jetstream().add_stream(name=STREAM, subjects=["border.records.>"])
    finally:
        await nc.close()


async def _publish(url: str, messages: list[tuple[str, bytes]]) -> None:
    import nats

    batch = uuid.uuid4().hex  # every call's messages are new to the stream
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for n, (subject, data) in enumerate(messages):
            await js.publish(subject, data, headers={"Nats-Msg-Id": f"{batch}-{n}"})
    finally:
        await nc.close()


def records(path: Path, identity: Identity, count: int) -> list[bytes]:
    with Outbox(path) as box:
        box.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(count)])
        return [data for _, data in box.data()]


def kiosk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=timeout
    )


def intake_once(hub: Node, database: str, keys: Keys) -> subprocess.CompletedProcess[str]:
    return kiosk(
        "central", "intake", "--nats", hub.url, "--db", database,
        "--keys", str(keys.registry), "--stream", STREAM, "--once", "--workers", "0",
    )  # fmt: skip


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path / "keys")


def identity(keys: Keys, kiosk_id: str = "K-1", key: Path | None = None) -> Identity:
    return Identity(
        kiosk_id,
        "UTO-N1",
        load_signing_key(key or keys.signing),
        load_central_public(keys.central_public),
    )


def test_what_fails_verification_is_quarantined_with_its_reason_and_the_rest_stored_once(
    tmp_path: Path, hub: Node, database: str, keys: Keys
) -> None:
    good = records(tmp_path / "a.db", identity(keys), 5)
    fork = records(tmp_path / "b.db", identity(keys), 6)  # same key, another chain
    tampered = bytearray(good[2])
    body = read_header(good[2]).ciphertext
    tampered[good[2].index(body) + len(body) // 2] ^= 1  # the signature no longer holds
    generate_signing_key(tmp_path / "x.pem")  # a key nobody enrolled
    stranger = records(tmp_path / "c.db", identity(keys, key=tmp_path / "x.pem"), 1)
    impostor = records(tmp_path / "d.db", identity(keys, "K-2"), 1)  # K-1's key, K-2's name
    subject = "border.records.UTO-N1.K-1"
    asyncio.run(
        _publish(
            hub.url,
            [(subject, d) for d in good[:2]]
            + [(subject, bytes(tampered)), (subject, good[2]), (subject, good[1])]
            + [(subject, d) for d in good[3:]]
            + [(subject, fork[5]), (subject, stranger[0]), (subject, impostor[0])]
            + [(subject, b"\x00not a record")],
        )
    )
    done = intake_once(hub, database, keys)
    assert done.returncode == 0, done.stderr
    assert "5 stored, 1 duplicates, 5 quarantined" in done.stdout
    with psycopg.connect(database) as conn:
        stored = conn.execute("SELECT seq, data FROM records ORDER BY seq").fetchall()
        quarantined = conn.execute(
            "SELECT status, reason, kiosk, seq, subject FROM quarantine ORDER BY stream_seq"
        ).fetchall()
    assert [(s, bytes(d)) for s, d in stored] == list(enumerate(good, 1))
    statuses = {q[0]: q for q in quarantined}
    assert set(statuses) == {"tampered", "chain", "not-enrolled", "wrong-kiosk", "unreadable"}
    assert "signature" in statuses["tampered"][1]
    assert statuses["chain"][1].startswith("chain break: prev is not the hash of seq 5")
    assert statuses["chain"][2:4] == ("K-1", 6)
    assert {q[4] for q in quarantined} == {subject}
    assert "not enrolled" in statuses["not-enrolled"][1]
    assert "not for kiosk K-2" in statuses["wrong-kiosk"][1]
    # Delivered again (e.g. a consumer reset): nothing new anywhere.
    asyncio.run(_publish(hub.url, [(subject, good[0]), (subject, bytes(tampered))]))
    again = intake_once(hub, database, keys)
    assert "0 stored, 1 duplicates, 1 quarantined" in again.stdout, again.stderr
    assert again.stderr.count("quarantined stream seq") == 1 and "Traceback" not in again.stderr
    status = kiosk("central", "status", "--db", database)
    assert status.returncode == 1  # something is in quarantine
    line = status.stdout.splitlines()[0]
    assert line.startswith("K-1  post UTO-N1  last seq 5  records 5  gaps none")
    assert line.endswith("quarantined 4")  # tampered (twice), chain, not-enrolled name K-1


def test_status_shows_gaps_until_the_missing_record_arrives_and_checks_it_both_ways(
    tmp_path: Path, hub: Node, database: str, keys: Keys
) -> None:
    chain = records(tmp_path / "a.db", identity(keys), 6)
    fork = records(tmp_path / "b.db", identity(keys), 3)
    subject = "border.records.UTO-N1.K-1"
    asyncio.run(_publish(hub.url, [(subject, d) for i, d in enumerate(chain) if i not in (0, 2)]))
    assert intake_once(hub, database, keys).returncode == 0
    status = kiosk("central", "status", "--db", database, "--json")
    assert status.returncode == 1
    row = json.loads(status.stdout.splitlines()[0])
    assert (row["kiosk"], row["last_seq"], row["records"]) == ("K-1", 6, 4)
    assert row["gaps"] == [[1, 1], [3, 3]]
    assert row["last_seen"].endswith("+00:00")
    # A seq 3 from another chain fits neither neighbour; the real one fits both.
    asyncio.run(_publish(hub.url, [(subject, fork[2]), (subject, chain[2]), (subject, chain[0])]))
    done = intake_once(hub, database, keys)
    assert "2 stored, 0 duplicates, 1 quarantined" in done.stdout, done.stdout + done.stderr
    status = kiosk("central", "status", "--db", database, "--json")
    row = json.loads(status.stdout.splitlines()[0])
    assert row["gaps"] == [] and row["records"] == 6 and row["chain"] == "intact"
    with psycopg.connect(database) as conn:
        [(reason,)] = conn.execute("SELECT reason FROM quarantine").fetchall()
    assert reason.startswith("chain break: prev is not the hash of seq 2")


def test_a_dead_database_or_nats_is_one_line_and_no_traceback(
    tmp_path: Path, hub: Node, postgres: Postgres, database: str, keys: Keys
) -> None:
    dead_db = f"postgresql://central@127.0.0.1:{free_port()}/central"
    dead_nats = f"nats://127.0.0.1:{free_port()}"
    cases = [
        (["central", "intake", "--nats", hub.url, "--db", dead_db, "--keys",
          str(keys.registry), "--stream", STREAM], "cannot reach PostgreSQL at 127.0.0.1:"),
        (["central", "intake", "--nats", dead_nats, "--db", database, "--keys",
          str(keys.registry), "--stream", STREAM], "cannot reach NATS at 127.0.0.1:"),
        (["central", "intake", "--nats", hub.url, "--db", database, "--keys",
          str(keys.registry), "--stream", "NOPE"], "stream NOPE does not exist"),
        (["central", "status", "--db", dead_db], "cannot reach PostgreSQL at 127.0.0.1:"),
        (["central", "status", "--db", "not a dsn"], "PostgreSQL"),
        (["central", "status", "--db", postgres.create_database()], "no intake tables yet"),
        (["central", "streams", "hub", "--nats", dead_nats, "--region", "N", "--post", "P"],
         "cannot reach the hub"),
        (["central", "streams", "post", "--nats", hub.url, "--post", "bad.name"],
         "post id 'bad.name' must be"),
    ]  # fmt: skip
    running = [  # all at once: each is a Python start-up
        subprocess.Popen(
            [sys.executable, "-m", "kiosk", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args, _ in cases
    ]
    for (args, expected), process in zip(cases, running, strict=True):
        stdout, stderr = process.communicate(timeout=60)
        done = subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("kiosk: error: "), done.stderr
        assert expected in lines[0], lines[0]


def test_the_intake_waits_for_a_database_that_went_away_and_acknowledges_after_the_commit(
    tmp_path: Path, hub: Node, postgres: Postgres, database: str, keys: Keys
) -> None:
    """PostgreSQL stops while the intake runs: nothing is acknowledged (the consumer holds
    every message) until the database is back; then every record is stored once."""
    import signal
    import time

    chain = records(tmp_path / "a.db", identity(keys), 40)
    subject = "border.records.UTO-N1.K-1"
    log = tmp_path / "intake.log"
    with open(log, "wb") as out:
        intake = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--log-level", "INFO", "central", "intake",
             "--nats", hub.url, "--db", database, "--keys", str(keys.registry),
             "--stream", STREAM, "--batch", "10"],
            stdout=out, stderr=out,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:  # connected, its consumer in place
            try:
                asyncio.run(_consumer_state(hub.url))
                break
            except Exception:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        postgres.stop()
        asyncio.run(_publish(hub.url, [(subject, d) for d in chain]))
        while (state := asyncio.run(_consumer_state(hub.url)))[1] == 0:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        time.sleep(1.5)  # a retry or two
        pending, in_hand, acknowledged = asyncio.run(_consumer_state(hub.url))
        assert pending + in_hand == 40 and acknowledged == 0, state
        assert intake.poll() is None
        postgres.start()
        deadline = time.monotonic() + 60
        while asyncio.run(_consumer_state(hub.url)) != (0, 0, 40):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        intake.send_signal(signal.SIGTERM)
        try:
            intake.wait(20)
        except subprocess.TimeoutExpired:
            intake.kill()
            pytest.fail("the intake did not stop on SIGTERM\n" + log.read_text())
    assert "retrying in" in log.read_text() and "Traceback" not in log.read_text()
    with psycopg.connect(database) as conn:
        stored = [bytes(d) for (d,) in conn.execute("SELECT data FROM records ORDER BY seq")]
    assert stored == chain
    assert {read_header(d).header.seq for d in stored} == set(range(1, 41))


async def _consumer_state(url: str) -> tuple[int, int, int]:
    """Not yet delivered, delivered and not acknowledged, acknowledged (stream seq)."""
    import nats

    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().consumer_info(STREAM, "central-intake")
        floor = info.ack_floor.stream_seq if info.ack_floor else 0
        return int(info.num_pending), int(info.num_ack_pending), int(floor or 0)
    finally:
        await nc.close()


def test_nats_config_writes_configurations_nats_server_accepts(tmp_path: Path) -> None:
    hub = kiosk(
        "central", "nats-config", "hub", "--name", "hub-1", "--store", "/var/lib/nats",
        "--routes", "hub-1:6222,hub-2:6222,hub-3:6222",
    )  # fmt: skip
    leaf = kiosk(
        "central", "nats-config", "leaf", "--post", "UTO-N1", "--store", "/var/lib/nats",
        "--hubs", "hub-1:7422,hub-2:7422,hub-3:7422",
    )  # fmt: skip
    assert hub.returncode == leaf.returncode == 0, hub.stderr + leaf.stderr
    assert "domain: central" in hub.stdout and "nats-route://hub-2:6222" in hub.stdout
    assert 'domain: "UTO-N1"' in leaf.stdout and "sync_interval: always" in leaf.stdout
    assert '"nats-leaf://hub-3:7422"' in leaf.stdout
    for name, text in (("hub", hub.stdout), ("leaf", leaf.stdout)):
        path = tmp_path / f"{name}.conf"
        path.write_text(text)
        checked = subprocess.run(
            [nats_server_binary(), "-t", "-c", str(path)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
