"""`kiosk devices` and `kiosk devices test` on a U.are.U, through libusb, in a subprocess.

A subprocess cannot see the in-process pyusb emulator, so umockdev stands in for the kernel:
the emulator's descriptors become a sysfs device, and the transfers it served to our driver
in this process become a usbmon capture that umockdev replays to the subprocess, URB by URB
and in order (`drivers.sim.usbmon`). The replay answers only the traffic it holds, so the
subprocess's driver must issue the very same requests through the real libusb.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from replaykit import record_touch, write_testbed

from drivers import uru4000_protocol as up

pytestmark = pytest.mark.skipif(
    shutil.which("umockdev-run") is None, reason="umockdev is not installed (Debian: umockdev)"
)


def _finger() -> np.ndarray:
    y, x = np.mgrid[0 : up.HEIGHT, 0 : up.WIDTH]
    return ((np.sin(x / 4.0 + y / 7.0) + 1) * 100 + 20).astype(np.uint8)


def kiosk_in_testbed(options: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["umockdev-run", *options, "--", sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_kiosk_devices_finds_the_scanner_through_libusb(tmp_path: Path) -> None:
    backend, trace = record_touch(_finger())
    result = kiosk_in_testbed(write_testbed(tmp_path, backend, trace), "devices", "--json")
    assert result.returncode == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    scanners = [d for d in found if d["kind"] == "usb"]
    assert scanners == [
        {
            "id": "usb:1:7",
            "kind": "usb",
            "path": "usb:1:7",
            "driver": "uru4000",
            "description": "DigitalPersona U.are.U 4000B",
            "usb_id": "05ba:000a",
            "serial_number": None,
            "notes": [],
        }
    ]


def test_kiosk_devices_test_captures_the_image_in_a_subprocess(tmp_path: Path) -> None:
    finger = _finger()
    backend, trace = record_touch(finger)
    kinds = [t.kind for t in trace]
    assert kinds.count("bulk") == 1 and "interrupt" in kinds and "control" in kinds
    out = tmp_path / "finger.png"
    result = kiosk_in_testbed(
        write_testbed(tmp_path, backend, trace),
        "devices", "test", "usb:1:7", "--out", str(out), "--json", "--timeout", "5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["detail"] == "DigitalPersona U.are.U 4000B (USB 001/007)"
    assert (report["width"], report["height"]) == (384, 290)
    assert np.array_equal(cv2.imread(str(out), cv2.IMREAD_GRAYSCALE), finger)


def test_traffic_the_capture_does_not_hold_goes_unanswered(tmp_path: Path) -> None:
    """The replay checks what the driver sends: one changed register write and it stops."""
    backend, trace = record_touch(_finger())
    mode_writes = [i for i, t in enumerate(trace) if t.kind == "control" and t.setup[2] == 0x4E]
    changed = mode_writes[1]  # MODE_AWAIT_FINGER_ON, recorded as MODE_AWAIT_FINGER_OFF
    trace[changed] = dataclasses.replace(trace[changed], data=bytes([up.MODE_AWAIT_FINGER_OFF]))
    started = time.monotonic()
    result = kiosk_in_testbed(
        write_testbed(tmp_path, backend, trace),
        "devices", "test", "usb:1:7", "--timeout", "5",
    )  # fmt: skip
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("kiosk:")]
    assert errors == ["kiosk: error: DigitalPersona U.are.U 4000B: write register 0x4e timed out"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("stall", "the scanner stalled the image transfer (halt cleared)"),
        ("timeout", "no answer to the image transfer within 2 s"),
        ("disconnect", "unplugged (during image transfer)"),
        ("truncate", "truncated image"),
        ("noise", "bad image transfer (111424 bytes)"),
    ],
)
def test_image_transfer_faults_through_libusb_are_one_line(
    tmp_path: Path, fault: str, reason: str
) -> None:
    """The faults replayed as the kernel reports them (URB status -EPIPE, -ENODEV, no
    completion at all, short or random data): libusb's error reaches our one-line message."""
    backend, trace = record_touch(_finger(), fault)
    started = time.monotonic()
    result = kiosk_in_testbed(
        write_testbed(tmp_path, backend, trace), "devices", "test", "usb:1:7", "--timeout", "5"
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 1 and result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("kiosk:")]
    assert len(errors) == 1 and reason in errors[0], result.stderr
    assert "Traceback" not in result.stderr
