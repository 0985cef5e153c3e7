"""A card for vsmartcard's virtual reader: a TCP client of pcscd's `vpcd` driver.

vpcd listens on localhost (35963 for the first reader by default, the next port for the
next). A card is present while a client is connected. Framing: a 2-byte big-endian length,
then the message; a 1-byte message is a control (0 power off, 1 power on, 2 reset, 4 send
the ATR), anything longer is a command APDU, answered with the response APDU.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)

DEFAULT_PORT = 35963
POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class VirtualCard(Protocol):
    atr: bytes

    def power(self, on: bool) -> None: ...

    def apdu(self, command: bytes) -> bytes: ...


class VpcdCard:
    """Puts `card` on the virtual reader at host:port until `remove()`; `insert()` again."""

    def __init__(
        self, card: VirtualCard, port: int = DEFAULT_PORT, host: str = "127.0.0.1"
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Remove the card after this many more APDUs (a traveller pulling the passport away).
        self.remove_after: int | None = None
        self.apdus = 0

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def insert(self, timeout: float = 10.0) -> None:
        """Connect to vpcd (retrying while pcscd starts); the reader then sees a card."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), daemon=True, name="vpcd card"
        )
        self._thread.start()

    def remove(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._thread = None

    def __enter__(self) -> VpcdCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _drop(self, sock: socket.socket) -> None:
        """The card leaves the field: close this connection (not a newer one)."""
        with self._lock:
            if self._sock is sock:
                self._sock = None
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _recv(self, sock: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            try:
                if _QUICKACK is not None:
                    # vpcd writes the length and the APDU separately; acknowledge at once
                    # or Nagle on its side waits for our delayed ACK (40 ms per APDU).
                    sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
                chunk = sock.recv(size - len(data))
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data

    def _serve(self, sock: socket.socket) -> None:
        while True:
            head = self._recv(sock, 2)
            if head is None:
                break
            (length,) = struct.unpack(">H", head)
            message = self._recv(sock, length)
            if message is None:
                break
            if length == 1:
                control = message[0]
                if control == GET_ATR:
                    answer: bytes | None = self.card.atr
                elif control in (POWER_ON, RESET):
                    self.card.power(True)
                    answer = None
                else:
                    self.card.power(False)
                    answer = None
            else:
                if self.remove_after is not None:
                    if self.remove_after <= 0:
                        self.remove_after = None
                        self._drop(sock)
                        break
                    self.remove_after -= 1
                self.apdus += 1
                try:
                    answer = self.card.apdu(message)
                except Exception:  # an emulator bug must look like a card error, not a hang
                    log.exception("virtual card failed on %s", message.hex())
                    answer = b"\x6f\x00"
            if answer is not None:
                try:
                    sock.sendall(struct.pack(">H", len(answer)) + answer)
                except OSError:
                    break
