"""Device I/O: serial MRZ readers, fingerprint scanners (UART and USB), cameras.

Drivers turn device traffic into typed events; they never parse MRZ or judge quality.
`drivers.sim` holds wire-level emulators of each device. Concrete drivers are registered by
name in `drivers.registry` and imported lazily, so a missing optional library only breaks its
own driver (the python-can shape).
"""

from __future__ import annotations

#: The group that udev rules (systemd/) give access to device nodes.
SERVICE_GROUP = "kiosk"


class DeviceError(Exception):
    """Base class of device errors; the message says what a technician can do."""


class DeviceNotFound(DeviceError):
    """The device node or USB device is not there (unplugged, wrong path)."""


class DeviceBusy(DeviceError):
    """Another process holds the device open."""


class DevicePermissionDenied(DeviceError):
    """The process may not open the device node; the message names the udev group."""


class DeviceTimeout(DeviceError):
    """The device did not answer in time."""


class DeviceLost(DeviceError):
    """The device went away while in use (unplugged, port closed)."""


class ProtocolError(DeviceError):
    """Malformed traffic: garbage, truncated frames, bad checksums, wrong baud rate."""


def permission_message(path: str) -> str:
    """The one-line fix for a permission error, naming the service group."""
    return (
        f"permission denied on {path}: add the user to the '{SERVICE_GROUP}' group "
        f"(sudo usermod -aG {SERVICE_GROUP} $USER, then log in again) and install the "
        "kiosk udev rules"
    )


__all__ = [
    "SERVICE_GROUP",
    "DeviceBusy",
    "DeviceError",
    "DeviceLost",
    "DeviceNotFound",
    "DevicePermissionDenied",
    "DeviceTimeout",
    "ProtocolError",
    "permission_message",
]
