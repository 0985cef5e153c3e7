"""A serial MRZ reader on a pty: sends the documents the caller hands it, with faults."""

from __future__ import annotations

import random
import time

from drivers.mrz_serial import ETX, STX, Framing
from drivers.sim.pty import PtyPeer


class MRZReaderEmulator(PtyPeer):
    """Frames caller-supplied lines the way a reader configured with `framing` would."""

    def __init__(self, framing: Framing | None = None, *, pace: bool = False) -> None:
        self.framing = framing or Framing()
        super().__init__(baudrate=self.framing.baudrate, pace=pace, name="ttyMRZ")
        self._rng = random.Random(4)

    def encode(self, lines: list[str] | tuple[str, ...]) -> bytes:
        f = self.framing
        body = f.prefix + f.terminator.join(line.encode("ascii") for line in lines)
        body += f.terminator + f.suffix
        if f.start or f.end:
            return f.start + body + f.end
        return body

    def _garble(self, data: bytes) -> bytes:
        """What a UART at the wrong baud rate makes of the bytes."""
        return bytes((b * 7 + 0x81) & 0xFF for b in data)

    def send_document(self, lines: list[str] | tuple[str, ...]) -> None:
        data = self.encode(lines)
        if not self.baud_matches():
            data = self._garble(data)
        self.write(data)

    # -- faults ---------------------------------------------------------------------------
    def send_noise(self, count: int = 16) -> None:
        self.write(bytes(self._rng.randrange(0x80, 0x100) for _ in range(count)))

    def send_truncated(self, lines: list[str] | tuple[str, ...], keep: float = 0.5) -> None:
        """Part of a document, then silence (a reader that stops mid-transfer)."""
        data = self.encode(lines)
        self.write(data[: int(len(data) * keep)])

    def send_with_drop(self, lines: list[str] | tuple[str, ...], index: int = 10) -> None:
        """A document with one byte lost on the line."""
        data = self.encode(lines)
        self.write(data[:index] + data[index + 1 :])

    def send_stalled(self, lines: list[str] | tuple[str, ...], stall: float) -> None:
        """A document with a pause in the middle longer than the reader's gap."""
        data = self.encode(lines)
        half = len(data) // 2
        self.write(data[:half])
        time.sleep(stall)
        self.write(data[half:])

    def replug(self, downtime: float = 0.3) -> None:
        self.unplug()
        time.sleep(downtime)
        self.plug()

    def send_raw(self, data: bytes) -> None:
        self.write(data)


__all__ = ["ETX", "STX", "MRZReaderEmulator"]
