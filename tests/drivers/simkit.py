"""Fixtures for the driver tests: emulators on real ptys / a pyusb backend, event collectors."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from drivers.events import Event
from drivers.sim.zhiantec import ZhianTecEmulator

TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)


class Collector:
    """A listener that records events and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait(
        self, kind: type[Event], timeout: float = 3.0, where: Callable[[Event], bool] | None = None
    ) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = 0
            while True:
                for event in self.events[seen:]:
                    if isinstance(event, kind) and (where is None or where(event)):
                        self.events.remove(event)
                        return event
                seen = 0
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [type(e).__name__ for e in self.events]
                    raise AssertionError(f"no {kind.__name__} within {timeout} s; got {names}")
                self._cond.wait(left)

    def of(self, kind: type[Event]) -> list[Event]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def finger_256() -> np.ndarray:
    """A 288x256 ridge-like test pattern already on the 16-level grid."""
    y, x = np.mgrid[0:288, 0:256]
    levels = ((np.sin(x / 5.0 + y / 9.0) + 1) * 7.5).round().astype(np.uint8)
    return (levels * 17).astype(np.uint8)


@pytest.fixture
def fp_emulator() -> Iterator[ZhianTecEmulator]:
    with ZhianTecEmulator() as emulator:
        yield emulator
