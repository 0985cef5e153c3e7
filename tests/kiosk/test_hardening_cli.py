"""The review's smaller findings at the command line: root-owned state files, non-UTF-8
input, configuration values that gave tracebacks."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from tests.kiosk.test_cli import run_kiosk
from tests.kiosk.test_outbox_cli import provisioned  # noqa: F401 - a fixture

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


def test_provision_check_names_every_bad_value_with_file_line_and_key(
    provisioned: Path,  # noqa: F811
) -> None:
    """Each of these gave a traceback at start, and `provision check` said "ready"."""
    config = provisioned / "etc" / "kiosk.toml"
    base = config.read_text()
    added = [
        "[ui]",
        'idle_lock_minutes = "five"',
        "[policy]",
        "fingers = 5",
        "[devices.mrz]",
        'driver = "mrz-serial"',
        'port = "/dev/ttyUSB0"',
        "framing = 5",
        "[devices.fingerprint]",
        'driver = "fingerprint-9000"',
        'port = "/dev/ttyUSB1"',
        "[devices.face_camera]",
        'driver = "camera"',
        'port = "/dev/video0"',
        "fps = " + "[" * 5000 + "]" * 5000,
    ]
    config.write_text(base + "\n" + "\n".join(added) + "\n")
    first = len(base.splitlines()) + 2
    result = run_kiosk("provision", "check")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "ready" not in result.stdout
    assert result.stderr.strip() == f"{config}: not valid TOML: arrays or tables nest too deep"

    added[-1] = "fps = " + "[" * 50 + "]" * 50
    config.write_text(base + "\n" + "\n".join(added) + "\n")
    result = run_kiosk("provision", "check")
    line = {text: first + i for i, text in enumerate(added)}
    lines = result.stderr.splitlines()
    assert lines[:4] == [
        f"{config}:{line[added[1]]}: [ui] idle_lock_minutes: 'five' is the wrong type; "
        "e.g. idle_lock_minutes = 5",
        f"{config}:{line['fingers = 5']}: [policy] fingers: 5 is the wrong type; "
        "e.g. fingers = [2, 7]",
        f"{config}:{line['framing = 5']}: [devices.mrz] framing: 5 is the wrong type; "
        'e.g. framing = "cr"',
        f"{config}:{line[added[9]]}: [devices.fingerprint] driver: 'fingerprint-9000': "
        "use one of camera, mrz-serial, pcsc, uru4000, zhiantec",
    ]
    assert len(lines) == 5 and lines[4].startswith(f"{config}:{line[added[-1]]}: ")
    assert "[devices.face_camera] fps:" in lines[4]
    assert "is the wrong type; e.g. fps = 30" in lines[4]
    # The services refuse the same file with the first of these lines.
    status = run_kiosk("outbox", "status")
    assert status.returncode == 1
    assert status.stderr == "kiosk: error: " + result.stderr.splitlines()[0] + "\n"
