"""The device model every driver shares: health, a reader thread, reconnect with backoff.

A concrete driver implements `_open`, `_close` and `_step` (one bounded-time read that may
emit events). `Device.start()` runs them in a thread owned by the driver; listeners receive
events through a `Notifier`, the asyncio one thread-safely.
"""

from __future__ import annotations

import abc
import asyncio
import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import ClassVar, Protocol

from drivers import DeviceError, DeviceLost, ProtocolError
from drivers.events import DeviceConnected, DeviceFault, DocumentLines, Event, FingerImage, Frame
from drivers.events import DeviceLost as DeviceLostEvent

log = logging.getLogger(__name__)


#: Events that carry a good reading; one of them ends an `error` health state.
DATA_EVENTS = (DocumentLines, FingerImage, Frame)


class Health(enum.Enum):
    """What a technician sees for a device."""

    CLOSED = "closed"
    CONNECTED = "connected"
    LOST = "lost"
    ERROR = "error"


class Listener(Protocol):
    """Anything that accepts events; called from the driver's thread."""

    def __call__(self, event: Event) -> None: ...


class Notifier:
    """Hands every event to each registered listener; one failing listener spoils nothing."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def add(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def dispatch(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("listener %r failed on %s", listener, type(event).__name__)


class AsyncListener:
    """Delivers events into an asyncio loop without blocking it or the driver.

    The queue is bounded: camera frames are latest-wins (a newer frame replaces one not yet
    taken), and when other events overflow the oldest is dropped with a warning.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int = 256) -> None:
        self._loop = loop
        self._events: deque[Event] = deque()
        self._maxsize = maxsize
        self._ready = asyncio.Event()
        self.dropped = 0

    def __call__(self, event: Event) -> None:
        self._loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: Event) -> None:
        if isinstance(event, Frame):
            for index, queued in enumerate(self._events):
                if isinstance(queued, Frame) and queued.device == event.device:
                    del self._events[index]
                    self.dropped += 1
                    break
        if len(self._events) >= self._maxsize:
            self._events.popleft()
            self.dropped += 1
            log.warning("event queue full: dropped the oldest event")
        self._events.append(event)
        self._ready.set()

    async def get(self) -> Event:
        while not self._events:
            self._ready.clear()
            await self._ready.wait()
        return self._events.popleft()


class Device(abc.ABC):
    """One device: open/close, health, a reader thread, reconnect with backoff."""

    #: Registry name (`mrz-serial`, `zhiantec`, `uru4000`, `camera`).
    driver_name: ClassVar[str] = ""
    #: Faults from consecutive steps, with no good step between, before the device is reopened.
    max_faults_in_a_row: ClassVar[int] = 5

    def __init__(
        self,
        path: str,
        *,
        notifier: Notifier | None = None,
        backoff_initial: float = 0.05,
        backoff_max: float = 0.5,
    ) -> None:
        self.path = path
        self.notifier = notifier if notifier is not None else Notifier()
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._health = Health.CLOSED
        self._reason = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()

    # -- what a driver implements -------------------------------------------------------
    @abc.abstractmethod
    def _open(self) -> str:
        """Open the device; return a detail line (model, firmware). Raise DeviceError."""

    @abc.abstractmethod
    def _close(self) -> None:
        """Release the device; must not raise."""

    @abc.abstractmethod
    def _step(self) -> None:
        """One read bounded by a timeout; emit events. DeviceLost ends the connection."""

    # -- health -------------------------------------------------------------------------
    @property
    def health(self) -> Health:
        return self._health

    @property
    def reason(self) -> str:
        """Why the device is lost or in error ('' when connected)."""
        return self._reason

    def _set_health(self, health: Health, reason: str = "") -> None:
        with self._state_lock:
            self._health = health
            self._reason = reason

    def emit(self, event: Event) -> None:
        if self._health is Health.ERROR and isinstance(event, DATA_EVENTS):
            # A good reading after a fault: the device works again.
            self._set_health(Health.CONNECTED)
        self.notifier.dispatch(event)

    def fault(self, reason: str) -> None:
        """Report malformed traffic; the connection stays up."""
        log.warning("%s: %s", self.path, reason)
        self._set_health(Health.ERROR, reason)
        self.emit(DeviceFault(device=self.path, reason=reason))

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Run the device in its own thread until `stop()`; reconnect after losses."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"device {self.path}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._set_health(Health.CLOSED)

    def __enter__(self) -> Device:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        delay = self._backoff_initial
        announced_loss = False
        while not self._stop.is_set():
            try:
                detail = self._open()
            except DeviceError as exc:
                if not announced_loss:
                    self._lost(str(exc))
                    announced_loss = True
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff_max)
                continue
            announced_loss = False
            self._set_health(Health.CONNECTED)
            self.emit(DeviceConnected(device=self.path, detail=detail))
            worked = False  # did one step of this connection complete?
            try:
                faults_in_a_row = 0
                while not self._stop.is_set():
                    try:
                        self._step()
                    except ProtocolError as exc:
                        self.fault(str(exc))
                        faults_in_a_row += 1
                        if faults_in_a_row >= self.max_faults_in_a_row:
                            # Nothing but faults: the device or the link is wedged. Reopen
                            # it (with backoff) rather than spin on the same failure.
                            raise DeviceLost(
                                f"{exc} ({faults_in_a_row} times in a row): reopening the device"
                            ) from exc
                    else:
                        faults_in_a_row = 0
                        worked = True
            except DeviceError as exc:
                reason = str(exc) if isinstance(exc, DeviceLost) else f"device error: {exc}"
                self._lost(reason)
                announced_loss = True
            except Exception as exc:  # a driver bug must not kill the thread silently
                log.exception("%s: unexpected driver failure", self.path)
                self._lost(f"driver failure: {exc!r}")
                announced_loss = True
            finally:
                self._close()
            if worked:
                delay = self._backoff_initial  # a working connection ended: retry at once
            else:
                # It failed before doing anything: back off, or a device that opens but never
                # works (or a driver bug on the first step) would be reopened in a tight loop.
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff_max)
        self._close()

    def _lost(self, reason: str) -> None:
        log.warning("%s lost: %s", self.path, reason)
        self._set_health(Health.LOST, reason)
        self.emit(DeviceLostEvent(device=self.path, reason=reason))


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    """Poll `predicate` until it holds or `timeout` passes (for tests and one-shot reads)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
