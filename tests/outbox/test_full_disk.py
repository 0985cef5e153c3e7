"""A disk that really fills up (a tmpfs in a private mount namespace), and the forwarder
talking to systemd."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from outbox.heartbeat import Diverted
from outbox.heartbeat import verify as verify_heartbeat
from outbox.keys import load_central_private
from outbox.verify import load_registry, read_sources, verify
from tests.outbox.conftest import Keys

SCENARIO = r"""
import asyncio, json, os, random, shutil, sqlite3, sys, threading, time
from pathlib import Path
from outbox.errors import OutboxFull
from outbox.forward import Forwarder
from outbox.heartbeat import Signer
from outbox.keys import kid, load_central_public, load_signing_key
from outbox.store import Identity, Outbox
from outbox.transports import open_transport

disk, media, signing, central, reserve, mode, rounds = sys.argv[1:8]
reserve, rounds = int(reserve), int(rounds)
key = load_signing_key(Path(signing))
identity = Identity("K-1", "P", key, load_central_public(Path(central)))
rng = random.Random(5)
lowest = [shutil.disk_usage(disk).free]
watching = True

def watch():  # the disk's free room, sampled all along
    while watching:
        lowest[0] = min(lowest[0], shutil.disk_usage(disk).free)
        time.sleep(0.002)

threading.Thread(target=watch, daemon=True).start()
box = Outbox(Path(disk) / "outbox.db", reserve_bytes=reserve)
sealed, refusal = 0, ""
if mode == "other-writer":  # someone else fills the disk after a measurement
    box.seal(identity, "test", "t", "entry", {"n": 0})
    sealed = 1
    free = shutil.disk_usage(disk).free
    Path(disk, "ballast").write_bytes(b"\0" * (free - reserve // 2))
    time.sleep(1.1)
if mode == "zero-free":  # someone else takes every last byte after the records were sealed
    for _ in range(20):
        box.seal(identity, "test", "t", "entry", {"pad": os.urandom(80_000)})
        sealed += 1
    fd = os.open(Path(disk, "ballast"), os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        os.close(fd)
    result_free = shutil.disk_usage(disk).free
    lowest[0] = result_free
try:
    while mode != "zero-free":
        box.seal(identity, "test", "t", "entry", {"pad": os.urandom(rng.randint(50_000, 100_000))})
        sealed += 1
except OutboxFull as exc:
    refusal = str(exc)
result = {"sealed": sealed, "refusal": refusal, "free_after_fill": shutil.disk_usage(disk).free,
          "lowest_while_sealing": lowest[0],
          "wal": os.path.getsize(Path(disk) / "outbox.db-wal")}
if mode in ("fill-and-drain", "zero-free"):
    transport = open_transport("dir", {"path": media}, "K-1", "P")
    signer = Signer("K-1", "P", key, kid(key.public_key()))
    forwarder = Forwarder(box, transport, batch_size=20, retention_seconds=30 * 86400,
                          heartbeat=signer)
    result["delivered"] = asyncio.run(forwarder.run_once())
    result["pending"] = box.status().pending
    result["kept"] = len(box.records()) - box.status().header_only  # with a body
    if mode == "fill-and-drain":
        again = [box.seal(identity, "test", "t", "entry", {"pad": os.urandom(80_000)}).seq
                 for _ in range(5)]
        result["sealed_again"] = again
        result["rounds"] = []  # fill until refused, drain: again and again
        for _ in range(rounds - 1):
            count = 0
            try:
                while True:
                    box.seal(identity, "test", "t", "entry",
                             {"pad": os.urandom(rng.randint(50_000, 100_000))})
                    count += 1
            except OutboxFull:
                pass
            delivered = asyncio.run(forwarder.run_once())
            result["rounds"].append([count, delivered, box.status().pending])
watching = False
time.sleep(0.01)
box.close()
db = sqlite3.connect(Path(disk) / "outbox.db")
result["integrity"] = db.execute("PRAGMA integrity_check").fetchone()[0]
result["lowest_free"] = lowest[0]
print(json.dumps(result))
"""


def run_on_small_disk(
    tmp_path: Path, keys: Keys, size_mb: int, reserve: int, mode: str, rounds: int = 1
) -> dict:
    """The scenario in a private mount namespace (unshare -m) with its own tmpfs, so a
    real file system fills up and nothing outside the test sees the mount."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("a private tmpfs needs root and unshare(1) (util-linux)")
    disk, media = tmp_path / "small", tmp_path / "media"
    disk.mkdir()
    media.mkdir()
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "tmpfs", str(disk)],
        capture_output=True, text=True,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a private mount namespace: {probe.stderr.strip()}")
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO)
    shell = f'mount -t tmpfs -o size={size_mb}m tmpfs "$1" && shift && exec "$@"'
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", shell, "sh", str(disk),
         sys.executable, str(script), str(disk), str(media), str(keys.signing),
         str(keys.central_public), str(reserve), mode, str(rounds)],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return {**json.loads(done.stdout.splitlines()[-1]), "log": done.stderr[-1500:]}


