"""DigitalPersona U.are.U 4000B / 4500 over USB (pyusb, libusb-1.0).

Power on through the hardware-status register, wait for a finger on the interrupt
endpoint, capture on the bulk endpoint, de-scramble, wait for the finger to lift.
"""

from __future__ import annotations

import errno
import logging
import os
import struct
import time
from typing import Any

import numpy as np

from drivers import (
    DeviceBusy,
    DeviceError,
    DeviceLost,
    DeviceNotFound,
    DevicePermissionDenied,
    DeviceTimeout,
    ProtocolError,
    permission_message,
)
from drivers import uru4000_protocol as up
from drivers.base import Device, Notifier
from drivers.events import FingerImage, FingerPresence

log = logging.getLogger(__name__)


def _usb() -> Any:
    import usb.core

    return usb.core


def find_scanners(backend: Any = None) -> list[Any]:
    """Every connected U.are.U 4000/4000B/4500 (pyusb devices)."""
    core = _usb()
    try:
        found = core.find(
            find_all=True,
            backend=backend,
            custom_match=lambda d: (d.idVendor, d.idProduct) in up.MODELS,
        )
        return list(found)
    except core.NoBackendError as exc:
        raise DeviceError("libusb-1.0 is not installed (Debian package libusb-1.0-0)") from exc


class EndpointStalled(ProtocolError):
    """The device halted an endpoint (USB STALL, EPIPE): it stays halted until cleared."""


#: What the officer does after a failed image transfer (the driver then waits for a lift).
AGAIN = "lift the finger and place it again"

#: Seconds between liveness checks while waiting: an idle scanner and a hung one look alike
#: on the interrupt endpoint (both send nothing), so the driver reads a register now and then.
KEEPALIVE = 1.0


