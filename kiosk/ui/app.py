"""The kiosk's Textual application: login, then the officer screen; the lane runs
underneath (kiosk.lane.capture) and the screens observe it."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import traceback
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App

from kiosk.lane.capture import Notice
from kiosk.lane.pipeline import State
from kiosk.officers import Officer, Role
from kiosk.ui.dialogs import ConfirmScreen, HelpScreen
from kiosk.ui.login import LoginScreen
from kiosk.ui.messages import LogoutRequested
from kiosk.ui.services import Services

log = logging.getLogger(__name__)

# Steps with a traveller on screen: quitting then asks first.
WITH_TRAVELLER = (State.DOCUMENT, State.FACE, State.FINGERS, State.REVIEW)


class KioskApp(App[None]):
    TITLE = "Border kiosk"
    ENABLE_COMMAND_PALETTE = False  # an officer's kiosk, not a developer's tool
    BINDINGS = [("ctrl+q", "request_quit", "Quit")]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.officer: Officer | None = None
        from kiosk.memory import pin_mmap_threshold

        pin_mmap_threshold()  # before the PIN checks and frames: see kiosk.memory
        services.capture.open_worker()  # NFIQ 2 and faces in a worker (before Textual runs)
        self.idle_lock_seconds = 60.0 * services.policy.idle_lock_minutes
        self.last_activity = time.monotonic()
        self.locked = False

    @property
    def officer_is_technician(self) -> bool:
        return self.officer is not None and self.officer.role is Role.TECHNICIAN

    def on_mount(self) -> None:
        self.show_login()
        self.set_interval(1.0, self.lock_when_idle)
        self.services.capture.notices.append(self.lane_alert)
        self.call_after_refresh(self.start_lane)  # the login is drawn first
        self.set_timer(1.0, self.warm_up_quality)
        self.set_timer(0.3, self.preload_officer_screen)

    def start_lane(self) -> None:
        """The devices open (the camera's first frame, the scanner's handshake) and their
        events flow, while the officer types id and PIN."""
        capture = self.services.capture
        for problem in capture.start(asyncio.get_running_loop()):
            self.notify(f"Device not started: {problem}", severity="error", timeout=15)
        self.run_worker(capture.run(), group="devices", exclusive=True)

    @work(thread=True, group="preload")
    def preload_officer_screen(self) -> None:
        """The officer screen's modules (numpy, the preview) load while the officer types
        the PIN, not before the login is drawn and not in the loop after it."""
        import kiosk.ui.officer  # noqa: F401

    def lane_alert(self, notice: Notice) -> None:
        """The lane's warnings are toasts on whichever screen is up."""
        if notice.kind == "alert":
            self.notify(notice.text, severity=notice.severity, timeout=8)

    def warm_up_quality(self) -> None:
        """Load the face cascades and NFIQ 2 in the worker while the officer logs in, so
        the first traveller's face and fingers are assessed at once."""
        self.services.capture.warm_up(self.services.policy.finger_threshold)
        self.freeze_heap()

    def freeze_heap(self) -> None:
        """Move what start-up made (~100,000 objects of Textual, Rich, OpenCV, ...) out of
        the garbage collector's sight: otherwise every full collection walks them all and
        holds the event loop for 60-80 ms, which the face step, allocating ~10 strips a
        second, triggers about once per traveller. (No collection first: that alone
        would hold the loop as long; what garbage is frozen now is small and made once.)"""
        gc.freeze()

    # -- session -------------------------------------------------------------------------
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
        locked = LoginScreen(self.services, locked_for=self.officer.officer_id)
        self.push_screen(locked, self.unlocked)

    def unlocked(self, officer: Officer | None) -> None:
        self.locked = False
        self.last_activity = time.monotonic()
        if officer is None or self.officer is None:
            return
        if officer.officer_id != self.officer.officer_id:
            self.pop_screen()  # the previous officer's screen
            self.services.pipeline.logout("another officer logged in")
            self.logged_in(officer)

    def show_login(self) -> None:
        self.push_screen(LoginScreen(self.services), self.logged_in)

    def logged_in(self, officer: Officer | None) -> None:
        if officer is None:
            self.show_login()
            return
        from kiosk.ui.officer import OfficerScreen  # numpy and all: after the login is drawn

        self.officer = officer
        self.services.pipeline.login(officer.officer_id)
        self.push_screen(OfficerScreen(self.services, technician=self.officer_is_technician))
        self.call_after_refresh(self.freeze_heap)  # the officer screen's widgets too

    def on_logout_requested(self, message: LogoutRequested) -> None:
        self.logout()

    def logout(self) -> None:
        self.services.pipeline.logout()
        self.officer = None
        self.pop_screen()
        self.show_login()

    def action_request_quit(self) -> None:
        """Ctrl+Q: with a traveller on screen, ask first; quitting seals a `cancelled`
        audit record for the traveller and the logout, then the kiosk stops."""
        if self.locked:  # whoever stands at a locked counter cannot end the session
            self.notify("The kiosk is locked: log in first, then Ctrl+Q", severity="warning")
            return
        if self.services.pipeline.state not in WITH_TRAVELLER:
            self.quit_kiosk()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.quit_kiosk()

        self.push_screen(
            ConfirmScreen(
                "A traveller is in progress. Quit the kiosk?\n\n"
                "y  quit: the traveller is cancelled (recorded) and you are logged out\n"
                "n / Esc  go back to the traveller"
            ),
            answered,
        )

    def quit_kiosk(self) -> None:
        self.services.pipeline.logout("the kiosk was quit")
        self.exit()

    def on_unmount(self) -> None:
        self.services.capture.notices.clear()
        if self.services.pipeline.officer_id is not None:  # a crash, or an exit from outside
            self.services.pipeline.logout("the kiosk UI stopped")
        self.services.close()  # devices stop; every queued audit event is sealed

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # -- crashes -------------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """An unhandled error ends the UI. Textual's own handler prints the traceback with
        every frame's local variables, which hold MRZ lines and names, to stderr (the
        journal, under systemd): ours says the exception's type and where it happened,
        nothing else, at every log level."""
        self._return_code = 1
        if self._exception is None:  # the pilot re-raises it in tests
            self._exception = error
            self._exception_event.set()
        where = crash_places(error)
        log.critical("officer UI stopped: %s at %s", type(error).__name__, " <- ".join(where))
        if self._exit_renderables:  # the first error says it; the others are in the log
            self._close_messages_no_wait()
            return
        self._exit_renderables.append(
            Text(
                f"kiosk: error: the officer UI stopped: {type(error).__name__} at {where[0]}"
                " (a bug: report it with the journal's lines). The traveller in progress was"
                " not saved; sealed records are safe."
            )
        )
        self._close_messages_no_wait()


def crash_places(error: BaseException, depth: int = 4) -> list[str]:
    """`file:line in function`, innermost first: where, never what (no values)."""
    frames = traceback.extract_tb(error.__traceback__)[-depth:]
    return [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames)] or [
        "unknown place"
    ]
