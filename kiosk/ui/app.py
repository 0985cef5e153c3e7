"""The kiosk's Textual application: login, then the officer screen."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any

from textual.app import App

from drivers.events import (
    DeviceConnected,
    DeviceFault,
    DeviceLost,
    DocumentLines,
    FingerImage,
    Frame,
)
from kiosk.officers import Officer, Role
from kiosk.lane.pipeline import State
from kiosk.ui.dialogs import HelpScreen
from kiosk.ui.login import LoginScreen
from kiosk.ui.officer import OfficerScreen
from kiosk.ui.services import Services

log = logging.getLogger(__name__)


class KioskApp(App[None]):
    TITLE = "Border kiosk"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.officer: Officer | None = None
        from kiosk.memory import pin_mmap_threshold
        from kiosk.lane.quality import quality_pool

        pin_mmap_threshold()  # before the PIN checks and frames: see kiosk.memory
        self.quality_pool = quality_pool()  # NFIQ 2 in a worker process (before Textual runs)
        self.idle_lock_seconds = 60.0 * float(services.config.get("ui", "idle_lock_minutes", 5))
        self.last_activity = time.monotonic()
        self.locked = False
        self.faulty: set[str] = set()  # roles lost or faulty since they last connected
        self._quality_notified = 0.0

    @property
    def officer_is_technician(self) -> bool:
        return self.officer is not None and self.officer.role is Role.TECHNICIAN

    def on_mount(self) -> None:
        self.show_login()
        self.set_interval(1.0, self.lock_when_idle)
        for problem in self.services.hub.start(asyncio.get_running_loop()):
            self.notify(f"Device not started: {problem}", severity="error", timeout=15)
        self.run_worker(self.pump_device_events(), group="devices", exclusive=True)
        self.set_timer(1.0, self.warm_up_quality)

    def warm_up_quality(self) -> None:
        """Load the face cascades and NFIQ 2 in the worker while the officer logs in, so
        the first traveller's face and fingers are assessed at once."""
        from kiosk.lane.quality import warm_up

        policy = self.services.pipeline.policy
        self.quality_pool.submit(warm_up, self.services.face_thresholds(), policy.finger_threshold)
        self.freeze_heap()

    def quality_failed(self, what: str, exc: BaseException) -> None:
        """A quality check failed (a bug, or the worker process died): the officer is told
        (at most every few seconds), a dead worker is replaced, the traveller stays."""
        from concurrent.futures.process import BrokenProcessPool

        from kiosk.lane.quality import quality_pool

        log.error("%s failed", what, exc_info=exc)
        if isinstance(exc, BrokenProcessPool):
            self.quality_pool.shutdown(wait=False, cancel_futures=True)
            self.quality_pool = quality_pool()
        now = time.monotonic()
        if now - self._quality_notified > 5:
            self._quality_notified = now
            self.notify(f"{what} failed ({exc}); it carries on", severity="error", timeout=8)

    def freeze_heap(self) -> None:
        """Move what start-up made (~100,000 objects of Textual, Rich, OpenCV, ...) out of
        the garbage collector's sight: otherwise every full collection walks them all and
        holds the event loop for 60-80 ms, which the face step, allocating ~10 strips a
        second, triggers about once per traveller. (No collection first: that alone
        would hold the loop as long; what garbage is frozen now is small and made once.)"""
        gc.freeze()

    async def pump_device_events(self) -> None:
        """Driver events arrive here, in the event loop, as they happen."""
        hub = self.services.hub
        while True:
            event = await hub.next_event()
            self.device_event(event, hub.role_of(event.device))

    def device_event(self, event: Any, role: str) -> None:
        pipeline = self.services.pipeline
        screen = self.screen
        if isinstance(event, Frame):  # ~10 per second: only the preview and the worker
            if role == "face_camera" and isinstance(screen, OfficerScreen):
                screen.camera_frame(event.image)
            return
        if isinstance(event, DocumentLines):
            if isinstance(screen, OfficerScreen) and pipeline.state is State.WAITING:
                screen.read_document(list(event.lines), "reader")
            else:
                self.notify("A document was read now, but this is not the moment: ignored")
        elif isinstance(event, FingerImage):
            if isinstance(screen, OfficerScreen):
                screen.finger_image(event.image)
        elif isinstance(event, DeviceLost | DeviceFault):
            kind = "lost" if isinstance(event, DeviceLost) else "fault"
            self.notify(f"{role}: {kind}: {event.reason}", severity="error", timeout=10)
            if pipeline.officer_id is not None:
                pipeline.device_fault(role, f"{kind}: {event.reason}")
            self.faulty.add(role)
        elif isinstance(event, DeviceConnected) and role in self.faulty:
            self.faulty.discard(role)
            self.notify(f"{role}: connected again", timeout=5)
            if pipeline.officer_id is not None:
                pipeline.device_fault(role, "recovered: connected again")
        if isinstance(screen, OfficerScreen):
            if isinstance(event, DeviceLost | DeviceConnected):
                screen.refresh_view()  # the instruction says what to do while it is away
            else:
                screen.refresh_status_text()

    def on_key(self) -> None:
        self.last_activity = time.monotonic()

    def lock_when_idle(self) -> None:
        """An unattended counter locks: the same officer's PIN resumes where they were
        (nothing captured is lost); another officer's login ends the first session."""
        if self.officer is None or self.locked:
            return
        if time.monotonic() - self.last_activity < self.idle_lock_seconds:
            return
        self.locked = True
        self.push_screen(LoginScreen(locked_for=self.officer.officer_id), self.unlocked)

    def unlocked(self, officer: Officer | None) -> None:
        self.locked = False
        self.last_activity = time.monotonic()
        if officer is None or self.officer is None:
            return
        if officer.officer_id != self.officer.officer_id:
            self.pop_screen()  # the previous officer's screen
            self.services.pipeline.logout()
            self.logged_in(officer)

    def show_login(self) -> None:
        self.push_screen(LoginScreen(), self.logged_in)

    def logged_in(self, officer: Officer | None) -> None:
        if officer is None:
            self.show_login()
            return
        self.officer = officer
        self.services.pipeline.login(officer.officer_id)
        self.push_screen(OfficerScreen())
        self.call_after_refresh(self.freeze_heap)  # the officer screen's widgets too

    def logout(self) -> None:
        self.services.pipeline.logout()
        self.officer = None
        self.pop_screen()
        self.show_login()

    def on_unmount(self) -> None:
        self.services.close()  # devices stop; every queued audit event is sealed
        self.quality_pool.shutdown(cancel_futures=True)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())
