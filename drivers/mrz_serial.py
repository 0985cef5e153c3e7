"""Serial MRZ readers (swipe and page readers that send the MRZ as text).

Framing is configurable (STX/ETX, CR/LF/CRLF, inter-character gap, prefix/suffix, baud and
parity) with presets for the usual conventions. The line count (2 or 3) is detected from
the line lengths, so a document is handed over as soon as it is complete. Output is the raw
lines; parsing is `mrz`'s job.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

import serial

from drivers import DeviceError, DeviceLost, ProtocolError
from drivers.base import Device, Notifier
from drivers.events import DocumentLines
from drivers.serialport import close_quietly, open_serial

log = logging.getLogger(__name__)

STX = b"\x02"
ETX = b"\x03"
#: Characters an MRZ line may hold.
MRZ_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
#: Line count and length of complete MRZs (TD1, TD2/MRV-B, TD3/MRV-A).
COMPLETE = {(3, 30), (2, 36), (2, 44)}
#: The longest frame accepted: 3x30 or 2x44 characters leave room for any terminators,
#: prefix and suffix. A longer run is a fault (a stuck reader, a wrong port), dropped.
MAX_FRAME = 512


@dataclass(frozen=True)
class Framing:
    """How a reader frames one document on the wire."""

    start: bytes = b""
    end: bytes = b""
    terminator: bytes = b"\r"
    gap: float = 0.25
    prefix: bytes = b""
    suffix: bytes = b""
    baudrate: int = 9600
    parity: str = "N"

    def describe(self) -> str:
        return f"{self.baudrate} baud, parity {self.parity}"


PRESETS: dict[str, Framing] = {
    # STX, lines separated by CR, ETX (many page readers).
    "stx-etx": Framing(start=STX, end=ETX, terminator=b"\r"),
    # Lines ended by CR; the document ends after the last line or a pause.
    "cr": Framing(terminator=b"\r"),
    "lf": Framing(terminator=b"\n"),
    "crlf": Framing(terminator=b"\r\n"),
    # No delimiters the driver can trust: a pause ends the document.
    "gap": Framing(terminator=b"\r", gap=0.15),
}


@dataclass(frozen=True)
class FrameResult:
    """What the decoder produced: lines, or a reason why the bytes were not a document."""

    lines: tuple[str, ...] = ()
    error: str = ""


class FrameDecoder:
    """Turns a byte stream with arrival times into documents or framing errors.

    Pure (no I/O) so it can be fed by a serial port, a test, or a replayed capture.
    """

    def __init__(self, framing: Framing) -> None:
        self.framing = framing
        self._buffer = bytearray()
        self._last = 0.0
        self._in_frame = False
        self._dropping = False  # an over-long frame: drop bytes until STX or a pause

    def feed(self, data: bytes, now: float) -> list[FrameResult]:
        results: list[FrameResult] = []
        if not data:
            return results
        self._last = now
        f = self.framing
        for value in data:
            byte = bytes([value])
            if f.start and byte == f.start:
                if self._in_frame and self._buffer:
                    results.append(self._error("truncated frame: STX again before ETX"))
                self._buffer.clear()
                self._in_frame = True
                self._dropping = False
                continue
            if self._dropping:
                continue
            if f.end and byte == f.end:
                if f.start and not self._in_frame:
                    results.append(self._error("ETX without STX"))
                    continue
                results.append(self._finish())
                continue
            if f.start and not self._in_frame:
                if value not in b"\r\n\x00 ":
                    results.append(self._error(f"byte 0x{value:02x} outside an STX/ETX frame"))
                continue
            self._buffer += byte
            if len(self._buffer) > MAX_FRAME:
                results.append(
                    self._error(
                        f"over-long frame: more than {MAX_FRAME} bytes without a frame end; "
                        "dropped (check the framing setting)"
                    )
                )
                self._dropping = True
                continue
            if not f.end:
                complete = self._complete_lines()
                if complete is not None:
                    results.append(complete)
        return results

    def tick(self, now: float) -> list[FrameResult]:
        """Call regularly: a pause longer than the gap ends (or truncates) a document."""
        if self._dropping and now - self._last >= self.framing.gap:
            self._dropping = False
        if (self._buffer or self._in_frame) and now - self._last >= self.framing.gap:
            if self.framing.end:
                size = len(self._buffer)
                self._buffer.clear()
                self._in_frame = False
                return [FrameResult(error=f"truncated frame: no ETX after {size} bytes")]
            return [self._finish()]
        return []

    def _error(self, reason: str) -> FrameResult:
        self._buffer.clear()
        self._in_frame = False
        return FrameResult(error=reason)

    def _split(self) -> list[bytes]:
        f = self.framing
        data = bytes(self._buffer)
        if f.prefix and data.startswith(f.prefix):
            data = data[len(f.prefix) :]
        if f.suffix and data.rstrip(b"\r\n").endswith(f.suffix):
            data = data.rstrip(b"\r\n")[: -len(f.suffix)]
        for other in (b"\r\n", b"\r", b"\n"):
            data = data.replace(other, b"\n")
        return [line.strip(b" ") for line in data.split(b"\n") if line.strip(b" ")]

    def _complete_lines(self) -> FrameResult | None:
        """Emit as soon as 2 or 3 full-length lines have arrived (line count auto-detect)."""
        if not self._buffer.endswith(self.framing.terminator):
            return None
        lines = self._split()
        lengths = {len(line) for line in lines}
        if len(lengths) == 1 and (len(lines), lengths.pop()) in COMPLETE:
            if len(lines) == 2 and len(lines[0]) == 30:
                return None
            return self._finish()
        return None

    def _finish(self) -> FrameResult:
        lines = self._split()
        self._buffer.clear()
        self._in_frame = False
        if not lines:
            return FrameResult(error="empty frame")
        for line in lines:
            bad = sorted({b for b in line if b not in MRZ_CHARS})
            if bad:
                shown = " ".join(f"0x{b:02x}" for b in bad[:6])
                return FrameResult(
                    error=f"garbled data ({shown}): check baud rate and parity "
                    f"(configured {self.framing.describe()})"
                )
        text = tuple(line.decode("ascii") for line in lines)
        lengths = {len(line) for line in text}
        if len(lengths) != 1 or (len(text), len(text[0])) not in COMPLETE:
            shape = "/".join(str(len(line)) for line in text)
            return FrameResult(
                error=f"incomplete document: {len(text)} line(s) of {shape} characters "
                "(expected 3x30, 2x36 or 2x44); swipe again"
            )
        return FrameResult(lines=text)


class MRZSerialReader(Device):
    """A serial MRZ reader; emits `DocumentLines`, faults for malformed frames."""

    driver_name = "mrz-serial"

    def __init__(
        self,
        path: str,
        *,
        framing: Framing | str = "cr",
        notifier: Notifier | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(path, notifier=notifier)
        if isinstance(framing, str):
            try:
                framing = PRESETS[framing]
            except KeyError:
                known = ", ".join(PRESETS)
                raise DeviceError(f"unknown framing preset {framing!r} (known: {known})") from None
        if overrides:
            framing = dataclasses.replace(framing, **overrides)
        self.framing = framing
        self._port: serial.Serial | None = None
        self._decoder = FrameDecoder(framing)

    def _open(self) -> str:
        self._port = open_serial(
            self.path,
            baudrate=self.framing.baudrate,
            parity=self.framing.parity,
            timeout=min(0.05, self.framing.gap / 2),
        )
        self._decoder = FrameDecoder(self.framing)
        return f"serial MRZ reader, {self.framing.describe()}"

    def _close(self) -> None:
        close_quietly(self._port)
        self._port = None

    def _step(self) -> None:
        for result in self.read_results():
            if result.error:
                raise ProtocolError(result.error)
            self.emit(DocumentLines(device=self.path, lines=result.lines))

    def read_results(self) -> list[FrameResult]:
        """One bounded read (at most the port timeout) and what it completed."""
        if self._port is None:
            raise DeviceLost(f"{self.path} is not open")
        try:
            waiting = self._port.in_waiting
            data = self._port.read(max(1, waiting))
        except (serial.SerialException, OSError) as exc:
            raise DeviceLost(f"{self.path}: port went away ({exc})") from exc
        now = time.monotonic()
        results = self._decoder.feed(data, now) if data else []
        return results + self._decoder.tick(now)

    def read_document(self, timeout: float) -> tuple[str, ...]:
        """One-shot read for technicians: open, wait for one document, close."""
        self._open()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for result in self.read_results():
                    if result.error:
                        raise ProtocolError(result.error)
                    return result.lines
            raise DeviceError(f"no document read from {self.path} within {timeout:g} s")
        finally:
            self._close()
