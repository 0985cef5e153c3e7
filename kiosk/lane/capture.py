"""The capture controller: the one owner of the path from the lane's devices through the
quality worker to the pipeline (DESIGN.md, "Data flow").

Device events (documents, frames, finger images, lost/back) come in from the hub; frames
and finger images are assessed in the quality worker process; results go to the
`Pipeline`, which decides. The UI observes: it subscribes to `notices` (what to redraw,
one line of what happened, a warning) and to `frames` (the live preview), reads the
pipeline and `face`, and sends the officer's intents through the methods below. Nothing
here needs a terminal: tests drive it with an event loop and the emulated counter.

Everything runs in the event loop; blocking work goes to the worker process (quality) or
a thread (sealing).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import mrz
from drivers.events import (
    DeviceConnected,
    DeviceFault,
    DeviceLost,
    DocumentLines,
    FingerImage,
    Frame,
)
from kiosk.lane.devices import DeviceHub
from kiosk.lane.pipeline import (
    FINGER_NAMES,
    AlertHit,
    Decision,
    DocumentCheck,
    FingerException,
    Pipeline,
    PipelineError,
    Saved,
    State,
)
from kiosk.lane.quality import FacePortrait, FaceUpdate

log = logging.getLogger(__name__)

# Face measures in the officer's words.
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


def measures(names: Sequence[str]) -> str:
    return ", ".join(MEASURE_NAMES.get(m, m) for m in names)


def match_text(result: dict[str, Any] | None) -> str:
    """`match (0.62/0.40)`: the decision, then score/threshold when there is a score."""
    if result is None:
        return "comparing…"
    decision = str(result.get("decision", "?"))
    score, threshold = result.get("score_milli"), result.get("threshold_milli")
    if score is not None and threshold is not None:
        return f"{decision} ({score / 1000:.2f}/{threshold / 1000:.2f})"
    reason = result.get("reason")
    return f"{decision} ({reason})" if reason else decision


@dataclass(frozen=True)
class Notice:
    """What the UI is told. kind: "changed" (the pipeline or the face step changed: redraw),
    "face" (a new assessment of the live face), "said" (one line about what just
    happened), "alert" (a toast; `severity` as Textual's), "devices" (health changed),
    "finger done" (a finger image was handled: the emulated traveller lifts the finger)."""

    kind: str
    text: str = ""
    severity: Literal["information", "warning", "error"] = "information"


class AfterDocument(Protocol):
    """A step run after every document read, before the officer confirms it: the chip
    (kiosk.lane.chip), alert lists (kiosk.lane.alerts), ... Each returns its checks; a
    failed one needs the officer's override like the MRZ's own checks."""

    async def __call__(self, document: mrz.MRZResult) -> list[DocumentCheck]: ...


@dataclass
class FaceStep:
    """The face step as the UI shows it (read-only for the UI)."""

    session: int = 0  # a new one per traveller at the camera
    live: bool = False  # the worker has this traveller's stream
    paused: bool = False  # while the officer's manual capture is decided
    update: FaceUpdate | None = None
    thumbnail: Any = None  # the captured portrait, small, RGB
    note: str = ""  # how the face was captured (or why not)
    frame: Any = field(default=None, repr=False)  # the newest frame waiting (latest wins)
    assessing: bool = False


@dataclass
class Reference:
    """The document's portrait the live face is compared with (read-only for the UI):
    prepared once per traveller in the worker, as soon as the chip (or page) gave it."""

    source: str  # "chip" or "page"
    data: bytes = field(repr=False)
    thumbnail: Any = field(default=None, repr=False)  # small RGB copy for the screen
    problem: str = ""  # why it cannot be shown or compared
    ready: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


class Capture:
    def __init__(
        self,
        pipeline: Pipeline,
        hub: DeviceHub,
        face_thresholds: dict[str, float],
        pool_factory: Callable[[], ProcessPoolExecutor] | None = None,
    ) -> None:
        from kiosk.lane.quality import quality_pool

        self.pipeline = pipeline
        self.hub = hub
        self.face_thresholds = face_thresholds
        self._pool_factory = pool_factory or quality_pool
        self.pool: ProcessPoolExecutor | None = None
        self.notices: list[Callable[[Notice], None]] = []
        self.frames: list[Callable[[Any, tuple[int, int, int, int] | None], None]] = []
        self.after_document: list[AfterDocument] = []
        self.face = FaceStep()
        self.reference: Reference | None = None
        self.faulty: set[str] = set()  # roles lost or faulty since they last connected
        self.finger_busy = False
        self.sealing = False
        self._alerted = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = threading.get_ident()
        pipeline.observers.append(self._pipeline_changed)

    # -- life ----------------------------------------------------------------------------
    def open_worker(self) -> None:
        """Start the quality worker (before Textual runs: see `quality_pool`)."""
        self.pool = self._pool_factory()

    def start(self, loop: asyncio.AbstractEventLoop) -> list[str]:
        """Start the devices (their events come into `loop`); returns what failed."""
        self._loop, self._loop_thread = loop, threading.get_ident()
        if self.pool is None:
            self.open_worker()
        return self.hub.start(loop)

    async def run(self) -> None:
        """Pump the devices' events, as they happen, until cancelled."""
        while True:
            event = await self.hub.next_event()
            self.device_event(event, self.hub.role_of(event.device))

    def warm_up(self, finger_threshold: int) -> None:
        from kiosk.lane.quality import warm_up

        assert self.pool is not None
        self.pool.submit(warm_up, self.face_thresholds, finger_threshold)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def _tell(
        self,
        kind: str,
        text: str = "",
        severity: Literal["information", "warning", "error"] = "information",
    ) -> None:
        notice = Notice(kind, text, severity)
        for listener in list(self.notices):
            listener(notice)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def device_down(self, role: str) -> bool:
        """The lane's `role` device is configured but not connected now."""
        return self.hub.health().get(role) in ("lost", "closed")

    # -- device events -------------------------------------------------------------------
    def device_event(self, event: Any, role: str) -> None:
        pipeline = self.pipeline
        if isinstance(event, Frame):  # ~10 per second: only the preview and the worker
            if role == "face_camera":
                self.camera_frame(event.image)
            return
        if isinstance(event, DocumentLines):
            if pipeline.state is State.WAITING:
                self.read_document(list(event.lines), "reader")
            else:
                self._tell("alert", "A document was read now, but this is not the moment: ignored")
        elif isinstance(event, FingerImage):
            if pipeline.state is State.FINGERS and not self.finger_busy:
                self.finger_busy = True
                self._spawn(self._score_finger(event.image))
            else:
                self._tell("finger done")
        elif isinstance(event, DeviceLost | DeviceFault):
            kind = "lost" if isinstance(event, DeviceLost) else "fault"
            self._tell("alert", f"{role}: {kind}: {event.reason}", "error")
            if pipeline.officer_id is not None:
                pipeline.device_fault(role, f"{kind}: {event.reason}")
            self.faulty.add(role)
        elif isinstance(event, DeviceConnected) and role in self.faulty:
            self.faulty.discard(role)
            self._tell("alert", f"{role}: connected again")
            if pipeline.officer_id is not None:
                pipeline.device_fault(role, "recovered: connected again")
        # The instruction says what to do while a device is away.
        self._tell("changed" if isinstance(event, DeviceLost | DeviceConnected) else "devices")

    def quality_failed(self, what: str, exc: BaseException) -> None:
        """A quality check failed (a bug, or the worker process died): the officer is told
        (at most every few seconds), a dead worker is replaced, the traveller stays.
        Only the exception's type goes to the log: its text may hold traveller data."""
        from concurrent.futures.process import BrokenProcessPool

        log.error("%s failed: %s", what, type(exc).__name__)
        # Several calls in flight fail together: replace the dead worker once, never the
        # healthy one that replaced it.
        if isinstance(exc, BrokenProcessPool) and getattr(self.pool, "_broken", True):
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._pool_factory()
        now = time.monotonic()
        if now - self._alerted > 5:
            self._alerted = now
            self._tell("alert", f"{what} failed ({type(exc).__name__}); it carries on", "error")

    # -- document ------------------------------------------------------------------------
    def read_document(self, lines: list[str], source: str) -> None:
        """Lines from the reader or typed by the officer; then the after-document steps."""
        try:
            document = self.pipeline.document_read(lines, source)
        except mrz.MRZError as exc:
            self._tell("alert", f"Document not read: {exc}", "error")
            return
        except PipelineError as exc:
            self._tell("alert", str(exc), "warning")
            return
        for step in self.after_document:
            self._spawn(self._after_document(step, document))

    async def _after_document(self, step: AfterDocument, document: mrz.MRZResult) -> None:
        checks = await step(document)
        if self.pipeline.state is State.DOCUMENT and self.pipeline.traveller.document is document:
            self.pipeline.add_checks(checks)

    def confirm_document(self, override_reason: str | None = None) -> None:
        self.pipeline.confirm_document(override_reason)
        if override_reason:
            self._tell("said", f"override recorded: {override_reason}")

    # -- face ----------------------------------------------------------------------------
    def _pipeline_changed(self, pipeline: Pipeline) -> None:
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            # Sealing runs in a thread: the lane and its listeners react in the loop.
            self._loop.call_soon_threadsafe(self._pipeline_changed, pipeline)
            return
        at_camera = pipeline.state is State.FACE
        if at_camera and not self.face.live:
            self._begin_face()
        elif not at_camera and self.face.live:
            self.face.live = False
            self.face.frame = None
        self._follow_reference()
        self._tell("changed")

    # -- the document's portrait and the 1:1 comparison ----------------------------------
    def _follow_reference(self) -> None:
        """A new traveller, or the chip's portrait arrived: prepare it in the worker."""
        found = self.pipeline.face_reference()
        if found is None:
            self.reference = None
        elif self.reference is None or self.reference.data is not found[1]:
            self.reference = Reference(found[0], found[1])
            self._spawn(self._prepare_reference(self.reference))

    async def _prepare_reference(self, reference: Reference) -> None:
        """Its picture for the screen, decoded in a thread (the worker stays free for the
        live face; the descriptor is computed there with the comparison)."""
        from kiosk.lane.quality import reference_thumbnail

        try:
            reference.thumbnail = await asyncio.to_thread(reference_thumbnail, reference.data)
        except Exception as exc:  # OpenCV refused it: the officer compares by eye
            log.error("document portrait not decoded: %s", type(exc).__name__)
        if reference.thumbnail is None:
            reference.problem = f"the {reference.source} portrait does not decode"
        reference.ready.set()
        if reference is self.reference:
            self._tell("changed")

    async def _compare_face(self, portrait: bytes) -> None:
        """The captured portrait against the reference, in the worker; the result goes to
        the pipeline, which decides what it needs (a "no match" needs a reason)."""
        from biometrics import BiometricsError
        from kiosk.lane.quality import face_match

        pipeline, reference = self.pipeline, self.reference
        traveller = pipeline.traveller
        if reference is None or not pipeline.face_match_pending:
            return
        await reference.ready.wait()
        result: dict[str, Any]
        if reference.problem:
            result = {"decision": "not compared", "reason": reference.problem}
        else:
            loop = asyncio.get_running_loop()
            try:
                result = await loop.run_in_executor(self.pool, face_match, reference.data, portrait)
            except BiometricsError as exc:
                result = {"decision": "not compared", "reason": str(exc)}
            except Exception as exc:  # the officer compares by eye, with a reason
                self.quality_failed("Face comparison", exc)
                result = {"decision": "not compared", "reason": f"failed ({type(exc).__name__})"}
        if pipeline.traveller is traveller and pipeline.face_match_pending:
            pipeline.face_compared(result)
            said = f"Face against the {reference.source} portrait: {match_text(result)}"
            self._tell("said", said)

    def resolve_hit(self, hit: AlertHit, resolution: str, reason: str) -> None:
        self.pipeline.resolve_hit(hit, resolution, reason)
        self._tell("said", f"Alert hit {hit.list_id} {hit.reference}: {resolution} (recorded)")

    def said(self, text: str) -> None:
        """One line about what just happened (for intents handled outside this class)."""
        self._tell("said", text)

    def confirm_face(self, reason: str) -> None:
        self.pipeline.confirm_face(reason)
        self._tell("said", f"Face comparison confirmed by the officer: {reason} (recorded)")

    def _begin_face(self) -> None:
        """The traveller is at the camera: a fresh stream in the quality worker."""
        from kiosk.lane.quality import face_begin

        self.face = FaceStep(session=self.face.session + 1, live=True)
        try:  # the worker runs it before any frame of this traveller
            assert self.pool is not None, "open_worker() first"
            self.pool.submit(face_begin, self.face_thresholds)
        except Exception as exc:  # a dead worker: replaced, the next frame starts again
            self.quality_failed("Face quality", exc)
            self.face.live = False

    def camera_frame(self, image: Any) -> None:
        """Drawn at once, assessed when the worker is free; a newer frame replaces one
        still waiting (latest wins)."""
        if self.pipeline.state is not State.FACE or self.face.paused:
            return
        if not self.face.live:  # the worker died meanwhile: a fresh stream
            self._begin_face()
        for listener in list(self.frames):
            listener(image, self.face.update.face_box if self.face.update else None)
        self.face.frame = image
        if not self.face.assessing:
            self.face.assessing = True
            self._spawn(self._assess_faces(self.face))

    async def _assess_faces(self, face: FaceStep) -> None:
        from kiosk.lane.quality import face_feed

        loop = asyncio.get_running_loop()
        try:
            while face.frame is not None and not face.paused and face is self.face:
                frame, face.frame = face.frame, None
                try:
                    update = await loop.run_in_executor(self.pool, face_feed, frame)
                except Exception as exc:  # start the stream again with the next frame
                    self.quality_failed("Face quality", exc)
                    face.live = False
                    return
                if face is not self.face or not face.live:
                    return  # the traveller left the camera meanwhile
                face.update = update
                if update.capture is not None:
                    self._take_portrait(update.capture, None)
                    return
                self._tell("face")
        finally:
            face.assessing = False

    def _take_portrait(self, portrait: FacePortrait, reason: str | None) -> None:
        """Automatic, manual on a passing frame, or the officer's override of failing
        checks (with the reason)."""
        if self.pipeline.state is not State.FACE:
            return
        face = self.face
        face.thumbnail = portrait.thumbnail
        failing = measures(portrait.failing)
        if not portrait.manual:
            face.note = "[green]✔ captured automatically[/]\nevery check passed"
            said = "Face captured automatically: every check passed"
        elif portrait.failing:
            face.note = f"[b yellow]⚠ manual capture[/]\nfailing: {failing}"
            said = f"Face captured by the officer (failing: {failing}); reason recorded"
        else:
            face.note = "[green]✔ captured by the officer[/]\nevery check passed"
            said = "Face captured by the officer: every check passed"
        self.pipeline.face_captured(
            portrait.jpeg, portrait.quality, passed=not portrait.failing, manual_reason=reason
        )
        self._tell("said", said)
        if self.pipeline.face_match_pending:
            self._spawn(self._compare_face(portrait.jpeg))

    async def capture_face_now(self) -> FacePortrait | None:
        """The officer captures now: the best frame seen so far. Returns the portrait
        when checks fail (the officer gives a reason: `accept_face`, or `resume_face`)."""
        from biometrics import BiometricsError
        from kiosk.lane.quality import face_manual

        face = self.face
        face.paused = True
        self._tell("changed")
        loop = asyncio.get_running_loop()
        try:
            portrait = await loop.run_in_executor(self.pool, face_manual)
        except BiometricsError as exc:
            self._tell("alert", f"Nothing to capture yet: {exc}", "warning")
            self.resume_face(restart=False)
            return None
        except Exception as exc:
            self.quality_failed("Face capture", exc)
            self.resume_face(restart=False)
            return None
        if face is not self.face or self.pipeline.state is not State.FACE:
            return None
        if not portrait.failing:
            self._take_portrait(portrait, None)
            return None
        return portrait

    def accept_face(self, portrait: FacePortrait, reason: str) -> None:
        self._take_portrait(portrait, reason)

    def resume_face(self, restart: bool = True) -> None:
        """Back to the live camera (with a fresh stream after a refused manual capture)."""
        if restart and self.pipeline.state is State.FACE:
            self._begin_face()
        self.face.paused = False
        self._tell("changed")

    def no_face(self, reason: str) -> None:
        self.pipeline.face_exception(reason)
        self.face.note = f"[b yellow]⚠ no portrait[/]\n{reason}"
        self._tell("said", f"No portrait: {reason} (recorded)")

    def pause_face(self) -> None:
        self.face.paused = True
        self._tell("changed")

    # -- fingers -------------------------------------------------------------------------
    async def _score_finger(self, image: Any) -> None:
        """NFIQ 2 (~70 ms) in the worker; the score goes to the pipeline, which decides."""
        from kiosk.lane.quality import finger_score

        pipeline = self.pipeline
        loop = asyncio.get_running_loop()
        try:
            threshold = pipeline.policy.finger_threshold
            score, png = await loop.run_in_executor(self.pool, finger_score, image, threshold)
        except Exception as exc:  # the officer asks for the finger again
            self.quality_failed("Fingerprint quality", exc)
            return
        finally:
            self.finger_busy = False
            self._tell("finger done")
        if pipeline.state is not State.FINGERS or not pipeline.pending_fingers:
            return
        position = pipeline.pending_fingers[0]
        capture = pipeline.finger_captured(position, png, score)
        good = score >= pipeline.policy.finger_threshold
        said = (
            f"{FINGER_NAMES[position]}: NFIQ 2 {score} ({'ok' if good else 'poor'}), "
            f"attempt {capture.attempts}"
        )
        if not good and pipeline.tries_left(capture) > 0:
            said += " — clean the finger and the glass, place it again"
        self._tell("said", said)

    def accept_poor_finger(self, reason: str) -> None:
        capture = self.pipeline.poor_finger()
        if capture is None:
            raise PipelineError("no poor finger to accept")
        self.pipeline.accept_poor_finger(capture.position, reason)
        name = FINGER_NAMES[capture.position]
        self._tell("said", f"{name} accepted at NFIQ 2 {capture.best_score}: {reason} (recorded)")

    def finger_exception(self, reason: str) -> None:
        position = self.pipeline.pending_fingers[0]
        self.pipeline.finger_exception(position, FingerException(reason))

    # -- decision and session ------------------------------------------------------------
    async def decide(self, decision: Decision, ground: tuple[str, str] | None = None) -> Saved:
        """Seal (sign, encrypt, fsync) in a thread; raises what sealing raised, and the
        traveller stays."""
        from kiosk.memory import release_free_heap

        self.sealing = True
        self._tell("changed")
        try:
            saved = await asyncio.to_thread(self.pipeline.decide, decision, ground)
        finally:
            self.sealing = False
        self._tell("said", saved.line())
        await asyncio.to_thread(release_free_heap)  # the traveller's frames: see kiosk.memory
        return saved

    def cancel(self, why: str = "cancelled by the officer") -> None:
        self.pipeline.cancel(why)
        self._tell("said", "Traveller cancelled: no traveller record (the cancel is audited)")
