"""`kiosk devices [--json]` and `kiosk devices test DEVICE`: for technicians."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from kiosk import UsageError
from kiosk.commands import Subparsers

DRIVER_NAMES = ("mrz-serial", "zhiantec", "uru4000", "camera", "pcsc")


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "devices",
        help="discover devices and test one",
        description="List connected devices and the driver that fits each; "
        "`kiosk devices test DEVICE` does one read or capture.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per device")
    parser.set_defaults(func=list_devices)
    actions = parser.add_subparsers(dest="devices_command", metavar="ACTION")
    test = actions.add_parser(
        "test",
        help="one read/capture from a device",
        description="mrz-serial: wait for one document and print its lines; fingerprint "
        "scanners: wait for a finger and write the 8-bit grey image with --out; camera: "
        "grab one frame.",
    )
    test.add_argument("device", metavar="DEVICE", help="a discovered id or a port/device path")
    test.add_argument("--driver", choices=DRIVER_NAMES, help="for paths discovery cannot identify")
    test.add_argument("--json", action="store_true", help="print the result as one JSON object")
    test.add_argument("--out", metavar="FILE.png", help="write the captured image here")
    test.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for a document/finger"
    )
    test.add_argument(
        "--framing",
        default="cr",
        help="mrz-serial framing preset: stx-etx, cr, lf, crlf, gap (default: cr)",
    )
    test.add_argument("--baud", type=int, help="serial baud rate (mrz-serial 9600, zhiantec 57600)")
    test.add_argument("--parity", choices=("N", "E", "O"), help="mrz-serial parity (default N)")
    test.set_defaults(func=test_device)


def list_devices(args: argparse.Namespace) -> int:
    from drivers.discovery import discover

    devices, warnings = discover()
    for warning in warnings:
        print(f"kiosk: warning: {warning}", file=sys.stderr)
    if args.json:
        for device in devices:
            print(json.dumps(device.as_dict(), sort_keys=True))
        return 0
    if not devices:
        print("no devices found")
        return 0
    for device in devices:
        driver = device.driver or "?"
        usb_id = f" [{device.usb_id}]" if device.usb_id else ""
        print(f"{device.id:<32} {driver:<11} {device.description}{usb_id}")
        for note in device.notes:
            print(f"{'':<32} note: {note}")
    return 0


def _check_out(path: str | None) -> None:
    """Refuse a bad --out before waiting for a finger, so no capture is lost."""
    if path is None:
        return
    if not path.lower().endswith((".png", ".pgm", ".bmp", ".tif", ".tiff")):
        raise UsageError(f"--out {path}: use a .png (or .pgm, .bmp, .tif) file name")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"--out {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"--out {path}: directory {directory} is not writable")


def _write_image(path: str, image: Any) -> None:
    import cv2

    if not cv2.imwrite(path, image):
        raise OSError(f"cannot write the image to {path}")


def test_device(args: argparse.Namespace) -> int:
    from drivers.discovery import resolve

    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    _check_out(args.out)
    target = resolve(args.device, args.driver)
    result: dict[str, Any] = {"device": args.device, "driver": target.driver}
    if target.driver == "mrz-serial":
        from drivers.mrz_serial import MRZSerialReader

        overrides: dict[str, Any] = {}
        if args.baud:
            overrides["baudrate"] = args.baud
        if args.parity:
            overrides["parity"] = args.parity
        reader = MRZSerialReader(target.path, framing=args.framing, notifier=None, **overrides)
        lines = reader.read_document(args.timeout)
        result["lines"] = list(lines)
        text = "\n".join(lines)
    elif target.driver == "zhiantec":
        from drivers.zhiantec import ZhianTecModule

        module = ZhianTecModule(target.path, baudrate=args.baud or 57600)
        try:
            params = module.open()
            image = module.capture(args.timeout)
        finally:
            module.close()
        result.update(
            detail=f"library {params.library_size}, packets of {params.packet_size} bytes",
            baudrate=module.baudrate,
        )
        text = _image_result(result, image, args.out)
    elif target.driver == "uru4000":
        from drivers import DeviceNotFound
        from drivers.uru4000 import URU4000Scanner, find_scanners

        matches = [
            d
            for d in find_scanners()
            if target.bus is None or (d.bus, d.address) == (target.bus, target.address)
        ]
        if not matches:
            raise DeviceNotFound(f"{args.device}: no U.are.U scanner there (plugged in?)")
        scanner = URU4000Scanner(matches[0])
        try:
            result["detail"] = scanner.open()
            image = scanner.wait_and_capture(args.timeout)
        finally:
            scanner.close()
        text = _image_result(result, image, args.out)
    elif target.driver == "pcsc":
        text = _test_chip_reader(result, target.path, args.timeout)
    else:
        from drivers.camera import Camera

        frame = Camera(target.path).grab(timeout=args.timeout)
        text = _image_result(result, frame, args.out)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(text)
    return 0


def _test_chip_reader(result: dict[str, Any], name: str, timeout: float) -> str:
    """Wait for a card, report its ATR and whether it answers as a passport chip."""
    from drivers.pcsc import PCSCReader

    reader = PCSCReader(name)
    try:
        atr = reader.wait_for_card(timeout)
        answer = reader.transceive(bytes.fromhex("00A4040C07A0000002471001"))
    finally:
        reader.disconnect()
    result.update(atr=atr.hex(), emrtd=answer[-2:] == b"\x90\x00")
    kind = "a passport chip (eMRTD application)" if result["emrtd"] else "no eMRTD application"
    return f"pcsc: card ATR {atr.hex()}, {kind}"


def _image_result(result: dict[str, Any], image: Any, out: str | None) -> str:
    height, width = image.shape[:2]
    result.update(width=width, height=height, mean=round(float(image.mean()), 2), out=out)
    if out:
        _write_image(out, image)
    where = f", written to {out}" if out else " (use --out FILE.png to keep it)"
    return f"{result['driver']}: captured {width}x{height} image, mean {result['mean']}{where}"
