"""A disk that really fills up (a 2 MB tmpfs), and the forwarder talking to systemd."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from outbox.errors import OutboxFull
from outbox.store import Identity, Outbox
from tests.outbox.conftest import Keys


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize(
    ("reserve", "message"),
    [
        (256 * 1024, "MiB are kept in reserve"),  # the guard refuses first
        (-(10**9), "is full; nothing was sealed"),  # guard off: SQLite's own "disk full"
    ],
)
def test_full_disk_refuses_cleanly_and_loses_nothing(
    small_disk: Path, identity: Identity, reserve: int, message: str
) -> None:
    db = small_disk / "outbox.db"
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * 600_000)
    sealed = []
    with Outbox(db, reserve_bytes=reserve) as box:
        with pytest.raises(OutboxFull, match=message):
            for _ in range(100):
                sealed.append(
                    box.seal(identity, "test", "t", "entry", {"pad": os.urandom(100_000)})
                )
        assert len(sealed) >= 3
        assert [p.seq for p in box.pending(1000)] == [s.seq for s in sealed]
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    ballast.unlink()  # room is made: the chain goes on without a gap
    with Outbox(db, reserve_bytes=0) as box:
        assert box.seal(identity, "test", "t", "entry", {"n": 1}).seq == len(sealed) + 1


def test_room_taken_by_another_writer_is_noticed_within_a_second(
    small_disk: Path, identity: Identity
) -> None:
    """The guard measures the disk only now and then; someone else filling it still counts."""
    db = small_disk / "outbox.db"
    with Outbox(db, reserve_bytes=256 * 1024) as box:
        box.seal(identity, "test", "t", "entry", {"n": 1})  # measured: plenty of room
        free = shutil.disk_usage(small_disk).free
        (small_disk / "ballast").write_bytes(b"\0" * (free - 200 * 1024))
        time.sleep(1.1)
        with pytest.raises(OutboxFull, match="MiB are kept in reserve"):
            box.seal(identity, "test", "t", "entry", {"n": 2})
        assert box.status().last_seq == 1


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
