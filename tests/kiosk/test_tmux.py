"""End to end in a real terminal: `kiosk run --sim` in tmux, keys typed with send-keys,
the screen read with capture-pane, and the sealed record found in the outbox."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from outbox.store import Outbox

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def alive(session: str) -> bool:
    return (
        subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0
    )


def wait_for(session: str, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-t", session, "-p")
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def keys(session: str, *keys: str) -> None:
    """One key at a time, as a person types (a burst can arrive as one paste)."""
    for key in keys:
        tmux("send-keys", "-t", session, key)
        time.sleep(0.05)


def type_officer_id(session: str, officer: str, attempts: int = 5) -> None:
    """The login screen is drawn before its input takes keys, and how long that takes
    depends on the machine: type until the input shows the id (its hint "e.g. demo" goes)."""
    for _ in range(attempts):
        keys(session, *officer)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if "e.g. demo" not in tmux("capture-pane", "-t", session, "-p"):
                return
            time.sleep(0.2)
    raise AssertionError("the officer id input never took the keys")


def test_register_a_traveller_in_a_real_terminal(tmp_path: Path) -> None:
    session = f"kiosk-{uuid.uuid4().hex[:8]}"
    sim_dir = tmp_path / "sim"
    command = f"{sys.executable} -m kiosk run --sim --sim-dir {sim_dir}"
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
    try:
        wait_for(session, "Officer id")
        type_officer_id(session, "demo")
        keys(session, "Enter", *"123456", "Enter")
        wait_for(session, "Waiting for a document")
        keys(session, "s")
        screen = wait_for(session, "Enter to confirm")
        assert "✔ all check digits hold" in screen and "FAIL" not in screen
        keys(session, "Enter")
        wait_for(session, "Face: ")  # the first demo traveller's lamp is off at first
        face_screen = wait_for(session, "▀")  # the live preview, in half blocks
        # A first start renders the demo faces in another process: seconds on a busy machine.
        screen = wait_for(session, "Face captured automatically", timeout=40)
        for finger in ("right index", "left index"):
            wait_for(session, f"place the {finger}")
            keys(session, "p")
            screen = wait_for(session, f"{finger}: NFIQ 2")
            if "place it again" in screen:  # a poor first try (every other demo traveller)
                keys(session, "p")
                wait_for(session, "attempt 2")
        screen = wait_for(session, "REVIEW before sealing")
        assert "Overrides none" in screen
        keys(session, "a")
        screen = wait_for(session, "saved: ")
        assert "ADMITTED (entry) · record " in screen
        shown = screen.split("· record ")[1]
        record_id = shown[: len(shown) - len(shown.lstrip("0123456789abcdef-"))]
        keys(session, "C-q")  # no traveller in progress: the kiosk logs out and stops
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and alive(session):
            time.sleep(0.2)
        assert not alive(session), "Ctrl+Q did not stop the kiosk"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    with Outbox(sim_dir / "state" / "outbox.db") as box:
        kinds = {str(uuid.UUID(bytes=bytes(row[1]))): row[2] for row in box.records()}
    assert len(record_id) == 8
    [saved] = [rid for rid, kind in kinds.items() if kind == "traveller"]
    assert saved.startswith(record_id)  # the dashed form `kiosk outbox list` prints
    assert sorted(kinds.values()).count("audit") >= 2  # the login and the logout
    print(face_screen)  # for the record: the face step as a terminal shows it


def test_login_typed_before_the_screen_is_drawn_is_not_lost(tmp_path: Path) -> None:
    """An officer who types id and PIN at 50 ms a key right after starting the kiosk,
    before the login screen is even drawn, is logged in: no key lost or misplaced."""
    from kiosk import sim

    sim_dir = tmp_path / "sim"
    sim.prepare(sim_dir)  # provisioned before: the start is then like a kiosk's
    session = f"kiosk-{uuid.uuid4().hex[:8]}"
    command = f"{sys.executable} -m kiosk run --sim --sim-dir {sim_dir}"
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    try:
        keys(session, *"demo", "Enter", *"123456", "Enter")
        screen = wait_for(session, "Waiting for a document", timeout=30)
        assert "demo │ ENTRY" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
