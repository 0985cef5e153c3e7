"""What is connected: serial ports, U.are.U scanners on USB, V4L2 cameras."""

from __future__ import annotations

import glob
import logging
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from drivers import DeviceError, DeviceNotFound

log = logging.getLogger(__name__)

#: USB-serial bridges commonly wired to fingerprint modules and MRZ readers.
SERIAL_BRIDGES: dict[tuple[int, int], str] = {
    (0x10C4, 0xEA60): "Silicon Labs CP210x",
    (0x1A86, 0x7523): "WCH CH340",
    (0x0403, 0x6001): "FTDI FT232R",
    (0x0403, 0x6015): "FTDI FT231X",
    (0x067B, 0x2303): "Prolific PL2303",
}


@dataclass
class FoundDevice:
    """One discovered device, as `kiosk devices` shows it."""

    id: str
    kind: str  # serial | usb | video | pcsc
    path: str
    driver: str | None
    description: str
    usb_id: str | None = None
    serial_number: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _access_note(path: str) -> list[str]:
    if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
        from drivers import permission_message

        return [permission_message(path)]
    return []


def serial_ports() -> list[FoundDevice]:
    from serial.tools import list_ports

    found = []
    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        usb_id = f"{port.vid:04x}:{port.pid:04x}" if port.vid is not None else None
        bridge = SERIAL_BRIDGES.get((port.vid or 0, port.pid or 0))
        description = port.description if port.description != "n/a" else "serial port"
        notes = _access_note(port.device)
        if bridge:
            notes.append(f"{bridge} USB-serial bridge: MRZ reader or fingerprint module")
        notes.append("pick the driver with --driver mrz-serial or --driver zhiantec")
        found.append(
            FoundDevice(
                id=f"serial:{port.device}",
                kind="serial",
                path=port.device,
                driver=None,
                description=description,
                usb_id=usb_id,
                serial_number=port.serial_number,
                notes=notes,
            )
        )
    return found


def usb_scanners(backend: Any = None) -> list[FoundDevice]:
    from drivers import uru4000_protocol as up
    from drivers.uru4000 import find_scanners

    found = []
    for dev in find_scanners(backend):
        path = f"usb:{dev.bus}:{dev.address}"
        node = f"/dev/bus/usb/{dev.bus:03d}/{dev.address:03d}"
        found.append(
            FoundDevice(
                id=path,
                kind="usb",
                path=path,
                driver="uru4000",
                description=up.MODELS[(dev.idVendor, dev.idProduct)],
                usb_id=f"{dev.idVendor:04x}:{dev.idProduct:04x}",
                notes=_access_note(node),
            )
        )
    return found


def cameras(sysfs: str = "/sys/class/video4linux") -> list[FoundDevice]:
    found = []
    for node in sorted(glob.glob("/dev/video*")):
        name_file = os.path.join(sysfs, os.path.basename(node), "name")
        try:
            with open(name_file, encoding="utf-8") as handle:
                name = handle.read().strip()
        except OSError:
            name = "V4L2 device"
        found.append(
            FoundDevice(
                id=f"video:{node}",
                kind="video",
                path=node,
                driver="camera",
                description=name,
                notes=_access_note(node),
            )
        )
    return found


def pcsc_readers() -> list[FoundDevice]:
    """PC/SC readers (contactless chip readers); none when pcscd is not running."""
    from drivers.pcsc import PCSCUnavailable, list_readers

    try:
        names = list_readers()
    except PCSCUnavailable:
        return []
    return [
        FoundDevice(id=f"pcsc:{name}", kind="pcsc", path=name, driver="pcsc", description=name)
        for name in names
    ]


def discover(usb_backend: Any = None) -> tuple[list[FoundDevice], list[str]]:
    """Every device found, and warnings for the buses that could not be searched."""
    devices: list[FoundDevice] = []
    warnings: list[str] = []
    for label, probe in (
        ("serial ports", serial_ports),
        ("USB", lambda: usb_scanners(usb_backend)),
        ("cameras", cameras),
        ("PC/SC readers", pcsc_readers),
    ):
        try:
            devices.extend(probe())
        except (DeviceError, OSError, ImportError) as exc:
            warnings.append(f"{label} not searched: {exc}")
    return devices, warnings


@dataclass(frozen=True)
class Target:
    """What `kiosk devices test` should open."""

    driver: str
    path: str
    bus: int | None = None
    address: int | None = None


def resolve(device: str, driver: str | None) -> Target:
    """A discovered id (`serial:...`, `usb:BUS:ADDR`, `video:...`) or a path, plus a driver."""
    if device.startswith("usb:"):
        parts = device[4:].split(":")
        try:
            bus, address = (int(parts[0]), int(parts[1])) if len(parts) == 2 else (None, None)
        except ValueError:
            raise DeviceError(f"bad USB device id {device!r}: use usb:BUS:ADDRESS") from None
        if driver not in (None, "uru4000"):
            raise DeviceError(f"{device} is a USB scanner: only the uru4000 driver fits")
        return Target("uru4000", device, bus, address)
    if device.startswith("pcsc:") or driver == "pcsc":
        return Target("pcsc", device.removeprefix("pcsc:"))
    for prefix in ("serial:", "video:"):
        if device.startswith(prefix):
            device = device[len(prefix) :]
    is_camera = device.startswith("/dev/video") or device.isdigit()
    if not is_camera and "%" not in device and not os.path.exists(device):
        raise DeviceNotFound(f"{device}: no such device (unplugged or wrong path?)")
    if driver is None:
        if is_camera:
            return Target("camera", device)
        raise DeviceError(
            f"cannot tell which driver fits {device}: pass --driver "
            "mrz-serial, zhiantec, uru4000 or camera"
        )
    return Target(driver, device)
