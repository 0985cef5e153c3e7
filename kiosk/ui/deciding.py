"""The officer screen's questions and its decision: what the lane still needs before a
traveller can be decided (each alert hit resolved, a face that does not match confirmed,
a supervisor for admitting a confirmed `deny`) is asked in turn, then the record is sealed.
The pipeline says what is needed; this only asks and sends the answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.screen import Screen

from kiosk.lane.alerts import supervisor_approval
from kiosk.lane.capture import Capture
from kiosk.lane.pipeline import Decision, Pipeline, PipelineError
from kiosk.ui.alerts import HitScreen, SupervisorScreen
from kiosk.ui.dialogs import GroundScreen, ReasonScreen
from kiosk.ui.services import Services


class DecidingScreen(Screen[None]):
    services: Services
    capture: Capture
    pipeline: Pipeline
    asking: bool

    def refresh_view(self) -> None:
        raise NotImplementedError

    def refresh_link(self) -> Any:
        raise NotImplementedError

    def ask(self, screen: Any, then: Callable[[Any], Any]) -> None:
        """A modal question; the step's keys wait until it is answered."""
        self.asking = True
        self.refresh_view()

        def answered(answer: Any) -> None:
            self.asking = False
            try:
                then(answer)
            except PipelineError as exc:
                self.notify(str(exc), severity="warning")
            self.refresh_view()

        self.app.push_screen(screen, answered)

    def action_resolve_hit(self, then: Callable[[], Any] | None = None) -> None:
        """The first unresolved alert hit: confirmed or not the same person, with a reason."""
        hits = self.pipeline.unresolved_hits()
        if not hits:
            return
        hit, total = hits[0], len(self.pipeline.traveller.alerts.hits)  # type: ignore[union-attr]
        number = total - len(hits) + 1

        def chosen(resolution: str | None) -> None:
            if not resolution:
                return

            def with_reason(reason: str | None) -> None:
                if reason:
                    self.capture.resolve_hit(hit, resolution, reason)
                    if then is not None:
                        then()

            self.ask(ReasonScreen(f"Alert hit {resolution}: why?"), with_reason)

        self.ask(HitScreen(hit, f"{number} of {total}"), chosen)

    def action_decide(self, decision: str) -> None:
        chosen = Decision(decision)
        pipeline = self.pipeline

        def again() -> None:
            self.action_decide(decision)

        if pipeline.unresolved_hits():
            self.action_resolve_hit(then=again)
            return
        unresolved = pipeline.face_match_unresolved()
        if unresolved:  # the lane needs the officer's reason first
            question = f"{unresolved[0].upper() + unresolved[1:]}. Compare both faces: why go on?"

            def with_reason(reason: str | None) -> None:
                if reason:
                    self.capture.confirm_face(reason)
                    again()

            self.ask(ReasonScreen(question), with_reason)
            return
        if chosen is Decision.ADMIT and pipeline.deny_needs_supervisor():
            question = (
                "A confirmed DENY hit: admitting needs a supervisor's approval"
                " (technician id and PIN)."
            )
            self.ask(SupervisorScreen(question), lambda given: given and self.approve(*given))
            return
        grounds = self.services.policy.refusal_grounds
        if chosen is Decision.REFUSE and grounds:
            self.ask(GroundScreen(grounds), lambda g: g and self.seal(chosen, g))
        else:
            self.seal(chosen, None)

    @work(group="supervisor", exclusive=True)
    async def approve(self, officer_id: str, pin: str) -> None:
        """The PIN is checked off the loop; approved, the admission goes on."""
        try:
            await supervisor_approval(self.services.officers, self.pipeline, officer_id, pin)
        except PipelineError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.capture.said(f"Admission approved by supervisor {officer_id} (recorded)")
        self.action_decide("admit")

    @work(group="seal", exclusive=True)
    async def seal(self, decision: Decision, ground: tuple[str, str] | None) -> None:
        """Sealing signs, encrypts and fsyncs in a thread; "saved:" only once on disk."""
        try:
            await self.capture.decide(decision, ground)
        except Exception as exc:  # the traveller stays on screen; nothing is lost
            self.notify(f"NOT saved: {exc}", severity="error", timeout=15)
        self.refresh_view()
        self.refresh_link()
