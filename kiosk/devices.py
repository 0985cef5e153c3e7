"""The lane's devices as the UI sees them: drivers started from the configuration (or by
the simulator), their events delivered into the UI's event loop, their health by role.

[devices.<role>] in the configuration: `driver` (mrz-serial, zhiantec, uru4000, camera),
`port` (a device path) and driver options (e.g. `framing = "cr"` for mrz-serial).
Roles the capture flow knows: `mrz` (document reader), `fingerprint`, `face_camera`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from drivers import DeviceError
from drivers.base import AsyncListener, Device, Notifier
from drivers.registry import driver_class
from kiosk.config import Config

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceSpec:
    role: str
    driver: str
    port: str
    options: dict[str, Any] = field(default_factory=dict)


def specs_from_config(config: Config) -> list[DeviceSpec]:
    specs = []
    for role, binding in config.section("devices").items():
        if not isinstance(binding, dict):
            continue
        options = {k: v for k, v in binding.items() if k not in ("driver", "port")}
        driver, port = binding.get("driver"), binding.get("port")
        if not isinstance(driver, str) or not isinstance(port, str):
            raise config.error(f"devices.{role}", "driver", 'needs driver = "..." and port = "..."')
        specs.append(DeviceSpec(role, driver, port, options))
    return specs


class DeviceHub:
    """Starts one driver per spec; `events` yields their events in the event loop."""

    def __init__(self, specs: list[DeviceSpec]) -> None:
        self.specs = specs
        self.devices: dict[str, Device] = {}
        self.roles: dict[str, str] = {}  # device path -> role
        self.notifier = Notifier()
        self.listener: AsyncListener | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> list[str]:
        """Start every device; returns one line per device that could not be started."""
        self.listener = AsyncListener(loop)
        self.notifier.add(self.listener)
        problems = []
        for spec in self.specs:
            try:
                cls = driver_class(spec.driver)
                device = cls(spec.port, notifier=self.notifier, **spec.options)
                device.start()
            except (DeviceError, TypeError) as exc:
                problems.append(f"{spec.role}: {exc}")
                continue
            self.devices[spec.role] = device
            self.roles[spec.port] = spec.role
        return problems

    def role_of(self, device: str) -> str:
        return self.roles.get(device, device)

    def health(self) -> dict[str, str]:
        return {role: device.health.value for role, device in self.devices.items()}

    async def next_event(self) -> Any:
        assert self.listener is not None, "start() first"
        return await self.listener.get()

    def stop(self) -> None:
        for device in self.devices.values():
            try:
                device.stop()
            except DeviceError as exc:
                log.warning("stopping %s: %s", device.path, exc)
