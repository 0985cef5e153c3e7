"""The review's smaller findings at the command line: root-owned state files, non-UTF-8
input, configuration values that gave tracebacks."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from tests.kiosk.test_cli import run_kiosk

MRZ = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
@pytest.mark.parametrize(
    "command",
    [
        ["provision", "officer", "add", "anna", "--name", "Anna"],
        ["outbox", "status"],
        ["forward", "--once"],
        ["provision", "rotate-key"],
    ],
)
def test_state_commands_refuse_root_where_the_service_user_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """As root they left officers.db / outbox.db owned by root: the service then failed
    with 'unable to open database file'."""
    user = pwd.getpwuid(65534).pw_name  # nobody: an account that is not root
    monkeypatch.setenv("KIOSK_SERVICE_USER", user)
    monkeypatch.setenv("KIOSK_STATE_DIR", str(tmp_path))
    result = run_kiosk(*command, stdin="123456\n")
    assert result.returncode == 1
    assert result.stderr.startswith(f"kiosk: error: do not run 'kiosk {command[0]}")
    assert f"run: sudo -u {user} kiosk {' '.join(command)}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_mrz_parse_names_the_offset_of_a_non_utf8_byte() -> None:
    import subprocess
    import sys

    data = MRZ.encode() + b"\nP<UTO\xffX\n"
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "mrz", "parse", "--json"],
        input=data,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout.count(b'"format": "TD3"') == 1  # what came before is still read
    assert result.stderr.decode() == (
        f"kiosk: error: standard input is not UTF-8 text: byte 0xff at offset {len(MRZ) + 6}\n"
    )
