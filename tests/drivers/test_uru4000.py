"""U.are.U 4000B/4500 against the transfer-level pyusb backend emulator."""

from __future__ import annotations

import numpy as np
import pytest
from simkit import Collector

from drivers import ProtocolError
from drivers import uru4000_protocol as up
from drivers.base import Notifier
from drivers.discovery import usb_scanners
from drivers.events import DeviceConnected, DeviceFault, FingerImage, FingerPresence
from drivers.events import DeviceLost as LostEvent
from drivers.sim.uru4000 import URU4000Backend
from drivers.uru4000 import URU4000Device, URU4000Scanner, find_scanners


def _finger() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (up.HEIGHT, up.WIDTH), dtype=np.uint8)


def _naive_keys(key: int, count: int) -> list[int]:
    keys = []
    for _ in range(count):
        keys.append(key)
        parity = bin(key & up.LFSR_TAPS).count("1") & 1
        key = (parity << 31) | (key >> 1)
    return keys


def test_vectorised_lfsr_matches_the_bitwise_definition() -> None:
    count = 20000
    keys = _naive_keys(0x0BADF00D, count)
    bits = up.lfsr_bits(0x0BADF00D, count)
    for n in (0, 1, 31, 32, 500, 4095, 9999, count - 1):
        assert sum(int(bits[n + t]) << t for t in range(32)) == keys[n]


def _same_except_block_ends(image: np.ndarray, finger: np.ndarray) -> bool:
    # The wire shifts a scrambled block by one byte, so its last byte is not sent.
    diff = np.argwhere(image != finger)
    return all((row, col) in {(139, 383), (289, 383)} for row, col in diff)


def test_capture_descrambles_the_image() -> None:
    backend = URU4000Backend()
    finger = _finger()
    scanner = URU4000Scanner(find_scanners(backend)[0])
    assert "4000B" in scanner.open()
    backend.place_finger(finger)
    image = scanner.wait_and_capture(2.0)
    assert image.shape == (290, 384) and image.dtype == np.uint8
    assert _same_except_block_ends(image, finger)
    assert "write 0x33" in backend.transfers and "read 0x34" in backend.transfers


def test_unscrambled_images_are_exact() -> None:
    backend = URU4000Backend(product_id=0x000B, encrypt=False)
    finger = _finger()
    scanner = URU4000Scanner(find_scanners(backend)[0])
    assert "4500" in scanner.open()
    backend.place_finger(finger)
    assert np.array_equal(scanner.wait_and_capture(2.0), finger)


@pytest.mark.parametrize(
    ("fault", "match"), [("truncate", "truncated image"), ("bad-header", "header")]
)
def test_malformed_images_are_protocol_errors(fault: str, match: str) -> None:
    backend = URU4000Backend()
    scanner = URU4000Scanner(find_scanners(backend)[0])
    scanner.open()
    backend.place_finger(_finger())
    backend.inject(fault)
    with pytest.raises(ProtocolError, match=match):
        scanner.wait_and_capture(2.0)


def test_discovery_lists_the_scanner() -> None:
    found = usb_scanners(URU4000Backend())
    assert [(d.driver, d.usb_id) for d in found] == [("uru4000", "05ba:000a")]
    assert usb_scanners(_unplugged()) == []


def _unplugged() -> URU4000Backend:
    backend = URU4000Backend()
    backend.unplug()
    return backend


def test_device_thread_touch_faults_and_replug(collector: Collector) -> None:
    backend = URU4000Backend()
    notifier = Notifier()
    notifier.add(collector)
    device = URU4000Device(notifier=notifier, backend=backend)
    finger = _finger()
    with device:
        collector.wait(DeviceConnected)
        backend.place_finger(finger)
        assert collector.wait(FingerPresence).present  # type: ignore[attr-defined]
        image = collector.wait(FingerImage).image  # type: ignore[attr-defined]
        assert _same_except_block_ends(image, finger)
        backend.lift_finger()
        assert not collector.wait(FingerPresence).present  # type: ignore[attr-defined]
        backend.inject("garbage-irq")
        assert "unknown interrupt" in collector.wait(DeviceFault).reason  # type: ignore[attr-defined]
        backend.inject("truncate")
        backend.place_finger(finger)
        assert "truncated image" in collector.wait(DeviceFault).reason  # type: ignore[attr-defined]
        backend.lift_finger()
        backend.inject("death")
        assert "fatal" in collector.wait(LostEvent).reason  # type: ignore[attr-defined]
        collector.wait(DeviceConnected, timeout=2.0)
        backend.unplug()
        collector.wait(LostEvent)
        backend.plug()
        collector.wait(DeviceConnected, timeout=2.0)
        backend.place_finger(finger)
        collector.wait(FingerImage)
