"""Contactless (and contact) chip readers through PC/SC: pyscard over pcscd.

`PCSCReader` is a `Device` like the others: its thread watches the reader and emits
`CardInserted` / `CardRemoved`; `transceive(apdu)` carries one APDU to the card in the field
(the callable the `emrtd` library takes). A card that leaves mid-exchange raises
`CardGone`, which is both a `DeviceLost` and a `ConnectionError`, so protocol code that knows
nothing of drivers can still tell "card removed" from other faults.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from drivers import DeviceError, DeviceLost, DeviceNotFound, DeviceTimeout
from drivers.base import Device, Notifier
from drivers.events import Event

log = logging.getLogger(__name__)

#: How long one `_step` waits for a reader state change (bounded, so stop() is prompt).
POLL_MS = 200


class CardGone(DeviceLost, ConnectionError):
    """The card left the reader (or the reader itself went away) during an exchange."""


class PCSCUnavailable(DeviceError):
    """pcscd is not running, or pyscard is missing."""


@dataclass(frozen=True, kw_only=True)
class CardInserted(Event):
    """A card entered the reader's field; `atr` is its answer to reset."""

    atr: bytes


@dataclass(frozen=True, kw_only=True)
class CardRemoved(Event):
    """The card left the reader's field."""


def _scard() -> Any:
    try:
        from smartcard import scard
    except ImportError as exc:  # pragma: no cover - pyscard is a dependency
        raise PCSCUnavailable(f"pyscard is not installed: {exc}") from None
    return scard


def _context() -> tuple[Any, int]:
    scard = _scard()
    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        raise PCSCUnavailable(
            f"PC/SC is not available ({scard.SCardGetErrorMessage(result).strip()}): "
            "start pcscd (systemctl enable --now pcscd.socket)"
        )
    return scard, context


def list_readers() -> list[str]:
    """Names of the PC/SC readers pcscd knows; PCSCUnavailable when pcscd is not running."""
    scard, context = _context()
    try:
        result, readers = scard.SCardListReaders(context, [])
        if result == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if result != scard.SCARD_S_SUCCESS:
            raise PCSCUnavailable(
                f"cannot list PC/SC readers: {scard.SCardGetErrorMessage(result).strip()}"
            )
        return list(readers)
    finally:
        scard.SCardReleaseContext(context)


def card_present(reader: str) -> bytes | None:
    """The ATR of the card in `reader`, or None when the field is empty."""
    scard, context = _context()
    try:
        result, states = scard.SCardGetStatusChange(
            context, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
        )
        if result != scard.SCARD_S_SUCCESS:
            raise DeviceNotFound(f"reader {reader!r}: {scard.SCardGetErrorMessage(result).strip()}")
        _name, state, atr = states[0]
        return bytes(atr) if state & scard.SCARD_STATE_PRESENT else None
    finally:
        scard.SCardReleaseContext(context)