class URU4000Scanner:
    """Synchronous access to one scanner (the device thread and the CLI use it)."""

    def __init__(
        self, device: Any, *, timeout_ms: int = 1000, image_timeout_ms: int = 2000
    ) -> None:
        self.dev = device
        self.timeout_ms = timeout_ms
        self.image_timeout_ms = image_timeout_ms
        self.model = up.MODELS.get((device.idVendor, device.idProduct), "U.are.U")
        self._seed = int.from_bytes(os.urandom(4), "little")

    def _call(self, what: str, func: Any, *args: Any) -> Any:
        core = _usb()
        try:
            return func(*args)
        except core.USBTimeoutError as exc:
            raise DeviceTimeout(f"{self.model}: {what} timed out") from exc
        except core.USBError as exc:
            code = exc.errno
            if code in (errno.ENODEV, errno.ENOENT) or exc.backend_error_code == -4:
                raise DeviceLost(f"{self.model} unplugged (during {what})") from exc
            if code == errno.EPIPE:
                # A STALL: the device refused a control request or halted an endpoint. It is
                # still there; a halted endpoint needs CLEAR_FEATURE(ENDPOINT_HALT).
                raise EndpointStalled(f"{self.model}: {what} stalled") from exc
            if code in (errno.EACCES, errno.EPERM):
                raise DevicePermissionDenied(permission_message(self.node())) from exc
            if code == errno.EBUSY:
                raise DeviceBusy(
                    f"{self.describe()} is busy: another program claimed it (stop it, e.g. the "
                    "kiosk service)"
                ) from exc
            raise ProtocolError(f"{self.model}: {what} failed ({exc})") from exc

    def describe(self) -> str:
        return f"USB {self.dev.bus:03d}/{self.dev.address:03d}"

    def node(self) -> str:
        """The usbfs node libusb opens (what udev rules and permissions apply to)."""
        return f"/dev/bus/usb/{self.dev.bus:03d}/{self.dev.address:03d}"

    def open(self) -> str:
        # Configuring an already configured device resets it (and a replay would not expect
        # the request), so set the configuration only when it is not yet the first one.
        if self._configuration() != 1:
            self._call("configure", self.dev.set_configuration)
        import usb.util

        self._call("claim interface", usb.util.claim_interface, self.dev, 0)
        hwstat = self.read_reg(up.REG_HWSTAT, 1)[0]
        if hwstat & 0x80:
            self.write_reg(up.REG_HWSTAT, bytes([hwstat & 0x0F]))
            self.wait_irq({up.IRQ_SCANPWR_ON}, timeout=1.0)
        self.set_mode(up.MODE_INIT)
        return f"{self.model} ({self.describe()})"

    def _configuration(self) -> int | None:
        try:
            value: int = self._call(
                "read configuration",
                lambda: self.dev.get_active_configuration().bConfigurationValue,
            )
        except ProtocolError:
            return None  # "Configuration not set"
        return value

    def close(self) -> None:
        """Power the sensor down and release the handle, even when the scanner is gone."""
        import usb.util

        try:
            self.write_reg(up.REG_HWSTAT, bytes([0x80]))
        except DeviceError:
            log.debug("power-down on close failed", exc_info=True)
        try:
            usb.util.dispose_resources(self.dev)
        except _usb().USBError:
            log.debug("release on close failed", exc_info=True)

    # -- registers ------------------------------------------------------------------------
    def read_reg(self, reg: int, length: int) -> bytes:
        data = self._call(
            f"read register 0x{reg:02x}",
            self.dev.ctrl_transfer,
            up.CTRL_IN,
            up.USB_RQ,
            reg,
            0,
            length,
            self.timeout_ms,
        )
        if len(data) != length:
            raise ProtocolError(f"register 0x{reg:02x}: {len(data)} of {length} bytes")
        return bytes(data)

    def write_reg(self, reg: int, data: bytes) -> None:
        self._call(
            f"write register 0x{reg:02x}",
            self.dev.ctrl_transfer,
            up.CTRL_OUT,
            up.USB_RQ,
            reg,
            0,
            data,
            self.timeout_ms,
        )

    def set_mode(self, mode: int) -> None:
        self.write_reg(up.REG_MODE, bytes([mode]))

    # -- interrupts and images ------------------------------------------------------------
    def clear_halt(self, endpoint: int) -> None:
        """Clear a halt (and the host's queue) on `endpoint`; failures are left to the next read."""
        try:
            self._call(f"clear halt 0x{endpoint:02x}", self.dev.clear_halt, endpoint)
        except DeviceLost:
            raise
        except DeviceError:
            log.debug("clear halt 0x%02x failed", endpoint, exc_info=True)

    def read_irq(self, timeout: float) -> int | None:
        """One interrupt code, None when nothing arrived in `timeout` seconds."""
        # libusb reads 0 ms as "wait forever": a deadline nearly spent must not become that.
        timeout_ms = max(1, round(timeout * 1000))
        try:
            data = self._call(
                "interrupt read", self.dev.read, up.EP_INTR, up.IRQ_LENGTH, timeout_ms
            )
        except DeviceTimeout:
            return None
        except EndpointStalled:
            self.clear_halt(up.EP_INTR)
            raise ProtocolError(
                f"{self.model}: interrupt endpoint stalled (halt cleared)"
            ) from None
        if len(data) < 2:
            raise ProtocolError(f"short interrupt packet ({len(data)} bytes)")
        code: int = struct.unpack(">H", bytes(data[:2]))[0]
        if code == up.IRQ_DEATH:
            raise DeviceLost(f"{self.model} reported a fatal error (IRQ 0x0800): replug it")
        return code

    def wait_irq(self, wanted: set[int], timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                names = ", ".join(f"0x{w:04x}" for w in sorted(wanted))
                raise DeviceTimeout(f"{self.model}: no interrupt {names} within {timeout:g} s")
            code = self.read_irq(min(left, 0.25))
            if code is None:
                continue
            if code in wanted:
                return code
            if code not in (up.IRQ_FINGER_ON, up.IRQ_FINGER_OFF, up.IRQ_SCANPWR_ON):
                raise ProtocolError(f"{self.model}: unknown interrupt code 0x{code:04x}")

    def capture(self) -> np.ndarray:
        """MODE_CAPTURE, one bulk transfer, de-scramble: the 290x384 8-bit image.

        Every way the image transfer can fail (a stall, no answer, a short or garbled
        transfer) is a ProtocolError that says so; the bulk endpoint is cleared afterwards so
        that neither a halt nor the rest of a late image spoils the next capture.
        """
        self.set_mode(up.MODE_CAPTURE)
        try:
            raw = self._call(
                "image transfer", self.dev.read, up.EP_DATA, up.IMAGE_SIZE, self.image_timeout_ms
            )
        except EndpointStalled:
            self.clear_halt(up.EP_DATA)
            raise ProtocolError(
                f"{self.model}: the scanner stalled the image transfer (halt cleared); {AGAIN}"
            ) from None
        except DeviceTimeout:
            self.clear_halt(up.EP_DATA)
            raise ProtocolError(
                f"{self.model}: no answer to the image transfer within "
                f"{self.image_timeout_ms / 1000:g} s; {AGAIN}"
            ) from None
        data = memoryview(raw).cast("B")
        try:
            header = up.ImageHeader.parse(data[: up.HEADER_SIZE])
            key = 0
            if header.encrypted:
                self.write_reg(
                    up.REG_SCRAMBLE_DATA_INDEX,
                    bytes([header.key_number]) + self._seed.to_bytes(4, "little"),
                )
                key = int.from_bytes(self.read_reg(up.REG_SCRAMBLE_DATA_KEY, 4), "little")
                key ^= self._seed
            return up.descramble(header, data[up.HEADER_SIZE :], key)
        except EndpointStalled as exc:
            raise ProtocolError(f"{exc}: the scanner refused the key request; {AGAIN}") from None
        except ProtocolError as exc:
            self.clear_halt(up.EP_DATA)
            raise ProtocolError(
                f"{self.model}: bad image transfer ({len(data)} bytes): {exc}; {AGAIN}"
            ) from None

    def wait_and_capture(self, timeout: float) -> np.ndarray:
        self.set_mode(up.MODE_AWAIT_FINGER_ON)
        try:
            self.wait_irq({up.IRQ_FINGER_ON}, timeout)
        except DeviceTimeout:
            raise DeviceTimeout(
                f"{self.model}: no finger on the scanner within {timeout:g} s"
            ) from None
        return self.capture()


class URU4000Device(Device):
    """Emits FingerPresence(True), FingerImage, FingerPresence(False) for each touch."""

    driver_name = "uru4000"

    def __init__(
        self,
        path: str = "usb:uru4000",
        *,
        notifier: Notifier | None = None,
        backend: Any = None,
        bus: int | None = None,
        address: int | None = None,
    ) -> None:
        super().__init__(path, notifier=notifier)
        self._backend = backend
        self._bus = bus
        self._address = address
        self.scanner: URU4000Scanner | None = None
        self._awaiting = up.MODE_AWAIT_FINGER_ON
        self._mode_set = False
        self._last_answer = 0.0

    def _open(self) -> str:
        matches = [
            d
            for d in find_scanners(self._backend)
            if (self._bus is None or d.bus == self._bus)
            and (self._address is None or d.address == self._address)
        ]
        if not matches:
            raise DeviceNotFound("no U.are.U 4000/4000B/4500 scanner on USB (plugged in?)")
        self.scanner = URU4000Scanner(matches[0])
        self._awaiting = up.MODE_AWAIT_FINGER_ON
        self._mode_set = False
        self._last_answer = time.monotonic()
        try:
            return self.scanner.open()
        except DeviceError as exc:
            self._close()  # release the half-opened handle before the next attempt
            if isinstance(exc, DeviceTimeout):
                raise DeviceLost(f"{exc}: the scanner does not answer (replug it?)") from exc
            raise

    def _close(self) -> None:
        if self.scanner is not None:
            self.scanner.close()
            self.scanner = None

    def _step(self) -> None:
        try:
            self._poll()
        except DeviceTimeout as exc:  # a control request went unanswered: reinitialise
            raise DeviceLost(f"{exc}: the scanner stopped answering") from exc

    def _poll(self) -> None:
        scanner = self.scanner
        if scanner is None:
            raise DeviceLost("scanner not open")
        if time.monotonic() - self._last_answer >= KEEPALIVE:
            scanner.read_reg(up.REG_HWSTAT, 1)
            self._last_answer = time.monotonic()
        if not self._mode_set:
            scanner.set_mode(self._awaiting)
            self._mode_set = True
        code = scanner.read_irq(0.2)
        if code is None:
            return
        self._last_answer = time.monotonic()
        if code == up.IRQ_FINGER_ON and self._awaiting == up.MODE_AWAIT_FINGER_ON:
            self.emit(FingerPresence(device=self.path, present=True))
            self._awaiting = up.MODE_AWAIT_FINGER_OFF
            self._mode_set = False
            self.emit(FingerImage(device=self.path, image=scanner.capture()))
        elif code == up.IRQ_FINGER_OFF and self._awaiting == up.MODE_AWAIT_FINGER_OFF:
            self.emit(FingerPresence(device=self.path, present=False))
            self._awaiting = up.MODE_AWAIT_FINGER_ON
            self._mode_set = False
        elif code not in (up.IRQ_FINGER_ON, up.IRQ_FINGER_OFF, up.IRQ_SCANPWR_ON):
            raise ProtocolError(f"unknown interrupt code 0x{code:04x}")
