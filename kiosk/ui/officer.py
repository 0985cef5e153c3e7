"""The officer's screen: one traveller at a time, one instruction at a time."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static, TextArea

import mrz
from kiosk.memory import release_free_heap
from kiosk.lane.pipeline import FINGER_NAMES, Decision, FingerException, PipelineError, State
from kiosk.ui.dialogs import ExceptionScreen, ReasonScreen
from kiosk.ui.preview import FacePreview

# Device roles as the status bar names them (short: the bar must fit 80 columns).
DEVICE_LABELS = {"mrz": "reader", "face_camera": "camera", "fingerprint": "scanner"}

# Face measures in the officer's words (the panel under the preview lists what fails).
MEASURE_NAMES = {
    "face_count": "one face in view",
    "inter_eye_distance": "distance",
    "head_size": "head size",
    "crop_margins": "framing",
    "centring": "centring",
    "roll": "head tilt",
    "yaw": "looking aside",
    "pitch": "looking up/down",
    "under_exposure": "too dark",
    "over_exposure": "too bright",
    "dynamic_range": "contrast",
    "illumination_uniformity": "uneven light",
    "eyes_open": "eyes open",
    "sharpness": "sharpness",
    "background_uniformity": "background",
}

INSTRUCTIONS = {
    State.WAITING: "Waiting for a document: place it on the reader (or m to type the MRZ)",
    State.DOCUMENT: "Check the document: Enter to confirm, Esc to cancel",
    State.FACE: "Face: look at the camera",
    State.FINGERS: "Fingerprints",
    State.REVIEW: "Decision: a admit · r refuse · f refer to second line · Esc cancel",
}


KEYS: list[tuple[str, str, str]] = [
    ("s", "swipe", "Sim: read document"),
    ("m", "manual", "Type MRZ"),
    ("f2", "use_typed", "Use typed MRZ"),
    ("enter", "confirm", "Confirm"),
    ("a", "decide('admit')", "Admit"),
    ("r", "decide('refuse')", "Refuse"),
    ("f", "decide('refer')", "Refer"),
    ("c", "capture_face", "Capture face now"),
    ("n", "no_face", "No photo"),
    ("p", "place_finger", "Sim: place finger"),
    ("o", "accept_finger", "Accept poor finger"),
    ("x", "finger_exception", "Finger exception"),
    ("escape", "cancel", "Cancel"),
    ("d", "toggle_direction", "Entry/Exit"),
    ("t", "technician", "Technician"),
    ("ctrl+l", "logout", "Log out"),
    ("f1", "app.help", "Help"),
]


class OfficerScreen(Screen[None]):
    CSS_PATH = "officer.tcss"
    AUTO_FOCUS = None  # keys go to the screen's bindings until the officer types an MRZ
    BINDINGS = KEYS  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self.typing_mrz = False
        # Face step: the newest camera frame waits here for the quality worker (latest wins).
        self._frame: Any = None
        self._assessing = False
        self._face_session = 0  # a new one per traveller at the camera
        self._face_paused = False  # while the officer's manual capture is decided
        self._face_box: tuple[int, int, int, int] | None = None
        self._face_update: Any = None
        self._face_shown: tuple[int, State] | None = None
        self._portrait_thumbnail: Any = None
        self._portrait_note = ""
        self._face_live = False
        self._face_said: tuple[str, str] = ("", "")

    @property
    def services(self) -> Any:
        return self.app.services  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        yield Static("", id="instruction")
        with Horizontal(id="body"):
            with Vertical(id="document-column"):
                yield Static("", id="document")
                yield TextArea(id="mrz-entry", soft_wrap=False)
                yield Static("", id="mrz-feedback")
            with Vertical(id="face-column"):
                yield FacePreview(id="preview")
                yield Static("", id="face-status")
            yield Static("", id="checks")
        yield Static("", id="last")
        yield Static("", id="keys")

    def on_mount(self) -> None:
        entry = self.query_one("#mrz-entry")
        entry.display = False
        entry.can_focus = False  # until the officer asks to type an MRZ
        self.set_focus(None)
        self.refresh_view()
        self.set_interval(2.0, self.refresh_status)
        self.refresh_status()

    def on_resize(self) -> None:
        # Comfortable at 160x48, still readable at 80x24.
        wide = self.size.width >= 120
        self.query_one("#face-column").styles.width = 40 if wide else 24
        # A portrait-shaped picture: (columns - 2) x 4/3 pixels, two pixels per row.
        self.query_one("#preview").styles.max_height = 25 if wide else 15

    # -- view --------------------------------------------------------------------------
    def refresh_view(self) -> None:
        pipeline = self.services.pipeline
        traveller = pipeline.traveller
        instruction = INSTRUCTIONS.get(pipeline.state, pipeline.state.value)
        if pipeline.state is State.FACE:
            instruction = self.face_instruction()
        if pipeline.state is State.FINGERS and pipeline.pending_fingers:
            position = pipeline.pending_fingers[0]
            name = FINGER_NAMES[position]
            instruction = f"Fingerprints: place the {name} on the scanner (x: exception)"
            capture = traveller.fingers.get(position)
            if capture is not None and capture.best_score is not None:
                instruction = (
                    f"Fingerprints: {name} again, try {capture.attempts + 1} of "
                    f"{pipeline.policy.finger_attempts} (o: accept {capture.best_score} with a"
                    " reason · x: exception)"
                )
            if self.device_down("fingerprint"):
                instruction = (
                    "[b red]Fingerprint scanner disconnected[/]: check its cable. The capture"
                    " goes on when it is back (x: finger exception)"
                )
        if self.typing_mrz:
            instruction = "Type the MRZ lines; F2 uses them, Esc goes back"
        if self.busy:
            instruction = "Saving…"
        self.query_one("#instruction", Static).update(instruction)
        self.query_one("#document", Static).update(document_text(traveller.document))
        checks = traveller.checks
        panel = "\n".join(
            f"{'[green]✔ ok[/]' if c.ok else '[b red]✘ FAIL[/]'}  {c.name}: {c.message}"
            for c in checks
        )
        if pipeline.state in (State.FINGERS, State.REVIEW) and pipeline.policy.fingers:
            panel += (
                "\n\n[b]Fingers[/]  (NFIQ 2, pass ≥ " + str(pipeline.policy.finger_threshold) + ")"
            )
            for position in pipeline.policy.fingers:
                panel += "\n" + finger_line(position, traveller.fingers.get(position), pipeline)
        self.query_one("#checks", Static).update(panel)
        face_live = pipeline.state is State.FACE
        if face_live != self._face_live:
            self._face_live = face_live
            if face_live:
                self.begin_face()
        self.refresh_face_column()
        mode = (
            pipeline.state,
            self.busy,
            self.typing_mrz,
            self.check_action("accept_finger", ()),
        )
        if mode != getattr(self, "_mode", None):
            self._mode = mode
            self.query_one("#keys", Static).update(self.key_hints())
        self.refresh_status_text()

    def device_down(self, role: str) -> bool:
        """The lane's `role` device is configured but not connected now."""
        health = self.services.hub.health().get(role)
        return health in ("lost", "closed")

    def face_instruction(self) -> str:
        if self.device_down("face_camera"):
            return (
                "[b red]Face camera disconnected[/]: check its cable. The capture goes on when"
                " it is back (n: go on without a photo, with a reason)"
            )
        update = self._face_update
        if update is None:
            said = "look at the camera"
        elif update.passed:
            said = "stay like that"
        else:
            said = update.instruction
        return (
            f"Face: [b reverse] {said.upper()} [/] · captured by itself when all checks pass"
            " (c: capture now · n: no photo)"
        )

    def refresh_face_column(self) -> None:
        """The preview shows the live camera during the face step, the captured portrait
        afterwards; the panel under it says what fails or how the face was captured."""
        pipeline = self.services.pipeline
        column = self.query_one("#face-column")
        state = pipeline.state
        column.display = pipeline.policy.face and state in (State.FACE, State.FINGERS, State.REVIEW)
        if not column.display:
            return
        shown = (self._face_session, state)
        if state is State.FACE:
            if shown != self._face_shown:
                self._face_shown = shown
                self.query_one("#preview", FacePreview).clear("waiting for the camera")
            self.query_one("#face-status", Static).update(face_status(self._face_update))
        elif shown != self._face_shown:
            self._face_shown = shown
            preview = self.query_one("#preview", FacePreview)
            if self._portrait_thumbnail is not None and pipeline.traveller.portrait:
                preview.show_frame(self._portrait_thumbnail, None, bgr=False)
            else:
                preview.clear("no portrait")
            self.query_one("#face-status", Static).update(self._portrait_note)

    def refresh_status_text(self, backlog: str | None = None) -> None:
        pipeline = self.services.pipeline
        if backlog is not None:
            self._backlog = backlog
        status = (
            f" Officer {pipeline.officer_id or '-'} │ {pipeline.direction.value.upper()}"
            f" │ {getattr(self, '_backlog', 'outbox …')} │"
        )
        for role, health in self.services.hub.health().items():
            label = DEVICE_LABELS.get(role, role)
            status += f" {label} ●" if health == "connected" else f" {label} ✘ {health}"
        if self.services.sim is not None:
            status += " │ DEMO"
        self.query_one("#status", Static).update(status)

    @work(thread=True, exclusive=True, group="status")
    def refresh_status(self) -> None:
        figures = self.services.sealer.outbox.status()
        text = f"outbox {figures.pending} · link {figures.link}"
        self.app.call_from_thread(self.refresh_status_text, text)

    def key_hints(self) -> str:
        """The keys that work in this step, clickable. (Textual's Footer rebuilds a widget
        per key on every step, which stalled the event loop for ~90 ms here.)"""
        hints = []
        for key, action, label in KEYS:
            name = action.split("(")[0].removeprefix("app.")
            if self.check_action(name, ()):
                shown = {"escape": "Esc", "enter": "Enter", "ctrl+l": "^L"}.get(key, key)
                target = action if action.startswith("app.") else f"screen.{action}"
                hints.append(f"[@click={target}][b reverse] {shown} [/] {label}[/]")
        return "  ".join(hints)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.services.pipeline.state
        # False hides a key from the footer and refuses it: only what fits this step shows.
        if self.busy:
            return action == "help"
        if self.typing_mrz:
            return action in ("use_typed", "cancel", "help")
        allowed = {
            "swipe": state is State.WAITING and self.services.sim is not None,
            "manual": state is State.WAITING,
            "use_typed": False,
            "confirm": state is State.DOCUMENT,
            "decide": state is State.REVIEW,
            "cancel": state not in (State.WAITING, State.LOGGED_OUT),
            "toggle_direction": state is State.WAITING,
            "capture_face": state is State.FACE and not self._face_paused,
            "no_face": state is State.FACE and not self._face_paused,
            "place_finger": state is State.FINGERS and self.services.sim is not None,
            "accept_finger": state is State.FINGERS and self.poor_finger() is not None,
            "finger_exception": state is State.FINGERS,
            "technician": state is State.WAITING and self.app.officer_is_technician,  # type: ignore[attr-defined]
        }
        return allowed.get(action, True)

    # -- actions -----------------------------------------------------------------------
    def read_document(self, lines: list[str], source: str) -> None:
        try:
            self.services.pipeline.document_read(lines, source)
        except mrz.MRZError as exc:
            self.notify(f"Document not read: {exc}", severity="error", timeout=8)
        except PipelineError as exc:
            self.notify(str(exc), severity="warning")
        self.refresh_view()

    def action_swipe(self) -> None:
        """(Demo) the next traveller's passport goes on the emulated reader; the document
        arrives through the serial driver like a real swipe."""
        story = self.services.sim.present_next_document()
        self.query_one("#last", Static).update(f"Demo traveller: {story}")

    def action_place_finger(self) -> None:
        """(Demo) the traveller puts the asked-for finger on the emulated scanner; the
        image comes back through the ZhianTec driver like a real capture."""
        self.place_finger(self.services.pipeline.pending_fingers[0])

    @work(thread=True, exclusive=True, group="sim-finger")
    def place_finger(self, position: int) -> None:
        """Synthesising the print takes ~200 ms of CPU: not on the event loop."""
        quality = self.services.sim.place_finger(position)
        message = f"Demo: {FINGER_NAMES[position]} placed ({quality})"
        self.app.call_from_thread(self.query_one("#last", Static).update, message)

    def finger_image(self, image: Any) -> None:
        """A scanner image arrived: score it off the loop (NFIQ 2 takes ~70 ms)."""
        if self.services.pipeline.state is State.FINGERS:
            self.score_finger(image)

    @work(exclusive=True, group="finger")
    async def score_finger(self, image: Any) -> None:
        from kiosk.lane.quality import finger_score

        loop = asyncio.get_running_loop()
        threshold = self.services.pipeline.policy.finger_threshold
        pool = self.app.quality_pool  # type: ignore[attr-defined]  # KioskApp's
        try:
            score, png = await loop.run_in_executor(pool, finger_score, image, threshold)
        except Exception as exc:  # the officer asks for the finger again
            self.app.quality_failed("Fingerprint quality", exc)  # type: ignore[attr-defined]
            if self.services.sim is not None:
                self.services.sim.lift_finger()
            return
        self.finger_scored(png, score)

    def finger_scored(self, png: bytes, score: int) -> None:
        pipeline = self.services.pipeline
        if self.services.sim is not None:
            self.services.sim.lift_finger()
        if pipeline.state is not State.FINGERS or not pipeline.pending_fingers:
            return
        position = pipeline.pending_fingers[0]
        capture = pipeline.finger_captured(position, png, score)
        verdict = "ok" if score >= pipeline.policy.finger_threshold else "poor"
        message = (
            f"{FINGER_NAMES[position]}: NFIQ 2 {score} ({verdict}), attempt {capture.attempts}"
        )
        if verdict == "poor" and position in pipeline.pending_fingers:
            message += " — clean the finger and the glass, place it again"
        self.query_one("#last", Static).update(message)
        self.refresh_view()

    # -- face --------------------------------------------------------------------------------
    def begin_face(self) -> None:
        """The traveller is at the camera: a fresh stream in the quality worker."""
        from kiosk.lane.quality import face_begin

        self._face_session += 1
        self._frame = None
        self._face_box = None
        self._face_update = None
        self._face_paused = False
        self._portrait_thumbnail = None
        self._portrait_note = ""
        self._face_said = ("", "")
        try:  # the worker runs it before any frame of this traveller
            self.app.quality_pool.submit(face_begin, self.services.face_thresholds())  # type: ignore[attr-defined]
        except Exception as exc:  # a dead worker: replaced, the next frame starts again
            self.app.quality_failed("Face quality", exc)  # type: ignore[attr-defined]
            self._face_live = False

    def camera_frame(self, image: Any) -> None:
        """A frame from the face camera (in the event loop): drawn at once, assessed when
        the worker is free; a newer frame replaces one still waiting (latest wins)."""
        if self.services.pipeline.state is not State.FACE or self._face_paused:
            return
        self.query_one("#preview", FacePreview).show_frame(image, self._face_box, bgr=True)
        self._frame = image
        if not self._assessing:
            self._assessing = True
            self.assess_faces(self._face_session)

    @work(group="face")
    async def assess_faces(self, session: int) -> None:
        from kiosk.lane.quality import face_feed

        loop = asyncio.get_running_loop()
        try:
            while self._frame is not None and not self._face_paused:
                frame, self._frame = self._frame, None
                pool = self.app.quality_pool  # type: ignore[attr-defined]
                try:
                    update = await loop.run_in_executor(pool, face_feed, frame)
                except Exception as exc:  # start the stream again with the next frame
                    self.app.quality_failed("Face quality", exc)  # type: ignore[attr-defined]
                    self._face_live = False
                    self.refresh_view()
                    return
                if session != self._face_session or not self._face_live:
                    return  # the traveller left the camera meanwhile
                self.face_assessed(update)
        finally:
            self._assessing = False

    def face_assessed(self, update: Any) -> None:
        self._face_update = update
        self._face_box = update.face_box
        if update.capture is not None:
            self.face_captured(update.capture, None)
            return
        # ~10 times a second: update (and so lay out) only what changed.
        said = (self.face_instruction(), face_status(update))
        if said != self._face_said:
            self._face_said = said
            self.query_one("#instruction", Static).update(said[0])
            self.query_one("#face-status", Static).update(said[1])

    def face_captured(self, portrait: Any, reason: str | None) -> None:
        """Hand the portrait to the pipeline: automatic, manual on a passing frame, or the
        officer's override of failing checks (with the reason)."""
        pipeline = self.services.pipeline
        if pipeline.state is not State.FACE:
            return
        failing = ", ".join(MEASURE_NAMES.get(m, m) for m in portrait.failing)
        pipeline.face_captured(
            portrait.jpeg, portrait.quality, passed=not portrait.failing, manual_reason=reason
        )
        self._portrait_thumbnail = portrait.thumbnail
        if not portrait.manual:
            self._portrait_note = "[green]✔ captured automatically[/]\nevery check passed"
            message = "Face captured automatically: every check passed"
        elif portrait.failing:
            self._portrait_note = f"[b yellow]⚠ manual capture[/]\nfailing: {failing}"
            message = f"Face captured by the officer (failing: {failing}); reason recorded"
        else:
            self._portrait_note = "[green]✔ captured by the officer[/]\nevery check passed"
            message = "Face captured by the officer: every check passed"
        self.query_one("#last", Static).update(message)
        self.refresh_view()

    def action_capture_face(self) -> None:
        """The officer captures now: the best frame seen so far; failing checks need a
        reason, and the record says the capture was manual and what failed."""
        self._face_paused = True
        self.refresh_view()
        self.capture_manually(self._face_session)

    @work(group="face-manual", exclusive=True)
    async def capture_manually(self, session: int) -> None:
        from biometrics import BiometricsError
        from kiosk.lane.quality import face_begin, face_manual

        loop = asyncio.get_running_loop()
        pool = self.app.quality_pool  # type: ignore[attr-defined]
        try:
            portrait = await loop.run_in_executor(pool, face_manual)
        except BiometricsError as exc:
            self.notify(f"Nothing to capture yet: {exc}", severity="warning")
            self.resume_face()
            return
        except Exception as exc:
            self.app.quality_failed("Face capture", exc)  # type: ignore[attr-defined]
            self.resume_face()
            return
        if session != self._face_session or self.services.pipeline.state is not State.FACE:
            return
        if not portrait.failing:
            self.face_captured(portrait, None)
            return
        failing = ", ".join(MEASURE_NAMES.get(m, m) for m in portrait.failing)

        def with_reason(reason: str | None) -> None:
            if reason:
                self.face_captured(portrait, reason)
            else:  # back to the live camera, with a fresh stream
                pool.submit(face_begin, self.services.face_thresholds())
                self.resume_face()

        self.app.push_screen(
            ReasonScreen(f"Face checks failing: {failing}. Why capture this picture?"),
            with_reason,
        )

    def resume_face(self) -> None:
        self._face_paused = False
        self.refresh_view()

    def action_no_face(self) -> None:
        def with_reason(reason: str | None) -> None:
            if reason:
                self.services.pipeline.face_exception(reason)
                self._portrait_note = f"[b yellow]⚠ no portrait[/]\n{reason}"
                self.query_one("#last", Static).update(f"No portrait: {reason} (recorded)")
            self.resume_face()

        self._face_paused = True
        self.refresh_view()
        self.app.push_screen(ReasonScreen("No portrait for this traveller. Why?"), with_reason)

    # -- fingers -------------------------------------------------------------------------------
    def poor_finger(self) -> tuple[int, int] | None:
        """(position, best score) of the asked-for finger when its best try is below the
        threshold: the officer may accept it with a reason instead of trying again."""
        pipeline = self.services.pipeline
        if pipeline.state is not State.FINGERS or not pipeline.pending_fingers:
            return None
        position = pipeline.pending_fingers[0]
        capture = pipeline.traveller.fingers.get(position)
        if capture is None or capture.best_score is None:
            return None
        if capture.best_score >= pipeline.policy.finger_threshold:
            return None
        return position, capture.best_score

    def action_accept_finger(self) -> None:
        poor = self.poor_finger()
        if poor is None:
            return
        position, score = poor
        name = FINGER_NAMES[position]
        threshold = self.services.pipeline.policy.finger_threshold

        def with_reason(reason: str | None) -> None:
            if reason and self.poor_finger() == poor:
                self.services.pipeline.accept_poor_finger(position, reason)
                self.query_one("#last", Static).update(
                    f"{name} accepted at NFIQ 2 {score}: {reason} (recorded)"
                )
            self.refresh_view()

        self.app.push_screen(
            ReasonScreen(f"Accept the {name} at NFIQ 2 {score} (pass ≥ {threshold})? Why?"),
            with_reason,
        )

    def action_finger_exception(self) -> None:
        pipeline = self.services.pipeline
        position = pipeline.pending_fingers[0]

        def chosen(reason: str | None) -> None:
            if reason:
                pipeline.finger_exception(position, FingerException(reason))
            self.refresh_view()

        self.app.push_screen(ExceptionScreen(FINGER_NAMES[position]), chosen)

    def action_manual(self) -> None:
        self.typing_mrz = True
        entry = self.query_one("#mrz-entry", TextArea)
        entry.display = True
        entry.can_focus = True
        entry.text = ""
        entry.focus()
        self.refresh_view()

    @on(TextArea.Changed, "#mrz-entry")
    def live_feedback(self, event: TextArea.Changed) -> None:
        """Check digits as the officer types: which field fails, right now."""
        text = event.text_area.text
        feedback = self.query_one("#mrz-feedback", Static)
        if not text.strip():
            feedback.update("")
            return
        try:
            result = mrz.parse(text, strict=True)
        except mrz.MRZError as exc:
            feedback.update(f"[yellow]{exc}[/]")
            return
        failing = [name for name, ok in result.checks.items() if not ok]
        if result.valid:
            feedback.update(f"[green]✔ {result.format}: all check digits hold[/]")
        else:
            feedback.update(f"[b red]✘ check digit fails: {', '.join(failing) or 'characters'}[/]")

    def action_use_typed(self) -> None:
        lines = self.query_one("#mrz-entry", TextArea).text.splitlines()
        self.leave_manual()
        self.read_document(lines, "manual")

    def leave_manual(self) -> None:
        self.typing_mrz = False
        entry = self.query_one("#mrz-entry", TextArea)
        entry.display = False
        entry.can_focus = False
        self.query_one("#mrz-feedback", Static).update("")
        self.set_focus(None)

    def action_confirm(self) -> None:
        pipeline = self.services.pipeline
        failed = [c.name for c in pipeline.traveller.checks if not c.ok]
        if not failed:
            pipeline.confirm_document()
            self.refresh_view()
            return

        def with_reason(reason: str | None) -> None:
            if reason:
                pipeline.confirm_document(override_reason=reason)
                self.query_one("#last", Static).update(f"override recorded: {reason}")
            self.refresh_view()

        self.app.push_screen(ReasonScreen(f"{', '.join(failed)} failed. Why go on?"), with_reason)

    def action_decide(self, decision: str) -> None:
        self.busy = True
        self.refresh_view()
        self.seal(Decision(decision))

    @work(thread=True, exclusive=True, group="seal")
    def seal(self, decision: Decision) -> None:
        """Sealing signs, encrypts and fsyncs: never on the event loop."""
        try:
            record_id = self.services.pipeline.decide(decision)
        except Exception as exc:  # the traveller stays on screen; nothing is lost
            self.app.call_from_thread(self.sealed, None, f"NOT saved: {exc}")
            return
        self.app.call_from_thread(self.sealed, record_id, None)
        release_free_heap()  # the traveller's frames and images are gone: see kiosk.memory

    def sealed(self, record_id: str | None, error: str | None) -> None:
        self.busy = False
        if error:
            self.notify(error, severity="error", timeout=15)
        else:
            self.query_one("#last", Static).update(
                f"[b green]saved[/] record {record_id} · ready for the next traveller"
            )
        self.refresh_view()
        self.refresh_status()

    def action_cancel(self) -> None:
        if self.typing_mrz:
            self.leave_manual()
        else:
            self.services.pipeline.cancel()
            self.notify("Traveller cancelled; nothing was saved")
        self.refresh_view()

    def action_toggle_direction(self) -> None:
        self.services.pipeline.toggle_direction()
        self.refresh_view()

    def action_technician(self) -> None:
        from kiosk.ui.technician import TechnicianScreen

        self.app.push_screen(TechnicianScreen())

    def action_logout(self) -> None:
        self.app.logout()  # type: ignore[attr-defined]


