"""A pseudo-terminal peer: the device end of a serial line, with a stable path.

The driver opens `path`, a symlink (like /dev/serial/by-id/...) to the pty slave. Unplug
closes the pty; replug creates a new one and re-points the symlink, so reconnect logic is
exercised exactly as with a USB-serial adapter. The peer can pace its output at the line
rate and sees the baud rate the driver set (Linux reports the slave's termios on the master).
"""

from __future__ import annotations

import logging
import os
import select
import tempfile
import termios
import threading
import time
import tty
from typing import Self

log = logging.getLogger(__name__)

_SPEEDS = {
    getattr(termios, f"B{rate}"): rate
    for rate in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
}


class PtyPeer:
    """Base of the serial emulators: subclasses implement `handle(data)`."""

    def __init__(self, *, baudrate: int = 9600, pace: bool = False, name: str = "ttyEMU") -> None:
        self.baudrate = baudrate
        self.pace = pace
        self._dir = tempfile.TemporaryDirectory(prefix="kiosk-sim-")
        self.path = os.path.join(self._dir.name, name)
        self._master = -1
        self._slave = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.plugged = False

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> Self:
        self.plug()
        self._thread = threading.Thread(
            target=self._loop, name=f"emulator {self.path}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.unplug()
        self._dir.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def plug(self) -> None:
        """Create the pty (device plugged in) and point the stable path at it."""
        with self._lock:
            if self._stop.is_set():
                return  # stopped: a late replug timer must not recreate the device
            master, slave = os.openpty()
            tty.setraw(master)
            tty.setraw(slave)
            os.set_blocking(master, False)
            self._master, self._slave = master, slave
            link = self.path + ".new"
            os.symlink(os.ttyname(slave), link)
            os.replace(link, self.path)
            self.plugged = True

    def unplug(self) -> None:
        """Close the pty: the driver's reads fail as with a pulled USB cable."""
        with self._lock:
            self.plugged = False
            if os.path.lexists(self.path):
                os.unlink(self.path)
            for fd in (self._master, self._slave):
                if fd >= 0:
                    os.close(fd)
            self._master = self._slave = -1

    @property
    def tty_path(self) -> str:
        """The /dev/pts/N the stable path currently points to."""
        return os.path.realpath(self.path)

    # -- wire -----------------------------------------------------------------------------
    def line_baudrate(self) -> int:
        """The baud rate the driver configured on its end of the line."""
        with self._lock:
            if self._master < 0:
                return 0
            attrs = termios.tcgetattr(self._master)
        return _SPEEDS.get(attrs[5], 0)

    def baud_matches(self) -> bool:
        return self.line_baudrate() == self.baudrate

    def write(self, data: bytes) -> None:
        """Send bytes to the driver, paced at the line rate if asked (10 bits a byte)."""
        if not data:
            return
        chunk = 64 if self.pace else len(data)
        started = time.monotonic()
        sent = 0
        for offset in range(0, len(data), chunk):
            part = data[offset : offset + chunk]
            if not self._write_all(part):
                return
            sent += len(part)
            if self.pace:
                due = started + sent * 10 / self.baudrate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    def _write_all(self, part: bytes, patience: float = 1.0) -> bool:
        """Write without ever blocking the emulator: like a UART, bytes nobody reads are lost."""
        view = memoryview(part)
        deadline = time.monotonic() + patience
        while view:
            with self._lock:
                fd = self._master
                if fd < 0:
                    return False
                try:
                    written = os.write(fd, view)
                except BlockingIOError:
                    written = 0
                except OSError:
                    return False
            view = view[written:]
            if view:
                if self._stop.is_set() or time.monotonic() > deadline:
                    log.debug("driver not reading: %d bytes dropped", len(view))
                    return False
                time.sleep(0.002)
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            fd = self._master
            if fd < 0:
                time.sleep(0.01)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.02)
                data = os.read(fd, 4096) if ready else b""
            except (OSError, ValueError):
                time.sleep(0.01)
                continue
            if data:
                try:
                    self.handle(data)
                except Exception:
                    log.exception("emulator failed on %r", data[:32])
            self.idle()

    def handle(self, data: bytes) -> None:
        """Bytes the driver sent."""

    def idle(self) -> None:
        """Called every ~20 ms from the emulator thread."""
