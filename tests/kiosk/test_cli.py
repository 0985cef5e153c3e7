"""The CLI contract: every command group exists; bad usage is one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys


def run_kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_every_command() -> None:
    result = run_kiosk("--help")
    assert result.returncode == 0
    for command in (
        "run",
        "mrz",
        "devices",
        "selftest",
        "provision",
        "outbox",
        "forward",
        "verify",
    ):
        assert command in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run_kiosk("teleport")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
