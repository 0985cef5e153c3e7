"""The forwarder when nats-server dies in the middle of a batch of large records.

A real nats-server is stopped with SIGTERM (its clean shutdown) or SIGKILL (a crash)
while `kiosk forward --once` or the daemon is publishing 20-100 KB records. Each round
must end (`--once`: exit 1 with one `kiosk: error:` line) or notice the loss (the daemon:
one "link down" line) within the configured timeout + 1 s, the daemon must resume when
the server is back, and afterwards `kiosk verify --expect-complete` must see every record
exactly once. One short round of each in CI; `pytest --slow` runs 10 of each.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from outbox.keys import load_central_public, load_signing_key
from outbox.store import Identity, Outbox
from tests.outbox.conftest import Keys
from tests.outbox.test_forward import _add_stream
from tests.servers import NatsServer

TIMEOUT = 2.0  # [forward.nats] timeout of these tests


def rounds(request: pytest.FixtureRequest) -> int:
    return 10 if request.config.getoption("--slow") else 1


def write_config(tmp_path: Path, keys: Keys, server: NatsServer) -> dict[str, str]:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[kiosk]\nid = "K-1"\npost = "UTO-N1"\nstate_dir = "{tmp_path / "state"}"\n'
        f'[keys]\nsigning_key = "{keys.signing}"\ncentral_public_key = "{keys.central_public}"\n'
        f'[forward]\ntransport = "nats"\nbatch = 200\n'
        f'[forward.nats]\nurl = "{server.url}"\nstream = "RECORDS"\ntimeout = {TIMEOUT}\n'
    )
    return {**os.environ, "KIOSK_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}


def seal_large(tmp_path: Path, keys: Keys, count: int, rng: random.Random) -> None:
    identity = Identity(
        "K-1", "UTO-N1", load_signing_key(keys.signing), load_central_public(keys.central_public)
    )
    with Outbox(tmp_path / "state" / "outbox.db") as box:
        box.seal_many(
            identity,
            [
                ("test", "t", "entry", {"pad": os.urandom(rng.randint(20_000, 100_000))})
                for _ in range(count)
            ],
        )


def pending(tmp_path: Path) -> int:
    with Outbox(tmp_path / "state" / "outbox.db") as box:
        return box.status().pending


async def _stored(url: str) -> int:
    import nats

    nc = await nats.connect(url, allow_reconnect=False, connect_timeout=1)
    try:
        info = await nc.jetstream().stream_info("RECORDS")
        return int(info.state.messages)
    finally:
        await nc.close()


def kill_mid_batch(server: NatsServer, sig: int, at_least: int) -> float:
    """Wait until the stream grew by `at_least` messages, then kill; returns the time."""
    start = asyncio.run(_stored(server.url))
    deadline = time.monotonic() + 30
    while asyncio.run(_stored(server.url)) < start + at_least:
        assert time.monotonic() < deadline, "the forwarder never started publishing"
        time.sleep(0.01)
    server.kill(sig)
    return time.monotonic()


class Lines:
    """A process's stderr, line by line, each with the time it arrived."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[tuple[float, str]] = []
        assert process.stderr is not None
        self._stream = process.stderr
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in self._stream:
            self.lines.append((time.monotonic(), raw.decode(errors="replace").rstrip()))

    def first_after(self, since: float, text: str, wait: float) -> float | None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if at >= since and text in line:
                    return at
            time.sleep(0.01)
        return None


def verify_all_once(tmp_path: Path, keys: Keys, server: NatsServer, env: dict[str, str]) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "verify", f"{server.url}/RECORDS",
         "--keys", str(keys.registry), "--central-key", str(keys.central_private),
         "--json", "--expect-complete"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    [kiosk] = [row["kiosk"] for row in rows if "kiosk" in row]
    with Outbox(tmp_path / "state" / "outbox.db") as box:
        sealed = box.status().last_seq
    assert kiosk["records"] == sealed == kiosk["last_seq"]
    assert kiosk["duplicates"] == [] and kiosk["ok"]
    return sealed


@pytest.fixture
def jetstream(nats_server: NatsServer) -> NatsServer:
    asyncio.run(_add_stream(nats_server.url))
    return nats_server