def test_full_disk_refuses_keeps_the_reserve_then_drains_and_purges(
    tmp_path: Path, keys: Keys, request: pytest.FixtureRequest
) -> None:
    """One fill-and-drain round in CI; `--slow` runs ten, the reserve watched throughout."""
    reserve = 2 * 1024**2
    rounds = 10 if request.config.getoption("--slow") else 1
    result = run_on_small_disk(tmp_path, keys, 24, reserve, "fill-and-drain", rounds)
    assert result["sealed"] >= 50
    assert "nearly full" in result["refusal"] and "nothing was sealed" in result["refusal"]
    assert "kept in reserve for the forwarder" in result["refusal"]
    assert result["lowest_free"] >= reserve, result  # never crossed, sealing or forwarding
    assert result["delivered"] == result["sealed"] and result["pending"] == 0
    assert result["kept"] < result["sealed"]  # delivered records made room before retention
    n = result["sealed"]
    assert result["sealed_again"] == list(range(n + 1, n + 6))  # the room came back
    assert len(result["rounds"]) == rounds - 1
    for count, delivered, pending in result["rounds"]:
        assert count >= 20 and pending == 0 and delivered >= count
    if rounds > 1:  # the five sealed again went with the second round
        n += 5 + sum(r[0] for r in result["rounds"])
    assert result["integrity"] == "ok"
    sources = Diverted(read_sources([tmp_path / "media"]))
    records, kiosks = verify(
        sources, load_registry(keys.registry), load_central_private(keys.central_private)
    )
    assert all(not r.problems for r in records)
    assert kiosks[0].records == n and kiosks[0].ok and kiosks[0].duplicates == []
    assert len(sources.heartbeats) == 1
    assert (
        verify_heartbeat(
            sources.heartbeats[0][1], lambda k: load_registry(keys.registry).get(k or b""), "h"
        ).last_seq
        == n
    )


def test_forwarder_marks_and_purges_on_a_disk_with_not_one_byte_free(
    tmp_path: Path, keys: Keys
) -> None:
    """Something else took the reserve too: marking delivered still works (a few bytes in
    the WAL's room already on disk) and the purge gives room back."""
    result = run_on_small_disk(tmp_path, keys, 16, 1024**2, "zero-free")
    assert result["delivered"] == 20 and result["pending"] == 0, result
    assert result["kept"] == 0 and result["integrity"] == "ok", result["log"]


def test_room_taken_by_another_writer_is_noticed_within_a_second(
    tmp_path: Path, keys: Keys
) -> None:
    """The guard measures the disk only now and then; someone else filling it still counts."""
    result = run_on_small_disk(tmp_path, keys, 16, 1024**2, "other-writer")
    assert result["sealed"] == 1 and "kept in reserve" in result["refusal"]
    assert result["integrity"] == "ok"


def test_forwarder_reports_ready_status_and_watchdog(tmp_path: Path, keys: Keys) -> None:
    media = tmp_path / "media"
    media.mkdir()
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[kiosk]\nid = "K-1"\npost = "P"\nstate_dir = "{tmp_path}"\n'
        f'[keys]\nsigning_key = "{keys.signing}"\ncentral_public_key = "{keys.central_public}"\n'
        f'[forward]\ntransport = "dir"\n[forward.dir]\npath = "{media}"\n'
    )
    notify = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    listener.settimeout(20)
    env = {
        **os.environ,
        "KIOSK_CONFIG": str(config),
        "NOTIFY_SOCKET": str(notify),
        "WATCHDOG_USEC": "400000",
    }
    daemon = subprocess.Popen([sys.executable, "-m", "kiosk", "forward"], env=env)
    try:
        seen: list[str] = []
        while not ({"READY=1", "WATCHDOG=1"} <= set(seen) and any("STATUS=" in s for s in seen)):
            seen += listener.recv(4096).decode().splitlines()
    finally:
        daemon.terminate()
        daemon.wait(10)
        listener.close()
    assert daemon.returncode == 0  # SIGTERM is a clean stop
    assert any(s.startswith("STATUS=0 pending") for s in seen)
