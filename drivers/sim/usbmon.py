"""The emulated U.are.U for another process: a umockdev device and a usbmon capture of it.

`kiosk devices` and `kiosk devices test` run as subprocesses, which cannot see an in-process
pyusb backend. umockdev (`umockdev-run`) can give such a process a USB device instead:

- a device description (the `umockdev-record` text format: `P:` sysfs path, `N:` device
  node, `E:` udev properties, `A:` / `H:` sysfs attributes) lets libusb enumerate the scanner
  through sysfs and open its /dev/bus/usb node;
- a usbmon capture (a pcap file of LINKTYPE_USB_LINUX_MMAPPED records, as Wireshark writes
  from `usbmonN`) is replayed in order: each URB the program submits must match the next
  recorded submission (type, endpoint, length, and the data of OUT transfers), and is then
  completed with the recorded answer.

Both are generated here from the emulator: the descriptors it reports, and the transfers it
served to the real driver (`URU4000Backend(record=True)`). Nothing was recorded from a real
scanner; the replay shows that our driver's USB traffic, as libusb issues it from another
process, is the traffic the emulator answered.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

from drivers.sim.uru4000 import Transfer

#: LINKTYPE_USB_LINUX_MMAPPED: each record is a 64-byte usbmon header, then the data.
LINKTYPE_USB_LINUX_MMAPPED = 220
_PCAP_HEADER = struct.Struct("<IHHiIII")
_RECORD_HEADER = struct.Struct("<IIII")
# id, type, transfer type, endpoint, device, bus, setup flag, data flag, seconds,
# microseconds, status, length, captured length, setup, interval, start frame, flags, ndesc
_USBMON = struct.Struct("<QcBBBHccqiiII8siiII")
_TYPES = {"interrupt": 1, "control": 2, "bulk": 3}
_EINPROGRESS = 115


def descriptors(backend: Any) -> bytes:
    """Device, configuration, interface and endpoint descriptors as the device sends them."""
    d = backend.get_device_descriptor(None)
    out = struct.pack(
        "<BBHBBBBHHHBBBB",
        d.bLength, d.bDescriptorType, d.bcdUSB, d.bDeviceClass, d.bDeviceSubClass,
        d.bDeviceProtocol, d.bMaxPacketSize0, d.idVendor, d.idProduct, d.bcdDevice,
        d.iManufacturer, d.iProduct, d.iSerialNumber, d.bNumConfigurations,
    )  # fmt: skip
    c = backend.get_configuration_descriptor(None, 0)
    out += struct.pack(
        "<BBHBBBBB", c.bLength, c.bDescriptorType, c.wTotalLength, c.bNumInterfaces,
        c.bConfigurationValue, c.iConfiguration, c.bmAttributes, c.bMaxPower,
    )  # fmt: skip
    i = backend.get_interface_descriptor(None, 0, 0, 0)
    out += struct.pack(
        "<BBBBBBBBB", i.bLength, i.bDescriptorType, i.bInterfaceNumber, i.bAlternateSetting,
        i.bNumEndpoints, i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol,
        i.iInterface,
    )  # fmt: skip
    for index in range(i.bNumEndpoints):
        e = backend.get_endpoint_descriptor(None, index, 0, 0, 0)
        out += struct.pack(
            "<BBBBHB", e.bLength, e.bDescriptorType, e.bEndpointAddress, e.bmAttributes,
            e.wMaxPacketSize, e.bInterval,
        )  # fmt: skip
    return out


def device_description(backend: Any, sysfs_path: str) -> str:
    """The scanner as a umockdev device description (one device, its sysfs attributes)."""
    d = backend.get_device_descriptor(None)
    raw = descriptors(backend).hex().upper()
    minor = (d.bus - 1) * 128 + d.address - 1
    return "\n".join(
        [
            f"P: {sysfs_path}",
            f"N: bus/usb/{d.bus:03d}/{d.address:03d}={raw}",
            f"E: DEVNAME=/dev/bus/usb/{d.bus:03d}/{d.address:03d}",
            "E: DEVTYPE=usb_device",
            "E: DRIVER=usb",
            f"E: PRODUCT={d.idVendor:x}/{d.idProduct:x}/{d.bcdDevice:x}",
            f"E: BUSNUM={d.bus:03d}",
            f"E: DEVNUM={d.address:03d}",
            "E: MAJOR=189",
            f"E: MINOR={minor}",
            "E: SUBSYSTEM=usb",
            "A: bConfigurationValue=1",
            f"A: bDeviceClass={d.bDeviceClass:02x}",
            f"A: bNumConfigurations={d.bNumConfigurations}",
            "A: bNumInterfaces= 1",
            f"A: busnum={d.bus}",
            f"H: descriptors={raw}",
            f"A: dev=189:{minor}",
            f"A: devnum={d.address}",
            f"A: devpath={d.port_number}",
            f"A: idProduct={d.idProduct:04x}",
            f"A: idVendor={d.idVendor:04x}",
            "A: speed=12",
            "",
            "",
        ]
    )


def _record(
    urb_id: int, when_us: int, kind: str, endpoint: int, bus: int, address: int, *,
    event: bytes, setup: bytes, status: int, length: int, data: bytes,
) -> bytes:  # fmt: skip
    header = _USBMON.pack(
        urb_id, event, _TYPES[kind], endpoint, address, bus,
        b"\0" if setup else b"-", b"\0" if data else (b"<" if event == b"S" else b">"),
        when_us // 1_000_000, when_us % 1_000_000, status, length, len(data),
        setup or bytes(8), 0, 0, 0, 0,
    )  # fmt: skip
    packet = header + data
    return _RECORD_HEADER.pack(*divmod(when_us, 1_000_000), len(packet), len(packet)) + packet


def pcap(transfers: Iterable[Transfer], *, bus: int, address: int) -> bytes:
    """A usbmon capture of `transfers`: a submission, and a completion with the URB's status
    unless the device never answered (then the program's URB waits out its own timeout)."""
    records = []
    for index, t in enumerate(transfers):
        urb_id = 0xFFFF_8880_0000_0000 + index * 0x200
        when = 1_000_000 + index * 2000
        inbound = bool(t.endpoint & 0x80)
        where = (t.kind, t.endpoint, bus, address)
        submit_data = b"" if inbound else t.data
        answer = t.data if inbound else b""
        records.append(
            _record(
                urb_id,
                when,
                *where,
                event=b"S",
                setup=t.setup,
                status=-_EINPROGRESS,
                length=t.requested,
                data=submit_data,
            )
        )
        if t.status is None:
            continue  # never answered: the host cancels the URB after its timeout
        records.append(
            _record(
                urb_id,
                when + 1000,
                *where,
                event=b"C",
                setup=b"",
                status=t.status,
                length=len(t.data),
                data=answer,
            )
        )
    snaplen = max((len(r) for r in records), default=64)
    header = _PCAP_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, snaplen, LINKTYPE_USB_LINUX_MMAPPED)
    return header + b"".join(records)
