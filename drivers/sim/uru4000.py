"""A U.are.U 4000B/4500 emulated at the USB transfer level, as a pyusb backend.

`usb.core.find(backend=URU4000Backend(...))` sees the device; control, interrupt and bulk
transfers behave like the scanner's, images come from the caller, and faults are armed.
"""

from __future__ import annotations

import array
import errno
import threading
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import usb.backend
import usb.core

from drivers import uru4000_protocol as up


def _desc(**fields: Any) -> SimpleNamespace:
    fields.setdefault("extra_descriptors", [])
    return SimpleNamespace(**fields)


FAULTS = ("truncate", "bad-header", "stall", "garbage-irq", "death", "disconnect", "noise")


class URU4000Backend(usb.backend.IBackend):
    """One emulated scanner on bus 1, address 7."""

    def __init__(self, product_id: int = 0x000A, *, encrypt: bool = True) -> None:
        super().__init__()
        self.product_id = product_id
        self.encrypt = encrypt
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
            self.hwstat = 0x84
            self.mode = up.MODE_INIT
            self._irqs.clear()
            self._cond.notify_all()

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
            bLength=9, bDescriptorType=2, wTotalLength=39, bNumInterfaces=1,
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

    def release_interface(self, dev_handle: Any, intf: int) -> None:
        return None

    def is_kernel_driver_active(self, dev_handle: Any, intf: int) -> bool:
        return False

    def clear_halt(self, dev_handle: Any, ep: int) -> None:
        self._check()

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
            self._check()
            if bRequest != up.USB_RQ:
                raise usb.core.USBError("Pipe error", errno=errno.EPIPE, error_code=-9)
            if bmRequestType == up.CTRL_IN:
                self.transfers.append(f"read 0x{wValue:02x}")
                value = self._read_reg(wValue, len(data))
                data[: len(value)] = array.array("B", value)
                return len(value)
            self.transfers.append(f"write 0x{wValue:02x}")
            self._write_reg(wValue, bytes(data))
            return len(data)

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
        deadline = time.monotonic() + (timeout or 5000) / 1000
        with self._cond:
            while True:
                self._check()
                code = self._next_irq()
                if code is not None:
                    packet = code.to_bytes(2, "big") + bytes(up.IRQ_LENGTH - 2)
                    buff[: len(packet)] = array.array("B", packet)
                    return len(packet)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise usb.core.USBTimeoutError("Operation timed out", errno=110, error_code=-7)
                self._cond.wait(left)

    def bulk_read(self, dev_handle: Any, ep: int, intf: int, buff: Any, timeout: int) -> int:
        with self._cond:
            self._check()
            finger = self.finger
            if ep != up.EP_DATA or self.mode != up.MODE_CAPTURE or finger is None:
                stall = True
            else:
                stall = self._take("stall")
            if self._take("disconnect"):
                self.plugged = False
                threading.Timer(0.3, self.plug).start()
                raise usb.core.USBError("No such device", errno=errno.ENODEV, error_code=-4)
            truncate = self._take("truncate")
            bad_header = self._take("bad-header")
            noise = self._take("noise")
        if stall or finger is None:
            time.sleep((timeout or 5000) / 1000)
            raise usb.core.USBTimeoutError("Operation timed out", errno=110, error_code=-7)
        image = self._encode(finger, bad_header)
        if noise:
            header, body = image[: up.HEADER_SIZE], bytearray(image[up.HEADER_SIZE :])
            body[1000:1200] = bytes(200)
            image = header + bytes(body)
        if truncate:
            image = image[: len(image) // 3]
        count = min(len(buff), len(image))
        buff[:count] = array.array("B", image[:count])
        self.transfers.append(f"bulk {count}")
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
