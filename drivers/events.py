"""Typed events that drivers hand to listeners (the pipeline, the UI, the CLI)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


def _now() -> float:
    return time.monotonic()


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened on one device; `time` is `time.monotonic()`."""

    device: str
    time: float = field(default_factory=_now)


@dataclass(frozen=True, kw_only=True)
class DeviceConnected(Event):
    """The device was opened (first time or after a reconnect)."""

    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class DeviceLost(Event):
    """The device went away; the driver keeps retrying with backoff."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class DeviceFault(Event):
    """Malformed traffic or a device-reported error; the driver carries on."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class DocumentLines(Event):
    """One document read by a serial MRZ reader: the raw text lines, unparsed."""

    lines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FingerPresence(Event):
    """A finger was put on (True) or lifted off (False) the sensor."""

    present: bool


@dataclass(frozen=True, kw_only=True)
class FingerImage(Event):
    """An 8-bit grey fingerprint image (rows x columns numpy array)."""

    image: Any


@dataclass(frozen=True, kw_only=True)
class Frame(Event):
    """One camera frame (BGR numpy array); `seq` counts frames read since open."""

    image: Any
    seq: int
