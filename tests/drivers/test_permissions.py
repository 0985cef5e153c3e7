"""Permission denied, for real: root-owned 0600 device nodes opened by an unprivileged process.

The device end is a real pty from the emulators; its /dev/pts node is made root:root 0600,
and `kiosk` runs as nobody (see `unprivileged`). The same command with the node opened up
to everyone must get past the open, so the refusal is known to come from the permissions.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from replaykit import record_touch, write_testbed
from unprivileged import interpreter, kiosk_as_nobody, run_as_nobody

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


@pytest.mark.skipif(shutil.which("umockdev-run") is None, reason="umockdev is not installed")
def test_uru4000_node_the_user_may_not_open() -> None:
    """A U.are.U whose usbfs node denies the user: listed with the fix, and a one-line error.

    umockdev's testbed belongs to whoever runs it, so the node is made mode 000 inside it
    (the owner, not being root, is then refused like any other user).
    """
    found = interpreter()
    assert found is not None
    python, env = found
    backend, trace = record_touch(np.zeros((290, 384), dtype=np.uint8))
    with tempfile.TemporaryDirectory(prefix="kiosk-perm-") as directory:
        os.chmod(directory, 0o755)
        options = write_testbed(Path(directory), backend, trace)
        for name in os.listdir(directory):
            os.chmod(os.path.join(directory, name), 0o644)
        node = "/dev/bus/usb/001/007"
        lock = f'chmod 000 "$UMOCKDEV_DIR{node}" && exec "$@"'

        def in_testbed(*args: str, locked: bool = True) -> tuple[int, str, str]:
            shell = ["sh", "-c", lock if locked else 'exec "$@"', "sh"]
            result = run_as_nobody(["umockdev-run", *options, "--", *shell, *python, *args], env)
            stderr = [line for line in result.stderr.splitlines() if not line.startswith("**")]
            return result.returncode, result.stdout, "\n".join(stderr)

        code, listing, _ = in_testbed("devices")
        assert code == 0
        assert "usb:1:7" in listing and "uru4000" in listing
        assert f"note: permission denied on {node}: add the user to the 'kiosk' group" in listing
        code, out, err = in_testbed("devices", "test", "usb:1:7", "--timeout", "2")
        assert code == 1 and out == ""
        _assert_permission_line(err, node)
        # Control: the same user and testbed with the node left readable captures the image.
        code, out, err = in_testbed("devices", "test", "usb:1:7", "--timeout", "2", locked=False)
    assert code == 0, err
    assert out.startswith("uru4000: captured 384x290 image")
