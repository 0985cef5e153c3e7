"""SIGKILL at random points: of the sealing process, and of the forwarder daemon.

Afterwards every record whose seal() had returned is there, the sequence is gapless, the
chain intact, and every record reached the central side exactly once. 20 rounds each in
CI; `pytest --slow` runs 200.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from outbox.heartbeat import Diverted
from outbox.keys import load_central_private
from outbox.store import Outbox
from outbox.verify import load_registry, read_sources, verify
from tests.outbox.conftest import Keys

SEALER = """
import sys
from pathlib import Path
from outbox.keys import load_central_public, load_signing_key
from outbox.store import Identity, Outbox
db, signing, central = sys.argv[1:4]
identity = Identity("K-1", "P", load_signing_key(Path(signing)), load_central_public(Path(central)))
box = Outbox(Path(db))
while True:
    sealed = box.seal(identity, "test", "t", "entry", {"pad": b"x" * 20000})
    print(sealed.seq, flush=True)   # only after seal() returned: the record is durable
"""


def rounds(request: pytest.FixtureRequest) -> int:
    return 200 if request.config.getoption("--slow") else 20


def run_and_kill(args: list[str], env: dict[str, str] | None, delay: float) -> str:
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    out, _ = process.communicate(timeout=30)
    return out.decode()


def test_sigkill_while_sealing_loses_nothing_acknowledged(
    tmp_path: Path, keys: Keys, request: pytest.FixtureRequest
) -> None:
    db = tmp_path / "outbox.db"
    rng = random.Random(7)
    acknowledged: list[int] = []
    for _ in range(rounds(request)):
        out = run_and_kill(
            [sys.executable, "-c", SEALER, str(db), str(keys.signing), str(keys.central_public)],
            None,
            rng.uniform(0.3, 0.8),
        )
        acknowledged += [int(line) for line in out.split()]
    with Outbox(db) as box:
        seqs = [row[0] for row in box.records()]
        data = list(box.data())
    assert acknowledged, "the sealer never got going"
    assert set(acknowledged) <= set(seqs)
    assert seqs == list(range(1, len(seqs) + 1))  # gapless, even across kills
    records, kiosks = verify(
        [(str(seq), blob) for seq, blob in data],
        load_registry(keys.registry),
        load_central_private(keys.central_private),
    )
    assert all(not r.problems for r in records)
    assert kiosks[0].ok and kiosks[0].records == len(seqs)


def test_sigkill_of_the_forwarder_delivers_exactly_once(
    tmp_path: Path, keys: Keys, request: pytest.FixtureRequest
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f"""
[kiosk]
id = "K-1"
post = "UTO-N1"
state_dir = "{tmp_path}"
[keys]
signing_key = "{keys.signing}"
central_public_key = "{keys.central_public}"
[forward]
transport = "dir"
batch = 7
[forward.dir]
path = "{media}"
"""
    )
    env = {**os.environ, "KIOSK_CONFIG": str(config)}
    kiosk = [sys.executable, "-m", "kiosk"]
    rng = random.Random(11)
    total = 0
    for _ in range(rounds(request)):
        injected = subprocess.run(
            [*kiosk, "outbox", "inject", "--count", "15", "--size", "3000"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert injected.returncode == 0, injected.stderr
        total += 15
        run_and_kill([*kiosk, "forward"], env, rng.uniform(0.2, 0.6))
    done = subprocess.run(
        [*kiosk, "forward", "--once", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    files = sorted(media.glob("K-1-0*.cose"))
    assert len(files) == total  # exactly once: a re-sent record lands on its own name
    assert (media / "K-1-status.cose").exists()  # the forwarder's heartbeat
    records, kiosks = verify(
        Diverted(read_sources([media])),
        load_registry(keys.registry),
        load_central_private(keys.central_private),
    )
    assert all(not r.problems for r in records)
    assert kiosks[0].ok and kiosks[0].records == total and kiosks[0].duplicates == []
