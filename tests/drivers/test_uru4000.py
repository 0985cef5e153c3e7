"""U.are.U 4000B/4500 against the transfer-level pyusb backend emulator."""

from __future__ import annotations

import time

import numpy as np
import pytest
from simkit import Collector

from drivers import DeviceBusy, DeviceTimeout, ProtocolError
from drivers import uru4000_protocol as up
from drivers.base import Health, Notifier
from drivers.discovery import usb_scanners
from drivers.events import DeviceConnected, DeviceFault, Event, FingerImage, FingerPresence
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


def _running(backend: URU4000Backend, collector: Collector) -> URU4000Device:
    notifier = Notifier()
    notifier.add(collector)
    return URU4000Device(notifier=notifier, backend=backend)


def _lifted(event: Event) -> bool:
    return isinstance(event, FingerPresence) and not event.present


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("truncate", "truncated image"),
        ("bad-header", "header says 490 lines"),
        ("noise", "bad image transfer (111424 bytes)"),
        ("stall", "stalled the image transfer"),
        ("timeout", "no answer to the image transfer within 2 s"),
    ],
)
def test_image_transfer_fault_is_one_fault_event_and_the_next_touch_works(
    fault: str, reason: str, collector: Collector
) -> None:
    backend = URU4000Backend()
    device = _running(backend, collector)
    finger = _finger()
    with device:
        collector.wait(DeviceConnected)
        backend.inject(fault)
        backend.place_finger(finger)
        event = collector.wait(DeviceFault, timeout=4.0)
        assert isinstance(event, DeviceFault)
        assert reason in event.reason and "place it again" in event.reason, event.reason
        assert device.health is Health.ERROR and device.reason == event.reason
        assert collector.of(FingerImage) == [] and collector.of(LostEvent) == []
        backend.lift_finger()
        collector.wait(FingerPresence, where=_lifted)
        backend.place_finger(finger)
        image = collector.wait(FingerImage, timeout=3.0).image  # type: ignore[attr-defined]
        assert _same_except_block_ends(image, finger)
        assert device.health is Health.CONNECTED and device.reason == ""
        assert collector.of(LostEvent) == [] and collector.of(DeviceFault) == []
    if fault == "stall":
        # The halt is cleared right after the stall, before the next image transfer.
        after = backend.transfers[backend.transfers.index("stall 0x82") :]
        assert after[1] == "clear halt 0x82"


def test_disconnect_mid_transfer_is_a_loss_and_replug_recovers_within_2_s(
    collector: Collector,
) -> None:
    backend = URU4000Backend()
    device = _running(backend, collector)
    finger = _finger()
    with device:
        collector.wait(DeviceConnected)
        backend.inject("disconnect")
        backend.place_finger(finger)
        lost = collector.wait(LostEvent)
        assert isinstance(lost, LostEvent)
        assert "unplugged (during image transfer)" in lost.reason, lost.reason
        assert device.health is Health.LOST
        time.sleep(1.0)  # the driver's backoff grows to its maximum while the scanner is away
        assert not backend.plugged and collector.of(DeviceConnected) == []
        backend.plug()
        connected = collector.wait(DeviceConnected, timeout=2.0)
        assert connected.time - backend.plugged_at < 2.0
        # The finger is still on the glass: the reopened driver captures it.
        image = collector.wait(FingerImage, timeout=3.0).image  # type: ignore[attr-defined]
        assert _same_except_block_ends(image, finger)
        assert device.health is Health.CONNECTED
    assert collector.of(DeviceFault) == []


def test_a_scanner_that_stops_answering_is_lost_and_back_within_2_s(
    collector: Collector,
) -> None:
    backend = URU4000Backend()
    device = _running(backend, collector)
    with device:
        collector.wait(DeviceConnected)
        backend.freeze()
        frozen_at = time.monotonic()
        lost = collector.wait(LostEvent, timeout=5.0)
        assert isinstance(lost, LostEvent)
        assert "timed out" in lost.reason and "stopped answering" in lost.reason, lost.reason
        # Noticed while idle (no finger): the liveness read, not a capture, found it.
        assert lost.time - frozen_at < 3.0
        time.sleep(1.5)
        assert collector.of(DeviceConnected) == [] and len(collector.of(LostEvent)) == 0
        backend.thaw()
        connected = collector.wait(DeviceConnected, timeout=2.0)
        assert connected.time - backend.thawed_at < 2.0
        backend.place_finger(_finger())
        collector.wait(FingerImage, timeout=3.0)
        assert device.health is Health.CONNECTED


def test_one_shot_capture_reports_a_silent_scanner_without_hanging() -> None:
    backend = URU4000Backend()
    scanner = URU4000Scanner(find_scanners(backend)[0], image_timeout_ms=300)
    scanner.open()
    started = time.monotonic()
    with pytest.raises(DeviceTimeout, match=r"no finger on the scanner within 0\.5 s"):
        scanner.wait_and_capture(0.5)
    backend.place_finger(_finger())
    backend.inject("timeout")
    with pytest.raises(ProtocolError, match=r"no answer to the image transfer within 0\.3 s"):
        scanner.wait_and_capture(2.0)
    assert time.monotonic() - started < 2.0


def test_a_nearly_spent_deadline_is_never_a_wait_forever_read() -> None:
    # libusb reads a 0 ms timeout as "no timeout"; the emulator refuses one (ValueError).
    backend = URU4000Backend()
    scanner = URU4000Scanner(find_scanners(backend)[0])
    scanner.open()
    started = time.monotonic()
    assert scanner.read_irq(0.0004) is None
    assert time.monotonic() - started < 0.5


def test_a_scanner_claimed_by_another_program_is_busy_until_it_lets_go() -> None:
    backend = URU4000Backend()
    backend.claimed_elsewhere = True
    scanner = URU4000Scanner(find_scanners(backend)[0])
    with pytest.raises(DeviceBusy, match=r"USB 001/007 is busy: another program claimed it"):
        scanner.open()
    backend.claimed_elsewhere = False
    assert "DigitalPersona" in scanner.open()


def test_a_stalled_interrupt_endpoint_is_cleared_with_one_fault(collector: Collector) -> None:
    backend = URU4000Backend()
    device = _running(backend, collector)
    with device:
        collector.wait(DeviceConnected)
        backend.inject("stall-irq")
        event = collector.wait(DeviceFault)
        assert "interrupt endpoint stalled (halt cleared)" in event.reason  # type: ignore[attr-defined]
        backend.place_finger(_finger())
        collector.wait(FingerImage)
        assert collector.of(DeviceFault) == [] and collector.of(LostEvent) == []
    assert "clear halt 0x81" in backend.transfers


def test_an_endpoint_that_stays_stalled_is_reopened_with_backoff_not_spun_on(
    collector: Collector,
) -> None:
    backend = URU4000Backend()
    device = _running(backend, collector)
    with device:
        collector.wait(DeviceConnected)
        backend.wedge(up.EP_INTR)
        lost = collector.wait(LostEvent)
        assert "5 times in a row): reopening the device" in lost.reason  # type: ignore[attr-defined]
        time.sleep(3.0)
        # Without the limit and the backoff this would be thousands of faults a second.
        assert len(collector.of(DeviceFault)) <= 40
        backend.unwedge()
        backend.place_finger(_finger())
        collector.wait(FingerImage, timeout=3.0)
        assert device.health is Health.CONNECTED
