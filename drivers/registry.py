"""Drivers by name, imported lazily so a missing library only breaks its own driver."""

from __future__ import annotations

import importlib
from typing import Any

from drivers import DeviceError

DRIVERS: dict[str, str] = {
    "mrz-serial": "drivers.mrz_serial:MRZSerialReader",
    "zhiantec": "drivers.zhiantec:ZhianTecDevice",
    "uru4000": "drivers.uru4000:URU4000Device",
    "camera": "drivers.camera:Camera",
    "pcsc": "drivers.pcsc:PCSCReader",
}


def driver_class(name: str) -> Any:
    """The device class registered under `name`; a clear error for unknown names."""
    try:
        target = DRIVERS[name]
    except KeyError:
        known = ", ".join(sorted(DRIVERS))
        raise DeviceError(f"unknown driver {name!r} (known: {known})") from None
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DeviceError(f"driver {name!r} is not usable here: {exc}") from exc
    return getattr(module, class_name)
