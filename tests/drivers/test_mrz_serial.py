"""Serial MRZ readers: framing presets, line-count detection, faults, reconnect (real ptys)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from simkit import TD1, TD3, Collector

from drivers import DeviceBusy, DeviceError, DeviceNotFound, ProtocolError
from drivers.base import AsyncListener, Health, Notifier
from drivers.events import DeviceConnected, DeviceFault, DeviceLost, DocumentLines
from drivers.mrz_serial import PRESETS, FrameDecoder, Framing, MRZSerialReader
from drivers.serialport import open_serial
from drivers.sim.mrz_reader import MRZReaderEmulator


def _read_after(emulator: MRZReaderEmulator, reader: MRZSerialReader, send: object) -> tuple:
    """Open the reader, then have the emulator send (once the driver configured the line)."""

    def later() -> None:
        deadline = time.monotonic() + 2
        while not emulator.baud_matches() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        send()  # type: ignore[operator]

    threading.Thread(target=later, daemon=True).start()
    return reader.read_document(3.0)


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("lines", [TD3, TD1], ids=["TD3", "TD1"])
def test_every_preset_reads_documents(preset: str, lines: tuple[str, ...]) -> None:
    with MRZReaderEmulator(PRESETS[preset]) as emulator:
        reader = MRZSerialReader(emulator.path, framing=preset)
        assert _read_after(emulator, reader, lambda: emulator.send_document(lines)) == lines


def test_prefix_suffix_and_parity() -> None:
    framing = Framing(terminator=b"\r\n", prefix=b"@MRZ:", suffix=b"#END", parity="E")
    with MRZReaderEmulator(framing) as emulator:
        reader = MRZSerialReader(emulator.path, framing=framing)
        assert _read_after(emulator, reader, lambda: emulator.send_document(TD3)) == TD3


def test_line_count_is_detected_without_waiting_for_the_gap() -> None:
    decoder = FrameDecoder(Framing(terminator=b"\r", gap=10.0))
    results = decoder.feed(("\r".join(TD1) + "\r").encode(), now=0.0)
    assert [r.lines for r in results] == [TD1]
    # Two 30-character lines are not a document yet: TD1 has three.
    assert decoder.feed(("\r".join(TD1[:2]) + "\r").encode(), now=1.0) == []
    late = decoder.tick(now=11.5)
    assert late and "incomplete document" in late[0].error


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("noise", "garbled"),
        ("truncated", "truncated frame"),
        ("drop", "incomplete document"),
        ("stall", "truncated frame"),
    ],
)
def test_faults_give_a_clear_reason(fault: str, expected: str) -> None:
    with MRZReaderEmulator(PRESETS["stx-etx"]) as emulator:
        reader = MRZSerialReader(emulator.path, framing="stx-etx")
        send = {
            "noise": lambda: emulator.send_raw(b"\x02" + bytes(range(0x80, 0x90)) + b"\x03"),
            "truncated": lambda: emulator.send_truncated(TD3),
            "drop": lambda: emulator.send_with_drop(TD3, index=20),
            "stall": lambda: emulator.send_stalled(TD3, stall=0.6),
        }[fault]
        with pytest.raises(ProtocolError, match=expected):
            _read_after(emulator, reader, send)


def test_wrong_baud_rate_is_named() -> None:
    with MRZReaderEmulator(Framing(baudrate=9600)) as emulator:
        reader = MRZSerialReader(emulator.path, framing="cr", baudrate=19200)

        def send() -> None:
            time.sleep(0.2)
            emulator.send_document(TD3)

        with pytest.raises(ProtocolError, match="check baud rate and parity"):
            _read_after(emulator, reader, send)


def test_no_document_times_out() -> None:
    with MRZReaderEmulator() as emulator:
        reader = MRZSerialReader(emulator.path)
        started = time.monotonic()
        with pytest.raises(DeviceError, match="no document"):
            reader.read_document(0.3)
        assert time.monotonic() - started < 1.5


def test_missing_and_busy_ports() -> None:
    with pytest.raises(DeviceNotFound, match="no such port"):
        MRZSerialReader("/dev/ttyKIOSK-missing").read_document(0.1)
    with MRZReaderEmulator() as emulator:
        holder = open_serial(emulator.path, baudrate=9600)
        try:
            with pytest.raises(DeviceBusy, match="busy"):
                MRZSerialReader(emulator.path).read_document(0.1)
        finally:
            holder.close()


def test_device_thread_reads_faults_and_reconnects(collector: Collector) -> None:
    with MRZReaderEmulator() as emulator:
        notifier = Notifier()
        notifier.add(collector)
        reader = MRZSerialReader(emulator.path, notifier=notifier)
        with reader:
            collector.wait(DeviceConnected)
            assert reader.health is Health.CONNECTED
            emulator.send_document(TD3)
            assert collector.wait(DocumentLines).lines == TD3  # type: ignore[attr-defined]
            emulator.send_noise()
            fault = collector.wait(DeviceFault)
            assert "garbled" in fault.reason  # type: ignore[attr-defined]
            assert reader.health is Health.ERROR
            emulator.unplug()
            collector.wait(DeviceLost)
            assert reader.health is Health.LOST
            time.sleep(0.5)
            emulator.plug()
            replugged = time.monotonic()
            collector.wait(DeviceConnected, timeout=2.0)
            assert time.monotonic() - replugged < 2.0
            emulator.send_document(TD1)
            assert collector.wait(DocumentLines).lines == TD1  # type: ignore[attr-defined]
        assert reader.health is Health.CLOSED


def test_events_reach_asyncio_without_blocking_the_loop() -> None:
    async def scenario() -> list[object]:
        loop = asyncio.get_running_loop()
        listener = AsyncListener(loop)
        with MRZReaderEmulator() as emulator:
            notifier = Notifier()
            notifier.add(listener)
            with MRZSerialReader(emulator.path, notifier=notifier):
                got = [type(await asyncio.wait_for(listener.get(), 3))]
                await asyncio.sleep(0.1)
                emulator.send_document(TD3)
                event = await asyncio.wait_for(listener.get(), 3)
                got.append(event.lines)  # type: ignore[attr-defined]
        return got

    assert asyncio.run(scenario()) == [DeviceConnected, TD3]


@pytest.mark.parametrize("preset", ["cr", "stx-etx"])
def test_an_over_long_frame_is_dropped_once_in_linear_time(preset: str) -> None:
    """200 KB without a pause cost 3.9 s of CPU (the buffer was re-split per byte)."""
    framing = PRESETS[preset]
    decoder = FrameDecoder(framing)
    flood = framing.start + (b"P<UTO" * 40 + b"\r") * 1000  # ~200 KB, no frame end
    started = time.process_time()
    results = decoder.feed(flood, 0.0)
    assert time.process_time() - started < 0.5
    assert [r.error for r in results] == [
        "over-long frame: more than 512 bytes without a frame end; dropped "
        "(check the framing setting)"
    ]
    assert decoder.tick(framing.gap + 1) == [] or preset == "stx-etx"
    document = framing.start + b"\r".join(line.encode() for line in TD3) + b"\r" + framing.end
    later = decoder.feed(document, framing.gap + 2)
    assert [r.lines for r in later if r.lines] == [TD3]