class PCSCReader(Device):
    """One PC/SC reader by name (`Virtual PCD 00 00`, `ACS ACR1252 ...`)."""

    driver_name = "pcsc"

    def __init__(self, path: str, *, notifier: Notifier | None = None, **kwargs: Any) -> None:
        super().__init__(path, notifier=notifier, **kwargs)
        self._lock = threading.RLock()
        self._context: int | None = None
        self._card: int | None = None
        self._protocol = 0
        self._present: bytes | None = None
        self._state = 0

    # -- Device ---------------------------------------------------------------------------
    def _open(self) -> str:
        scard, context = _context()
        readers = list_readers()
        if self.path not in readers:
            scard.SCardReleaseContext(context)
            known = ", ".join(readers) or "none"
            raise DeviceNotFound(f"no PC/SC reader named {self.path!r} (readers: {known})")
        self._context = context
        self._state = scard.SCARD_STATE_UNAWARE
        return "PC/SC reader"

    def _close(self) -> None:
        with self._lock:
            self.disconnect()
            if self._context is not None:
                with contextlib.suppress(Exception):  # closing must not raise
                    _scard().SCardReleaseContext(self._context)
                self._context = None

    def _step(self) -> None:
        scard = _scard()
        result, states = scard.SCardGetStatusChange(
            self._context, POLL_MS, [(self.path, self._state)]
        )
        if result == scard.SCARD_E_TIMEOUT:
            return
        if result != scard.SCARD_S_SUCCESS:
            raise DeviceLost(f"reader {self.path}: {scard.SCardGetErrorMessage(result).strip()}")
        _name, state, atr = states[0]
        self._state = state & ~scard.SCARD_STATE_CHANGED
        if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
            raise DeviceLost(f"reader {self.path} went away")
        present = bytes(atr) if state & scard.SCARD_STATE_PRESENT else None
        if present and self._present is None:
            self._present = present
            self.emit(CardInserted(device=self.path, atr=present))
        elif present is None and self._present is not None:
            self._present = None
            self.disconnect()
            self.emit(CardRemoved(device=self.path))

    # -- the card -------------------------------------------------------------------------
    def connect(self) -> bytes:
        """Connect to the card in the field (T=1 or T=0); its ATR. Works without start()."""
        scard = _scard()
        with self._lock:
            if self._card is not None:
                return self._present or b""
            owned = self._context is None
            if owned:
                _scard_mod, self._context = _context()
            result, card, protocol = scard.SCardConnect(
                self._context,
                self.path,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            if result in (scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD):
                raise CardGone(f"no card on {self.path}")
            if result == scard.SCARD_E_UNKNOWN_READER:
                raise DeviceNotFound(f"no PC/SC reader named {self.path!r}")
            if result == scard.SCARD_E_TIMEOUT:
                raise DeviceTimeout(f"the card on {self.path} did not answer")
            if result != scard.SCARD_S_SUCCESS:
                raise DeviceError(f"{self.path}: {scard.SCardGetErrorMessage(result).strip()}")
            self._card, self._protocol = card, protocol
            result, _reader, _state, _proto, atr = scard.SCardStatus(card)
            self._present = bytes(atr) if result == scard.SCARD_S_SUCCESS else b""
            return self._present

    def disconnect(self) -> None:
        with self._lock:
            if self._card is not None:
                scard = _scard()
                scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
                self._card = None

    def transceive(self, apdu: bytes) -> bytes:
        """One command APDU to the card, its response APDU (data and status word)."""
        scard = _scard()
        with self._lock:
            if self._card is None:
                self.connect()
            result, response = scard.SCardTransmit(self._card, self._protocol, list(apdu))
            if result != scard.SCARD_S_SUCCESS:
                reason = scard.SCardGetErrorMessage(result).strip()
                self.disconnect()
                if result in (
                    scard.SCARD_W_REMOVED_CARD,
                    scard.SCARD_E_NO_SMARTCARD,
                    scard.SCARD_W_RESET_CARD,
                    scard.SCARD_E_READER_UNAVAILABLE,
                    scard.SCARD_E_NOT_TRANSACTED,
                    scard.SCARD_F_COMM_ERROR,
                ):
                    raise CardGone(f"card removed from {self.path} ({reason})")
                raise DeviceError(f"{self.path}: transmit failed ({reason})")
            if len(response) < 2:
                # vpcd and some readers report a card that left the field this way.
                self.disconnect()
                raise CardGone(f"no answer from the card on {self.path}: card removed?")
            return bytes(response)

    def wait_for_removal(self, timeout: float) -> bool:
        """Wait until the field is empty (before a retry); False if a card is still there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if card_present(self.path) is None:
                return True
            time.sleep(POLL_MS / 1000 / 4)
        return card_present(self.path) is None

    def wait_for_card(self, timeout: float) -> bytes:
        """Block until a card is in the field (for one-shot reads such as the CLI's)."""
        scard = _scard()
        owned = self._context is None
        if owned:
            _mod, self._context = _context()
        state = scard.SCARD_STATE_UNAWARE
        deadline_ms = int(timeout * 1000)
        waited = 0
        try:
            while True:
                result, states = scard.SCardGetStatusChange(
                    self._context, min(POLL_MS, max(deadline_ms - waited, 1)), [(self.path, state)]
                )
                if result == scard.SCARD_S_SUCCESS:
                    _name, state, atr = states[0]
                    if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                        raise DeviceNotFound(f"no PC/SC reader named {self.path!r}")
                    state &= ~scard.SCARD_STATE_CHANGED
                    if state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE:
                        return bytes(atr)
                elif result != scard.SCARD_E_TIMEOUT:
                    raise DeviceError(f"{self.path}: {scard.SCardGetErrorMessage(result).strip()}")
                waited += POLL_MS
                if waited >= deadline_ms:
                    raise DeviceTimeout(f"no card on {self.path} within {timeout:g} s")
        finally:
            if owned and self._card is None:
                scard.SCardReleaseContext(self._context)
                self._context = None
