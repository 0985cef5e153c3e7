"""Opening serial ports with errors a technician can act on (missing, busy, permission)."""

from __future__ import annotations

import errno
import logging

import serial

from drivers import (
    DeviceBusy,
    DeviceError,
    DeviceNotFound,
    DevicePermissionDenied,
    permission_message,
)

PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


log = logging.getLogger(__name__)


def open_serial(
    path: str, *, baudrate: int, parity: str = "N", timeout: float = 0.1
) -> serial.Serial:
    """Open `path` exclusively (flock), 8 data bits, one stop bit."""
    if parity not in PARITIES:
        raise DeviceError(f"unknown parity {parity!r}: use N, E or O")
    try:
        return serial.Serial(
            path,
            baudrate=baudrate,
            parity=PARITIES[parity],
            bytesize=serial.EIGHTBITS if parity == "N" else serial.SEVENBITS,
            stopbits=serial.STOPBITS_ONE,
            timeout=timeout,
            exclusive=True,
        )
    except serial.SerialException as exc:
        code = exc.errno
        if code == errno.ENOENT:
            raise DeviceNotFound(f"{path}: no such port (unplugged or wrong path?)") from exc
        if code in (errno.EACCES, errno.EPERM):
            raise DevicePermissionDenied(permission_message(path)) from exc
        if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK):
            raise DeviceBusy(
                f"{path} is busy: another program holds it open (stop it, e.g. the kiosk "
                "service, or check `fuser " + path + "`)"
            ) from exc
        raise DeviceError(f"cannot open {path}: {exc}") from exc
    except ValueError as exc:
        raise DeviceError(f"cannot open {path}: {exc}") from exc


def close_quietly(port: serial.Serial | None) -> None:
    """Close a port that may already be gone (unplugged): a failed close is not news."""
    if port is None:
        return
    try:
        port.close()
    except (OSError, serial.SerialException):
        log.debug("close of %s failed", port.port, exc_info=True)