def test_once_ends_within_its_deadline_when_nats_dies_mid_batch(
    tmp_path: Path, keys: Keys, jetstream: NatsServer, request: pytest.FixtureRequest
) -> None:
    env = write_config(tmp_path, keys, jetstream)
    rng = random.Random(20)
    noticed: list[float] = []
    for round_ in range(rounds(request)):
        seal_large(tmp_path, keys, 250, rng)
        forward = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "forward", "--once"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        sig = signal.SIGKILL if round_ % 2 == 0 else signal.SIGTERM
        killed = kill_mid_batch(jetstream, sig, at_least=rng.randint(3, 40))
        try:
            _, err = forward.communicate(timeout=TIMEOUT + 20)
        except subprocess.TimeoutExpired:
            forward.kill()
            pytest.fail("kiosk forward --once hung after the server died")
        noticed.append(time.monotonic() - killed)
        errors = [line for line in err.decode().splitlines() if line.startswith("kiosk: error:")]
        assert forward.returncode == 1, err.decode()
        assert len(errors) == 1 and "NATS" in errors[0], err.decode()
        assert noticed[-1] <= TIMEOUT + 1 + 1.5  # + the Python process's own exit
        assert pending(tmp_path) > 0  # what was not acknowledged stays pending
        jetstream.start()
        again = subprocess.run(
            [sys.executable, "-m", "kiosk", "forward", "--once"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert pending(tmp_path) == 0
    print(f"\n--once: server death to exit, per round: {[round(s, 2) for s in noticed]} s")
    verify_all_once(tmp_path, keys, jetstream, env)


def test_daemon_notices_within_its_deadline_then_resumes(
    tmp_path: Path, keys: Keys, jetstream: NatsServer, request: pytest.FixtureRequest
) -> None:
    env = write_config(tmp_path, keys, jetstream)
    rng = random.Random(21)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--log-level", "INFO", "forward"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    log = Lines(daemon)
    noticed: list[float] = []
    try:
        for round_ in range(rounds(request)):
            seal_large(tmp_path, keys, 250, rng)
            sig = signal.SIGTERM if round_ % 2 == 0 else signal.SIGKILL
            killed = kill_mid_batch(jetstream, sig, at_least=rng.randint(3, 40))
            seen = log.first_after(killed, "link down", TIMEOUT + 5)
            assert seen is not None, "\n".join(line for _, line in log.lines[-20:])
            noticed.append(seen - killed)
            assert noticed[-1] <= TIMEOUT + 1, f"round {round_}, {sig!r}: {noticed}"
            time.sleep(rng.uniform(0.2, 1.0))
            jetstream.start()
            deadline = time.monotonic() + 60
            while pending(tmp_path):
                assert daemon.poll() is None, "the daemon died"
                assert time.monotonic() < deadline, "the daemon did not resume"
                time.sleep(0.1)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(20)
    assert daemon.returncode == 0
    print(f"\ndaemon: server death to 'link down', per round: {[round(s, 2) for s in noticed]} s")
    verify_all_once(tmp_path, keys, jetstream, env)


def test_once_ends_within_its_deadline_when_nats_hangs_mid_batch(
    tmp_path: Path, keys: Keys, jetstream: NatsServer
) -> None:
    """SIGSTOP: the connection stays open but nothing answers (a hung server, a link that
    went silent). No disconnect is ever reported; the PubAck deadline ends the batch."""
    env = write_config(tmp_path, keys, jetstream)
    seal_large(tmp_path, keys, 250, random.Random(22))
    forward = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "forward", "--once"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    start = asyncio.run(_stored(jetstream.url))
    while asyncio.run(_stored(jetstream.url)) < start + 5:
        time.sleep(0.01)
    assert jetstream.process is not None
    jetstream.process.send_signal(signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        _, err = forward.communicate(timeout=TIMEOUT + 20)
    except subprocess.TimeoutExpired:
        forward.kill()
        pytest.fail("kiosk forward --once hung on a silent server")
    finally:
        jetstream.process.send_signal(signal.SIGCONT)
    took = time.monotonic() - stopped
    print(f"\n--once: silent server to exit: {took:.2f} s")
    assert forward.returncode == 1
    assert "no acknowledgement for 2 s" in err.decode(), err.decode()
    assert took <= TIMEOUT + 1 + 1.5  # + the Python process's own exit
    assert pending(tmp_path) > 0
    again = subprocess.run(
        [sys.executable, "-m", "kiosk", "forward", "--once"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    verify_all_once(tmp_path, keys, jetstream, env)