def document_text(document: mrz.MRZResult | None) -> str:
    if document is None:
        return "[dim]No document yet.[/]"
    rows = [
        ("Document", f"{document.document_code} {document.format}  {document.document_number}"),
        ("Issuing state", document.issuing_state),
        ("Surname", document.surname),
        ("Given names", document.given_names),
        ("Nationality", document.nationality),
        ("Born", str(document.birth_date or document.birth_date_raw)),
        ("Sex", document.sex or "?"),
        ("Expires", str(document.expiry_date or document.expiry_date_raw)),
    ]
    text = "\n".join(f"[b]{label:<14}[/] {value}" for label, value in rows)
    if document.corrections:
        text += "\n[yellow]Corrected:[/] " + "; ".join(
            f"{c.was}→{c.now} ({c.field})" for c in document.corrections
        )
    return text


def face_status(update: Any) -> str:
    """Under the live preview: the checks that fail now (or that all pass)."""
    if update is None:
        return "[dim]assessing…[/]"
    if update.passed:
        return "[green]✔ every check passes[/]\nhold still…"
    lines = [f"[b red]✘[/] {MEASURE_NAMES.get(m, m)}" for m in update.failing[:4]]
    if len(update.failing) > 4:
        lines.append(f"  +{len(update.failing) - 4} more")
    return "\n".join(lines)


def finger_line(position: int, capture: Any, pipeline: Any) -> str:
    name = f"{FINGER_NAMES[position]:<13}"
    if capture is None:
        return f"  {name} [dim]waiting[/]"
    if capture.exception is not None:
        return f"  {name} [yellow]exception: {capture.exception.value}[/]"
    ok = capture.best_score is not None and capture.best_score >= pipeline.policy.finger_threshold
    mark = "[green]✔[/]" if ok else "[b red]✘[/]"
    line = f"  {name} {mark} NFIQ 2 {capture.best_score} · {capture.attempts} attempt(s)"
    if capture.override is not None:
        line += f" [yellow]accepted: {capture.override}[/]"
    return line
