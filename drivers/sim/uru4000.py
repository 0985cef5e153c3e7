"""A U.are.U 4000B/4500 emulated at the USB transfer level, as a pyusb backend.

`usb.core.find(backend=URU4000Backend(...))` sees the device; control, interrupt and bulk
transfers behave like the scanner's, images come from the caller, and faults are armed.
"""

from __future__ import annotations

import array
import errno
import struct
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import usb.backend
import usb.core

from drivers import uru4000_protocol as up


def _desc(**fields: Any) -> SimpleNamespace:
    fields.setdefault("extra_descriptors", [])
    return SimpleNamespace(**fields)


#: One-shot faults for `inject`; each hits the next image transfer unless noted.
#: truncate: a short transfer (a third of the image); bad-header: a header claiming too many
#: lines; noise: the whole transfer is random bytes; stall: the bulk endpoint halts (EPIPE)
#: and stays halted until the host clears the halt; timeout: no answer to the image transfer;
#: disconnect: the scanner is gone mid-transfer and stays unplugged until `plug()`;
#: garbage-irq / death: the next interrupt packet is an unknown code / the fatal-error code;
#: stall-irq: the interrupt endpoint halts on its next read, until the host clears it.
FAULTS = (
    "truncate", "bad-header", "noise", "stall", "timeout", "disconnect", "garbage-irq", "death",
    "stall-irq",
)  # fmt: skip


def _deadline(timeout_ms: int) -> float:
    """When a transfer with this timeout gives up. libusb takes 0 as "wait forever", which a
    driver must never ask for; the emulator refuses it so that such a bug fails loudly."""
    if timeout_ms <= 0:
        raise ValueError(f"transfer timeout {timeout_ms} ms: libusb would wait forever")
    return time.monotonic() + timeout_ms / 1000


def _timeout() -> usb.core.USBTimeoutError:
    return usb.core.USBTimeoutError("Operation timed out", errno=errno.ETIMEDOUT, error_code=-7)


@dataclass(frozen=True)
class Transfer:
    """One completed transfer, as a USB monitor would see it (for `drivers.sim.usbmon`)."""

    kind: str  # control | interrupt | bulk
    endpoint: int  # with the direction bit; control: 0x00 or 0x80 from bmRequestType
    setup: bytes  # the 8-byte SETUP packet of a control transfer, else b""
    requested: int  # bytes the host asked for (IN) or sent (OUT)
    data: bytes  # what went over the wire: the answer (IN) or the host's data (OUT)
    #: 0; or the URB's -errno (-EPIPE: a stall, -ENODEV: the device went away); or None when
    #: the device never answered (the host gave up: a timeout).
    status: int | None = 0


