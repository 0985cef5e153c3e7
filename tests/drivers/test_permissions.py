"""Permission denied, for real: root-owned 0600 device nodes opened by an unprivileged process.

The device end is a real pty from the emulators; its /dev/pts node is made root:root 0600,
and `kiosk` runs as nobody (see `unprivileged`). The same command with the node opened up
to everyone must get past the open, so the refusal is known to come from the permissions.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from unprivileged import interpreter, kiosk_as_nobody

from drivers.mrz_serial import PRESETS
from drivers.sim.mrz_reader import MRZReaderEmulator
from drivers.sim.zhiantec import ZhianTecEmulator

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root: the test hands a root-owned node to a process that dropped root",
)


@pytest.fixture(autouse=True)
def _runs_as_nobody() -> None:
    if interpreter() is None:
        pytest.skip("no Python interpreter that uid 65534 may run with this checkout")


def _lock_down(node: str) -> None:
    os.chown(node, 0, 0)
    os.chmod(node, 0o600)


def _assert_permission_line(stderr: str, node: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert f"permission denied on {node}" in lines[0]
    assert "'kiosk' group" in lines[0] and "udev rules" in lines[0]


def test_mrz_serial_on_a_root_only_port() -> None:
    with MRZReaderEmulator(PRESETS["cr"]) as emulator:
        node = emulator.tty_path
        _lock_down(node)
        denied = kiosk_as_nobody(
            "devices", "test", node, "--driver", "mrz-serial", "--timeout", "1"
        )
        assert denied.returncode == 1 and denied.stdout == ""
        _assert_permission_line(denied.stderr, node)
        # Control: the same user on the same node, opened up, reaches the reader.
        os.chmod(node, 0o666)
        allowed = kiosk_as_nobody(
            "devices", "test", node, "--driver", "mrz-serial", "--timeout", "0.5"
        )
    assert "permission" not in allowed.stderr
    assert allowed.returncode == 1 and "no document" in allowed.stderr, allowed.stderr


def test_zhiantec_on_a_root_only_port(finger_256: np.ndarray) -> None:
    with ZhianTecEmulator() as emulator:
        emulator.place_finger(finger_256)
        node = emulator.tty_path
        _lock_down(node)
        denied = kiosk_as_nobody("devices", "test", node, "--driver", "zhiantec", "--json")
        assert denied.returncode == 1 and denied.stdout == ""
        _assert_permission_line(denied.stderr, node)
        assert emulator.commands == []  # nothing reached the module
        os.chmod(node, 0o666)
        allowed = kiosk_as_nobody("devices", "test", node, "--driver", "zhiantec", "--json")
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["width"] == 256
