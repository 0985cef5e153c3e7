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
from kiosk.pipeline import FINGER_NAMES, Decision, FingerException, PipelineError, State
from kiosk.ui.dialogs import ExceptionScreen, ReasonScreen

INSTRUCTIONS = {
    State.WAITING: "Waiting for a document: place it on the reader (or m to type the MRZ)",
    State.DOCUMENT: "Check the document: Enter to confirm, Esc to cancel",
    State.FACE: "Face capture",
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
    ("p", "place_finger", "Sim: place finger"),
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

    # -- view --------------------------------------------------------------------------
    def refresh_view(self) -> None:
        pipeline = self.services.pipeline
        traveller = pipeline.traveller
        instruction = INSTRUCTIONS.get(pipeline.state, pipeline.state.value)
        if pipeline.state is State.FINGERS and pipeline.pending_fingers:
            name = FINGER_NAMES[pipeline.pending_fingers[0]]
            instruction = f"Fingerprints: place the {name} on the scanner (x: exception)"
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
        mode = (pipeline.state, self.busy, self.typing_mrz)
        if mode != getattr(self, "_mode", None):
            self._mode = mode
            self.query_one("#keys", Static).update(self.key_hints())
        self.refresh_status_text()

    def refresh_status_text(self, backlog: str | None = None) -> None:
        pipeline = self.services.pipeline
        if backlog is not None:
            self._backlog = backlog
        status = (
            f" Officer {pipeline.officer_id or '-'}  │  Lane {pipeline.direction.value.upper()}"
            f"  │  {getattr(self, '_backlog', 'outbox …')}"
        )
        for role, health in self.services.hub.health().items():
            mark = "●" if health == "connected" else "✘"
            status += f"  │  {role} {mark} {health}"
        if self.services.sim is not None:
            status += "  │  DEMO"
        self.query_one("#status", Static).update(status)

    @work(thread=True, exclusive=True, group="status")
    def refresh_status(self) -> None:
        figures = self.services.sealer.outbox.status()
        text = f"Outbox {figures.pending} waiting · link {figures.link}"
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
            "place_finger": state is State.FINGERS and self.services.sim is not None,
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
        from kiosk.quality import finger_score

        loop = asyncio.get_running_loop()
        threshold = self.services.pipeline.policy.finger_threshold
        pool = self.app.quality_pool  # type: ignore[attr-defined]  # KioskApp's
        score, png = await loop.run_in_executor(pool, finger_score, image, threshold)
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


def finger_line(position: int, capture: Any, pipeline: Any) -> str:
    name = f"{FINGER_NAMES[position]:<13}"
    if capture is None:
        return f"  {name} [dim]waiting[/]"
    if capture.exception is not None:
        return f"  {name} [yellow]exception: {capture.exception.value}[/]"
    ok = capture.best_score is not None and capture.best_score >= pipeline.policy.finger_threshold
    mark = "[green]✔[/]" if ok else "[b red]✘[/]"
    return f"  {name} {mark} NFIQ 2 {capture.best_score} · {capture.attempts} attempt(s)"