class URU4000Backend(usb.backend.IBackend):
    """One emulated scanner on bus 1, address 7.

    With `record=True` every completed transfer is kept in `trace` (`Transfer`s), from which
    `drivers.sim.usbmon` writes a usbmon capture that umockdev can replay to another process.
    """

    def __init__(
        self, product_id: int = 0x000A, *, encrypt: bool = True, record: bool = False
    ) -> None:
        super().__init__()
        self.product_id = product_id
        self.encrypt = encrypt
        self.trace: list[Transfer] | None = [] if record else None
        #: Another program (or a kernel driver) holds interface 0: claiming it fails (EBUSY).
        self.claimed_elsewhere = False
        self.finger: np.ndarray | None = None
        self.plugged = True
        self.mode = up.MODE_INIT
        self.hwstat = 0x84
        self.transfers: list[str] = []
        self._irqs: list[int] = []
        self._faults: list[str] = []
        self._keys = {1: 0x1F2E3D4C, 2: 0x600DCAFE}
        self._key_index = 1
        self._seed = 0
        self._halted: set[int] = set()
        self._wedged: set[int] = set()
        self._frozen = False
        self._noise = np.random.default_rng(7)
        self.plugged_at = self.thawed_at = time.monotonic()
        self._cond = threading.Condition()

    # -- what the caller controls ---------------------------------------------------------
    def place_finger(self, image: np.ndarray) -> None:
        if image.shape != (up.HEIGHT, up.WIDTH):
            raise ValueError(f"image must be {up.HEIGHT}x{up.WIDTH}")
        with self._cond:
            self.finger = image
            self._cond.notify_all()

    def lift_finger(self) -> None:
        with self._cond:
            self.finger = None
            self._cond.notify_all()

    def inject(self, fault: str) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")
        with self._cond:
            self._faults.append(fault)
            if fault in ("garbage-irq", "death"):
                self._irqs.append(0x1234 if fault == "garbage-irq" else up.IRQ_DEATH)
                self._faults.remove(fault)
            self._cond.notify_all()

    def unplug(self) -> None:
        with self._cond:
            self.plugged = False
            self._cond.notify_all()

    def plug(self) -> None:
        with self._cond:
            self.plugged = True
            self.plugged_at = time.monotonic()
            self.hwstat = 0x84
            self.mode = up.MODE_INIT
            self._irqs.clear()
            self._halted.clear()
            self._wedged.clear()
            self._cond.notify_all()

    def wedge(self, endpoint: int) -> None:
        """`endpoint` stalls every transfer, and clearing the halt does not help (until
        `unwedge()` or a replug)."""
        with self._cond:
            self._wedged.add(endpoint)
            self._cond.notify_all()

    def unwedge(self) -> None:
        with self._cond:
            self._wedged.clear()
            self._cond.notify_all()

    def freeze(self) -> None:
        """The firmware stops answering: every transfer times out until `thaw()`."""
        with self._cond:
            self._frozen = True
            self._cond.notify_all()

    def thaw(self) -> None:
        """Answer again; transfers still waiting complete (`thawed_at` marks the moment)."""
        with self._cond:
            self._frozen = False
            self.thawed_at = time.monotonic()
            self._cond.notify_all()

    def _wait_answer(self, timeout: int) -> None:
        """Under the lock: while frozen, wait (at most `timeout` ms) for a thaw."""
        deadline = _deadline(timeout)
        while self._frozen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _timeout()
            self._cond.wait(left)
        self._check()

    def _take(self, fault: str) -> bool:
        if fault in self._faults:
            self._faults.remove(fault)
            return True
        return False

    def _check(self) -> None:
        if not self.plugged:
            raise usb.core.USBError("No such device", errno=errno.ENODEV, error_code=-4)

    # -- descriptors ----------------------------------------------------------------------
    def enumerate_devices(self) -> Any:
        if self.plugged:
            yield "uru"

    def get_device_descriptor(self, dev: Any) -> Any:
        return _desc(
            bLength=18, bDescriptorType=1, bcdUSB=0x0110, bDeviceClass=0xFF,
            bDeviceSubClass=0xFF, bDeviceProtocol=0xFF, bMaxPacketSize0=8,
            idVendor=up.VENDOR_DIGITALPERSONA, idProduct=self.product_id, bcdDevice=0x0104,
            iManufacturer=0, iProduct=0, iSerialNumber=0, bNumConfigurations=1,
            bus=1, address=7, port_number=2, port_numbers=(2,), speed=2,
        )  # fmt: skip

    def get_configuration_descriptor(self, dev: Any, config: int) -> Any:
        if config != 0:
            raise IndexError("no such configuration")
        return _desc(
            bLength=9, bDescriptorType=2, wTotalLength=32, bNumInterfaces=1,
            bConfigurationValue=1, iConfiguration=0, bmAttributes=0xA0, bMaxPower=50,
        )  # fmt: skip

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int, config: int) -> Any:
        if intf != 0 or alt != 0 or config != 0:
            raise IndexError("no such interface")
        return _desc(
            bLength=9, bDescriptorType=4, bInterfaceNumber=0, bAlternateSetting=0,
            bNumEndpoints=2, bInterfaceClass=0xFF, bInterfaceSubClass=0xFF,
            bInterfaceProtocol=0xFF, iInterface=0,
        )  # fmt: skip

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int, config: int) -> Any:
        if ep == 0:
            return _desc(bLength=7, bDescriptorType=5, bEndpointAddress=up.EP_INTR,
                         bmAttributes=3, wMaxPacketSize=64, bInterval=10, bRefresh=0,
                         bSynchAddress=0)  # fmt: skip
        if ep == 1:
            return _desc(bLength=7, bDescriptorType=5, bEndpointAddress=up.EP_DATA,
                         bmAttributes=2, wMaxPacketSize=64, bInterval=0, bRefresh=0,
                         bSynchAddress=0)  # fmt: skip
        raise IndexError("no such endpoint")

    # -- handles --------------------------------------------------------------------------
    def open_device(self, dev: Any) -> Any:
        self._check()
        return "handle"

    def close_device(self, dev_handle: Any) -> None:
        return None

    def set_configuration(self, dev_handle: Any, config_value: int) -> None:
        self._check()

    def get_configuration(self, dev_handle: Any) -> int:
        self._check()
        return 1

    def set_interface_altsetting(self, dev_handle: Any, intf: int, altsetting: int) -> None:
        self._check()

    def claim_interface(self, dev_handle: Any, intf: int) -> None:
        self._check()
        if self.claimed_elsewhere:
            raise usb.core.USBError("Resource busy", errno=errno.EBUSY, error_code=-6)

    def release_interface(self, dev_handle: Any, intf: int) -> None:
        return None

    def is_kernel_driver_active(self, dev_handle: Any, intf: int) -> bool:
        return False

    def clear_halt(self, dev_handle: Any, ep: int) -> None:
        with self._cond:
            self._check()
            self._halted.discard(ep)
            self.transfers.append(f"clear halt 0x{ep:02x}")

    def reset_device(self, dev_handle: Any) -> None:
        self._check()

    # -- transfers ------------------------------------------------------------------------
    def ctrl_transfer(
        self,
        dev_handle: Any,
        bmRequestType: int,
        bRequest: int,
        wValue: int,
        wIndex: int,
        data: array.array[int],
        timeout: int,
    ) -> int:
        with self._cond:
            self._wait_answer(timeout)
            if bRequest != up.USB_RQ:
                raise usb.core.USBError("Pipe error", errno=errno.EPIPE, error_code=-9)
            setup = struct.pack("<BBHHH", bmRequestType, bRequest, wValue, wIndex, len(data))
            if bmRequestType == up.CTRL_IN:
                self.transfers.append(f"read 0x{wValue:02x}")
                value = self._read_reg(wValue, len(data))
                data[: len(value)] = array.array("B", value)
                self._record("control", 0x80, setup, len(data), value)
                return len(value)
            self.transfers.append(f"write 0x{wValue:02x}")
            self._write_reg(wValue, bytes(data))
            self._record("control", 0x00, setup, len(data), bytes(data))
            return len(data)

    def _record(
        self,
        kind: str,
        endpoint: int,
        setup: bytes,
        requested: int,
        data: bytes,
        status: int | None = 0,
    ) -> None:
        if self.trace is not None:
            self.trace.append(Transfer(kind, endpoint, setup, requested, data, status))

    def _read_reg(self, reg: int, length: int) -> bytes:
        if reg == up.REG_HWSTAT:
            return bytes([self.hwstat])
        if reg == up.REG_MODE:
            return bytes([self.mode])
        if reg == up.REG_SCRAMBLE_DATA_KEY:
            return (self._keys[self._key_index] ^ self._seed).to_bytes(4, "little")
        return bytes(length)

    def _write_reg(self, reg: int, value: bytes) -> None:
        if reg == up.REG_HWSTAT and value:
            was_off = self.hwstat & 0x80
            self.hwstat = value[0]
            if was_off and not value[0] & 0x80:
                self._irqs.append(up.IRQ_SCANPWR_ON)
        elif reg == up.REG_MODE and value:
            self.mode = value[0]
        elif reg == up.REG_SCRAMBLE_DATA_INDEX and len(value) == 5:
            self._key_index = value[0] if value[0] in self._keys else 1
            self._seed = int.from_bytes(value[1:], "little")
        self._cond.notify_all()

    def _next_irq(self) -> int | None:
        if self._irqs:
            return self._irqs.pop(0)
        if self.hwstat & 0x80:
            return None
        if self.mode == up.MODE_AWAIT_FINGER_ON and self.finger is not None:
            self.mode = up.MODE_READY
            return up.IRQ_FINGER_ON
        if self.mode == up.MODE_AWAIT_FINGER_OFF and self.finger is None:
            self.mode = up.MODE_READY
            return up.IRQ_FINGER_OFF
        return None

    def intr_read(self, dev_handle: Any, ep: int, intf: int, buff: Any, timeout: int) -> int:
        deadline = _deadline(timeout)
        with self._cond:
            if self._take("stall-irq"):
                self._halted.add(ep)
            while True:
                self._check()
                if ep in self._halted or ep in self._wedged:
                    raise usb.core.USBError("Pipe error", errno=errno.EPIPE, error_code=-9)
                code = None if self._frozen else self._next_irq()
                if code is not None:
                    packet = code.to_bytes(2, "big") + bytes(up.IRQ_LENGTH - 2)
                    buff[: len(packet)] = array.array("B", packet)
                    self._record("interrupt", ep, b"", len(buff), packet)
                    return len(packet)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _timeout()
                self._cond.wait(left)

    def bulk_read(self, dev_handle: Any, ep: int, intf: int, buff: Any, timeout: int) -> int:
        with self._cond:
            self._wait_answer(timeout)
            if ep in self._halted or ep in self._wedged:
                raise usb.core.USBError("Pipe error", errno=errno.EPIPE, error_code=-9)
            finger = self.finger
            # Outside a capture with a finger on the glass the device sends nothing (NAKs).
            silent = ep != up.EP_DATA or self.mode != up.MODE_CAPTURE or finger is None
            if not silent:
                if self._take("stall"):
                    self._halted.add(ep)
                    self.transfers.append(f"stall 0x{ep:02x}")
                    self._record("bulk", ep, b"", len(buff), b"", -errno.EPIPE)
                    raise usb.core.USBError("Pipe error", errno=errno.EPIPE, error_code=-9)
                if self._take("disconnect"):
                    self.plugged = False
                    self.transfers.append("disconnect")
                    self._record("bulk", ep, b"", len(buff), b"", -errno.ENODEV)
                    raise usb.core.USBError("No such device", errno=errno.ENODEV, error_code=-4)
                silent = self._take("timeout")
            if silent:
                # Nothing comes; a thaw or unplug does not make data appear either.
                self._record("bulk", ep, b"", len(buff), b"", None)
                deadline = _deadline(timeout)
                while (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
                    self._check()
                raise _timeout()
            assert finger is not None
            truncate = self._take("truncate")
            bad_header = self._take("bad-header")
            noise = self._noise.bytes(up.IMAGE_SIZE) if self._take("noise") else None
        image = noise if noise is not None else self._encode(finger, bad_header)
        if truncate:
            image = image[: len(image) // 3]
        count = min(len(buff), len(image))
        buff[:count] = array.array("B", image[:count])
        self.transfers.append(f"bulk {count}")
        self._record("bulk", ep, b"", len(buff), image[:count])
        return count

    def _encode(self, finger: np.ndarray, bad_header: bool) -> bytes:
        blocks: tuple[tuple[int, int], ...] = ((0, 145), (0, 145))
        if self.encrypt:
            blocks = (
                (0, 40),
                (up.BLOCK_ENCRYPTED, 100),
                (up.BLOCK_NO_KEY_UPDATE, 30),
                (up.BLOCK_ENCRYPTED, 120),
            )
        lines = up.HEIGHT + 200 if bad_header else up.HEIGHT
        header = up.ImageHeader(lines, 1, blocks).pack()
        return header + up.scramble(finger, self._keys[1], blocks)
