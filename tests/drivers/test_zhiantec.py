"""ZhianTec fingerprint modules: the packet protocol, baud handling, UpImage, LED, faults."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simkit import Collector

from drivers import DeviceLost, DeviceTimeout, ProtocolError
from drivers import zhiantec_protocol as zp
from drivers.base import Notifier
from drivers.events import DeviceConnected, DeviceFault, FingerImage, FingerPresence
from drivers.events import DeviceLost as LostEvent
from drivers.sim.zhiantec import ZhianTecEmulator
from drivers.zhiantec import ZhianTecDevice, ZhianTecError, ZhianTecModule


def test_vfypwd_packet_matches_the_datasheet_bytes() -> None:
    packet = zp.encode(zp.PID_COMMAND, bytes([zp.CMD_VFYPWD, 0, 0, 0, 0]))
    assert packet.hex() == "ef01ffffffff01000713000000" + "00" + "001b"


@given(st.binary(min_size=0, max_size=300), st.binary(max_size=20))
@settings(max_examples=60, deadline=None)
def test_packets_survive_leading_noise(payload: bytes, noise: bytes) -> None:
    reader = zp.PacketReader()
    reader.feed(noise.replace(b"\xef", b"") + zp.encode(zp.PID_DATA, payload))
    packet = reader.next()
    assert packet is not None and packet.payload == payload


def test_bad_checksum_is_rejected() -> None:
    frame = bytearray(zp.encode(zp.PID_ACK, b"\x00"))
    frame[-1] ^= 1
    reader = zp.PacketReader()
    reader.feed(bytes(frame))
    with pytest.raises(ProtocolError, match="bad checksum"):
        reader.next()


def test_image_nibbles_round_trip(finger_256: np.ndarray) -> None:
    data = zp.pack_image(finger_256)
    assert len(data) == zp.IMAGE_BYTES
    assert np.array_equal(zp.unpack_image(data), finger_256)
    assert data[0] >> 4 == finger_256[0, 0] // 17


def test_every_status_code_has_a_message() -> None:
    for code in range(0x22):
        message = zp.status_message(code)
        assert message and ("unknown" not in message or code not in zp.STATUS)
    assert zp.status_message(0x13) == "wrong module password"


def test_open_probes_the_baud_rate_then_switches_to_115200(
    fp_emulator: ZhianTecEmulator,
) -> None:
    module = ZhianTecModule(fp_emulator.path, baudrate=9600)
    try:
        params = module.open()
        assert module.baudrate == 115200 == fp_emulator.baudrate == params.baudrate
        assert params.packet_size == 128 and params.library_size == 200
        assert fp_emulator.line_baudrate() == 115200
    finally:
        module.close()


def test_capture_led_and_status_codes(
    fp_emulator: ZhianTecEmulator, finger_256: np.ndarray
) -> None:
    module = ZhianTecModule(fp_emulator.path, timeout=0.5)
    try:
        module.open()
        assert module.finger_present() is False
        with pytest.raises(DeviceTimeout, match="no finger"):
            module.capture(timeout=0.2)
        fp_emulator.place_finger(finger_256)
        assert np.array_equal(module.capture(timeout=1.0), finger_256)
        module.led(zp.LED_ON, zp.LED_BLUE)
        assert fp_emulator.led_state == (zp.LED_ON, zp.LED_BLUE)
        module.password = 1234
        with pytest.raises(ZhianTecError, match="wrong module password"):
            module.verify_password()
    finally:
        module.close()


def test_wrong_baud_rate_without_probing_names_the_garbage(
    fp_emulator: ZhianTecEmulator,
) -> None:
    module = ZhianTecModule(fp_emulator.path, baudrate=19200, timeout=0.3)
    with pytest.raises(DeviceTimeout, match="wrong baud rate"):
        module.open(probe=False)
    module.close()


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        ("bad-checksum", ProtocolError, "bad checksum"),
        ("drop", DeviceTimeout, "stopped answering"),
        ("stall", DeviceTimeout, "stopped answering"),
    ],
)
def test_faults_during_upimage(
    fp_emulator: ZhianTecEmulator,
    finger_256: np.ndarray,
    fault: str,
    error: type[Exception],
    match: str,
) -> None:
    fp_emulator.stall_seconds = 0.6
    module = ZhianTecModule(fp_emulator.path, timeout=0.3)
    try:
        module.open()
        fp_emulator.place_finger(finger_256)
        assert module.finger_present()
        fp_emulator.inject(fault)
        started = time.monotonic()
        with pytest.raises(error, match=match):
            module.upload_image()
        assert time.monotonic() - started < 2.0
    finally:
        module.close()


def test_noise_between_image_packets_is_skipped(
    fp_emulator: ZhianTecEmulator, finger_256: np.ndarray
) -> None:
    module = ZhianTecModule(fp_emulator.path, timeout=0.5)
    try:
        module.open()
        fp_emulator.place_finger(finger_256)
        assert module.finger_present()
        fp_emulator.inject("noise")
        assert np.array_equal(module.upload_image(), finger_256)
    finally:
        module.close()


def test_noise_before_an_answer_is_skipped(fp_emulator: ZhianTecEmulator) -> None:
    module = ZhianTecModule(fp_emulator.path, timeout=0.5)
    try:
        module.open()
        fp_emulator.inject("noise")
        assert module.read_parameters().library_size == 200
    finally:
        module.close()


def test_disconnect_mid_command_is_a_lost_device(fp_emulator: ZhianTecEmulator) -> None:
    module = ZhianTecModule(fp_emulator.path, timeout=0.5)
    try:
        module.open()
        fp_emulator.inject("disconnect")
        with pytest.raises((DeviceLost, DeviceTimeout)):
            for _ in range(20):
                module.finger_present()
    finally:
        module.close()


def test_device_thread_events_faults_and_reconnect(
    fp_emulator: ZhianTecEmulator, finger_256: np.ndarray, collector: Collector
) -> None:
    notifier = Notifier()
    notifier.add(collector)
    device = ZhianTecDevice(fp_emulator.path, notifier=notifier, poll=0.02)
    device.module.timeout = 0.3
    with device:
        collector.wait(DeviceConnected)
        fp_emulator.place_finger(finger_256)
        assert collector.wait(FingerPresence).present  # type: ignore[attr-defined]
        image = collector.wait(FingerImage).image  # type: ignore[attr-defined]
        assert np.array_equal(image, finger_256)
        fp_emulator.lift_finger()
        assert not collector.wait(FingerPresence).present  # type: ignore[attr-defined]
        fp_emulator.inject("bad-checksum")
        assert "bad checksum" in collector.wait(DeviceFault).reason  # type: ignore[attr-defined]
        fp_emulator.inject("disconnect")
        collector.wait(LostEvent, timeout=3)
        # The emulator is back 0.3 s after the unplug; the driver within 2 s of that.
        collector.wait(DeviceConnected, timeout=2.3)
        fp_emulator.place_finger(finger_256)
        assert collector.wait(FingerPresence).present  # type: ignore[attr-defined]
