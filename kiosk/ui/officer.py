"""The officer's screen: one traveller at a time, one instruction at a time.

Layout and keys only. The lane (kiosk.lane.capture) owns the flow: this screen observes it
(its notices arrive as `LaneNotice` messages, frames go straight to the preview) and sends
the officer's intents.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static, TextArea

from kiosk.lane.capture import Notice, measures
from kiosk.lane.pipeline import FINGER_NAMES, State
from kiosk.ui import alerts as alert_views
from kiosk.ui import views
from kiosk.ui.deciding import DecidingScreen
from kiosk.ui.dialogs import ExceptionScreen, ReasonScreen
from kiosk.ui.faces import FacePanel
from kiosk.ui.messages import LaneNotice, LogoutRequested
from kiosk.ui.services import Services
from kiosk.ui.technician import TechnicianScreen

KEYS: list[tuple[str, str, str]] = [
    ("s", "swipe", "Demo: document"),
    ("m", "manual", "Type MRZ"),
    ("f2", "use_typed", "Use typed MRZ"),
    ("enter", "confirm", "Confirm"),
    ("h", "resolve_hit", "Alert hit"),
    ("a", "decide('admit')", "Admit"),
    ("r", "decide('refuse')", "Refuse"),
    ("f", "decide('refer')", "Refer"),
    ("c", "capture_face", "Capture now"),
    ("n", "no_face", "No photo"),
    ("p", "place_finger", "Demo: finger"),
    ("o", "accept_finger", "Accept poor"),
    ("x", "finger_exception", "Exception"),
    ("escape", "cancel", "Cancel"),
    ("d", "toggle_direction", "Entry/Exit"),
    ("t", "technician", "Technician"),
    ("ctrl+l", "logout", "Log out"),
    ("f1", "app.help", "Help"),
]
NBSP = "\u00a0"  # the bar wraps between keys, never inside one
SHOWN = {"escape": "Esc", "enter": "Enter", "ctrl+l": "^L", "f1": "F1", "f2": "F2"}


class OfficerScreen(DecidingScreen):
    CSS_PATH = "officer.tcss"
    AUTO_FOCUS = None  # keys go to the screen's bindings until the officer types an MRZ
    BINDINGS = KEYS  # type: ignore[assignment]

    def __init__(self, services: Services, technician: bool = False) -> None:
        super().__init__()
        self.services = services
        self.capture = services.capture
        self.pipeline = services.pipeline
        self.technician = technician
        self.typing_mrz = False
        self.asking = False  # a reason or ground is being asked: steps keys wait
        self._keys_for: tuple[Any, ...] | None = None
        self._link: Any = None
        self._face_said = ("", "")

    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        yield Static("", id="instruction")
        yield Static("", id="alert-banner")
        with Horizontal(id="body"):
            with Vertical(id="document-column"):
                yield Static("", id="document")
                yield TextArea(id="mrz-entry", soft_wrap=False)
                yield Static("", id="mrz-feedback")
            yield FacePanel(self.capture, id="face-column")
            yield Static("", id="checks")
        yield Static("", id="last")
        yield Static("", id="keys")

    def on_mount(self) -> None:
        entry = self.query_one("#mrz-entry")
        entry.display = False
        entry.can_focus = False  # until the officer asks to type an MRZ
        self.set_focus(None)
        self.capture.notices.append(self.lane_notice)
        self.capture.frames.append(self.show_frame)
        self.refresh_view()
        self.set_interval(2.0, self.refresh_link)
        self.refresh_link()

    def on_unmount(self) -> None:
        if self.lane_notice in self.capture.notices:  # the app may have cleared them
            self.capture.notices.remove(self.lane_notice)
        if self.show_frame in self.capture.frames:
            self.capture.frames.remove(self.show_frame)

    def on_resize(self) -> None:
        # Comfortable at 120x40 and more, still whole at 80x24.
        self.query_one(FacePanel).fit(self.size.width >= 120)
        self.refresh_status()

    # -- observing the lane ----------------------------------------------------------------
    def lane_notice(self, notice: Notice) -> None:
        self.post_message(LaneNotice(notice))

    def on_lane_notice(self, message: LaneNotice) -> None:
        kind, text = message.notice.kind, message.notice.text
        if kind == "changed":
            self.refresh_view()
        elif kind == "face":  # ~10 times a second: update (and lay out) only what changed
            said = (
                views.instruction(self.capture, False),
                views.face_status(self.capture.face, self.pipeline.state),
            )
            if said != self._face_said:
                self._face_said = said
                self.query_one("#instruction", Static).update(said[0])
                self.query_one("#face-status", Static).update(said[1])
        elif kind == "said":
            self.query_one("#last", Static).update(text)
            if text.startswith("saved:"):
                self.set_timer(self.services.policy.saved_seconds, self.fade_saved)
        elif kind == "devices":
            self.refresh_status()

    def fade_saved(self) -> None:
        last = self.query_one("#last", Static)
        if str(last.render()).startswith("saved:") and self.pipeline.state is State.WAITING:
            last.update("[dim]ready for the next traveller[/]")

    def show_frame(self, image: Any, box: tuple[int, int, int, int] | None) -> None:
        self.query_one(FacePanel).show_frame(image, box)

    def refresh_view(self) -> None:
        pipeline, state = self.pipeline, self.pipeline.state
        self._face_said = ("", "")
        self.query_one("#instruction", Static).update(
            views.instruction(self.capture, self.typing_mrz)
        )
        review = state is State.REVIEW
        self.query_one("#document", Static).update(
            views.review_text(pipeline)
            if review
            else views.document_text(pipeline.traveller.document)
        )
        banner = self.query_one("#alert-banner", Static)
        banner.update(alert_views.banner_text(pipeline))
        banner.display = bool(alert_views.banner_text(pipeline))
        faces = self.query_one(FacePanel).refresh_faces(self.size.width >= 120)
        checks = self.query_one("#checks", Static)
        paired = faces and state is State.FACE  # both faces take the room
        checks.display = not review and not paired and bool(pipeline.traveller.checks)
        checks.update(views.checks_text(pipeline))
        busy = (self.capture.sealing, self.typing_mrz, self.asking, self.capture.face.paused)
        mode = (state, busy, pipeline.poor_finger() is not None, len(pipeline.unresolved_hits()))
        if mode != self._keys_for:
            self._keys_for = mode
            self.query_one("#keys", Static).update(self.key_hints())
        self.refresh_status()

    def refresh_status(self) -> None:
        link = views.link_text(self._link, self.size.width >= 120)
        health = self.services.hub.health()
        text = views.status_text(self.pipeline, health, link, self.services.demo is not None)
        self.query_one("#status", Static).update(text)

    @work(thread=True, exclusive=True, group="status")
    def refresh_link(self) -> None:
        """The outbox's figures and the forwarder's link, read off the loop."""
        status = self.services.sealer.outbox.status()
        self.app.call_from_thread(self.link_read, status)

    def link_read(self, status: Any) -> None:
        self._link = status
        self.refresh_status()

    def key_hints(self) -> str:
        """The keys that work in this step, clickable. (Textual's Footer rebuilds a widget
        per key on every step, which stalled the event loop for ~90 ms here.)"""
        hints = []
        for key, action, label in KEYS:
            if self.check_action(action.split("(")[0].removeprefix("app."), ()):
                target = action if action.startswith("app.") else f"screen.{action}"
                shown, words = SHOWN.get(key, key), label.replace(" ", NBSP)
                hints.append(f"[@click={target}][b reverse]{NBSP}{shown}{NBSP}[/]{NBSP}{words}[/]")
        return "  ".join(hints)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False hides a key from the bar and refuses it: only what fits this step."""
        state, demo = self.pipeline.state, self.services.demo is not None
        if self.capture.sealing or self.asking:
            return action == "help"
        if self.typing_mrz:
            return action in ("use_typed", "cancel", "help")
        face_free = state is State.FACE and not self.capture.face.paused
        allowed = {
            "swipe": state is State.WAITING and demo,
            "manual": state is State.WAITING,
            "use_typed": False,
            "confirm": state is State.DOCUMENT,
            "decide": state is State.REVIEW,
            "resolve_hit": bool(self.pipeline.unresolved_hits()),
            "cancel": state not in (State.WAITING, State.LOGGED_OUT),
            "toggle_direction": state is State.WAITING,
            "capture_face": face_free,
            "no_face": face_free,
            "place_finger": state is State.FINGERS and demo and not self.capture.finger_busy,
            "accept_finger": self.pipeline.poor_finger() is not None,
            "finger_exception": state is State.FINGERS,
            "technician": state is State.WAITING and self.technician,
            "logout": True,
        }
        return allowed.get(action, True)

    # -- the officer's intents -------------------------------------------------------------
    def action_swipe(self) -> None:
        """(Demo) the next traveller's passport goes on the emulated reader; it arrives
        through the serial driver like a real swipe."""
        assert self.services.demo is not None
        story = self.services.demo.present_next_document()
        self.query_one("#last", Static).update(f"Demo traveller: {story}")

    def action_place_finger(self) -> None:
        self.place_finger(self.pipeline.pending_fingers[0])

    @work(thread=True, exclusive=True, group="demo-finger")
    def place_finger(self, position: int) -> None:
        """(Demo) the print is synthesised (~200 ms of CPU) off the loop; the image comes
        back through the ZhianTec driver like a real capture."""
        assert self.services.demo is not None
        quality = self.services.demo.place_finger(position)
        said = f"Demo: {FINGER_NAMES[position]} placed ({quality})"
        self.app.call_from_thread(self.query_one("#last", Static).update, said)

    def action_manual(self) -> None:
        self.typing_mrz = True
        entry = self.query_one("#mrz-entry", TextArea)
        entry.display = entry.can_focus = True
        entry.text = ""
        entry.focus()
        self.refresh_view()

    @on(TextArea.Changed, "#mrz-entry")
    def live_feedback(self, event: TextArea.Changed) -> None:
        """Check digits as the officer types: which field fails, right now."""
        feedback = views.mrz_feedback(event.text_area.text)
        self.query_one("#mrz-feedback", Static).update(feedback)

    def action_use_typed(self) -> None:
        lines = self.query_one("#mrz-entry", TextArea).text.splitlines()
        self.leave_manual()
        self.capture.read_document(lines, "manual")
        self.refresh_view()

    def leave_manual(self) -> None:
        self.typing_mrz = False
        entry = self.query_one("#mrz-entry", TextArea)
        entry.display = entry.can_focus = False
        self.query_one("#mrz-feedback", Static).update("")
        self.set_focus(None)

    def action_confirm(self) -> None:
        failed = [c.name for c in self.pipeline.traveller.checks if not c.ok]
        if not failed:
            self.capture.confirm_document()
            return
        question = f"{', '.join(failed)} failed. Why go on?"

        def with_reason(reason: str | None) -> None:
            if reason:
                self.capture.confirm_document(reason)

        self.ask(ReasonScreen(question), with_reason)

    def action_capture_face(self) -> None:
        self.capture_now()

    @work(group="face-manual", exclusive=True)
    async def capture_now(self) -> None:
        portrait = await self.capture.capture_face_now()
        if portrait is None:
            return
        question = f"Face checks failing: {measures(portrait.failing)}. Why capture this picture?"

        def with_reason(reason: str | None) -> None:
            if reason:
                self.capture.accept_face(portrait, reason)
            else:  # back to the live camera, with a fresh stream
                self.capture.resume_face()

        self.ask(ReasonScreen(question), with_reason)

    def action_no_face(self) -> None:
        def with_reason(reason: str | None) -> None:
            if reason:
                self.capture.no_face(reason)
            else:
                self.capture.resume_face(restart=False)

        self.capture.pause_face()
        self.ask(ReasonScreen("No portrait for this traveller. Why?"), with_reason)

    def action_accept_finger(self) -> None:
        poor = self.pipeline.poor_finger()
        if poor is None:
            return
        name, threshold = FINGER_NAMES[poor.position], self.services.policy.finger_threshold
        question = f"Accept the {name} at NFIQ 2 {poor.best_score} (pass ≥ {threshold})? Why?"

        def with_reason(reason: str | None) -> None:
            if reason and self.pipeline.poor_finger() is poor:
                self.capture.accept_poor_finger(reason)

        self.ask(ReasonScreen(question), with_reason)

    def action_finger_exception(self) -> None:
        position = self.pipeline.pending_fingers[0]

        def chosen(reason: str | None) -> None:
            if reason:
                self.capture.finger_exception(reason)

        self.ask(ExceptionScreen(FINGER_NAMES[position]), chosen)

    def action_cancel(self) -> None:
        if self.typing_mrz:
            self.leave_manual()
            self.refresh_view()
        else:
            self.capture.cancel()

    def action_toggle_direction(self) -> None:
        self.pipeline.toggle_direction()

    def action_technician(self) -> None:
        self.app.push_screen(TechnicianScreen(self.services))

    def action_logout(self) -> None:
        self.post_message(LogoutRequested())
