"""The lane's devices as the UI sees them: drivers started from the configuration (or by
the simulator), their events delivered into the UI's event loop, their health by role.

[devices.<role>] in the configuration: `driver` (mrz-serial, zhiantec, uru4000, camera),
`port` (a device path) and driver options (e.g. `framing = "cr"` for mrz-serial).
Roles the capture flow knows: `mrz` (document reader), `fingerprint`, `face_camera`,
`chip` (a PC/SC reader: `driver = "pcsc"`, `port` = its PC/SC name).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from drivers import DeviceError
from drivers.base import AsyncListener, Device, Health, Notifier, wait_for
from drivers.events import DeviceConnected, DeviceFault, DeviceLost, Event
from drivers.registry import driver_class
from kiosk import KioskError
from kiosk.config import Config

log = logging.getLogger(__name__)


class DeviceProblem(KioskError, DeviceError):
    """A lane device did not open or answer (what the UI catches: it imports no driver)."""


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


@dataclass
class DeviceLog:
    """What a technician asks about one device: what it said when it opened, how often it
    did, and its last errors (time.time(), line), newest last."""

    detail: str = ""
    connects: int = 0
    errors: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=5))


class DeviceHub:
    """Starts one driver per spec; `events` yields their events in the event loop."""

    def __init__(self, specs: list[DeviceSpec]) -> None:
        self.specs = specs
        self.devices: dict[str, Device] = {}
        self.roles: dict[str, str] = {spec.port: spec.role for spec in specs}  # path -> role
        self.logs: dict[str, DeviceLog] = {spec.role: DeviceLog() for spec in specs}
        self.notifier = Notifier()
        # Noted in the driver threads as events happen, so that a self-test waiting in
        # another thread sees the reconnect without the event loop's help.
        self.notifier.add(self._note)
        self._log_lock = threading.Lock()
        self.listener: AsyncListener | None = None

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> list[str]:
        """Start every device; returns one line per device that could not be started.
        With a loop, their events are delivered into it (`next_event`)."""
        if loop is not None:
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
                self._log_error(spec.role, f"not started: {exc}")
                continue
            self.devices[spec.role] = device
        return problems

    def role_of(self, device: str) -> str:
        return self.roles.get(device, device)

    def health(self) -> dict[str, str]:
        return {role: device.health.value for role, device in self.devices.items()}

    def _note(self, event: Event) -> None:
        role = self.role_of(event.device)
        if isinstance(event, DeviceConnected):
            with self._log_lock:
                log_ = self.logs.setdefault(role, DeviceLog())
                log_.detail = event.detail
                log_.connects += 1
        elif isinstance(event, DeviceLost | DeviceFault):
            kind = "lost" if isinstance(event, DeviceLost) else "fault"
            self._log_error(role, f"{kind}: {event.reason}")

    def _log_error(self, role: str, line: str) -> None:
        with self._log_lock:
            self.logs.setdefault(role, DeviceLog()).errors.append((time.time(), line))

    def selftest(self, role: str, timeout: float = 5.0) -> str:
        """Reopen one running device as at start-up: each driver's open is its handshake
        (the fingerprint module's password and parameters, the camera's first frame, the
        port itself for a reader). Blocks: run it off the loop."""
        device = self._device(role)
        since = self.logs[role].connects
        try:
            device.stop()
            device.start()
        except DeviceError as exc:
            raise DeviceProblem(f"{role}: {exc}") from None
        return self.wait_open(role, timeout, since)

    def wait_open(self, role: str, timeout: float = 5.0, since: int = 0) -> str:
        """Wait until the device has opened more than `since` times; returns what it said
        then. Raises DeviceError with the driver's reason when it does not, in time."""
        device = self._device(role)
        if not wait_for(lambda: self.logs[role].connects > since, timeout):
            reason = device.reason or "no answer"
            self._log_error(role, f"self-test failed: {reason}")
            raise DeviceProblem(f"{role} did not open within {timeout:g} s: {reason}")
        if device.health is not Health.CONNECTED:
            raise DeviceProblem(f"{role}: {device.reason or device.health.value}")
        return self.logs[role].detail

    def _device(self, role: str) -> Device:
        device = self.devices.get(role)
        if device is None:
            errors = self.logs.get(role, DeviceLog()).errors
            raise DeviceProblem(f"{role}: {errors[-1][1] if errors else 'not configured'}")
        return device

    async def next_event(self) -> Any:
        assert self.listener is not None, "start() first"
        return await self.listener.get()

    def stop(self) -> None:
        for device in self.devices.values():
            try:
                device.stop()
            except DeviceError as exc:
                log.warning("stopping %s: %s", device.path, exc)
