"""The emulated U.are.U for umockdev-run: record one capture in-process, write the testbed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drivers import DeviceError
from drivers.sim import usbmon
from drivers.sim.uru4000 import Transfer, URU4000Backend
from drivers.uru4000 import URU4000Scanner, find_scanners

SYSFS = "/devices/pci0000:00/0000:00:14.0/usb1/1-2"


def record_touch(
    finger: np.ndarray, fault: str | None = None
) -> tuple[URU4000Backend, list[Transfer]]:
    """One `kiosk devices test` capture in this process, against the recording emulator.

    The images are unscrambled: a scrambled capture has the driver send a fresh random
    challenge, which a replay cannot answer (see docs/devices.md).
    """
    backend = URU4000Backend(encrypt=False, record=True)
    scanner = URU4000Scanner(find_scanners(backend)[0])
    scanner.open()
    backend.place_finger(finger)
    if fault is None:
        scanner.wait_and_capture(2.0)
    else:
        backend.inject(fault)
        with pytest.raises(DeviceError):
            scanner.wait_and_capture(2.0)
    scanner.close()
    assert backend.trace is not None
    return backend, backend.trace


def write_testbed(directory: Path, backend: URU4000Backend, trace: list[Transfer]) -> list[str]:
    """The umockdev-run options that load the scanner and its capture."""
    device = directory / "uru4000.umockdev"
    device.write_text(usbmon.device_description(backend, SYSFS))
    capture = directory / "uru4000.pcap"
    capture.write_bytes(usbmon.pcap(trace, bus=1, address=7))
    return ["-d", str(device), "-p", f"/sys{SYSFS}={capture}"]
