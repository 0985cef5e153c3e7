"""Snapshots of the main screens (pytest-textual-snapshot): 80x24 must stay readable,
160x48 comfortable. Update after a deliberate change with `pytest --snapshot-update`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kiosk import sim
from kiosk.config import Config
from kiosk.lane.pipeline import State
from kiosk.ui.app import KioskApp
from kiosk.ui.services import Services

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def app(demo_kiosk: Config) -> KioskApp:
    services = Services.build(demo_kiosk, sim=sim.travellers(seed=5, today=TODAY))
    services.pipeline.today = lambda: TODAY
    return KioskApp(services)


def show(pilot: Any, index: int) -> None:
    """The screen as it shows demo traveller `index`'s document (the device path to the
    screen is covered by test_ui and the tmux test; here only the rendering matters)."""
    travellers = sim.travellers(seed=5, today=TODAY)
    for _ in range(index):
        next(travellers)
    pilot.app.screen.read_document(next(travellers).lines, "reader")


async def logged_in(pilot: Any) -> None:
    await pilot.press(*"demo", "enter", *"1234", "enter")
    services = pilot.app.services
    for _ in range(100):
        await pilot.pause(0.05)
        if services.pipeline.state is not State.LOGGED_OUT:
            break
    for _ in range(100):  # the emulated devices finish their handshakes
        if all(h == "connected" for h in services.hub.health().values()):
            break
        await pilot.pause(0.05)
    services.sealer.flush()
    pilot.app.screen.refresh_status()
    await pilot.pause(0.3)


def test_login_screen_80x24(snap_compare: Any, app: KioskApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24))


def test_waiting_for_a_document_80x24(snap_compare: Any, app: KioskApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=logged_in)


def test_document_read_160x48(snap_compare: Any, app: KioskApp) -> None:
    async def swipe(pilot: Any) -> None:
        await logged_in(pilot)
        show(pilot, 0)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(160, 48), run_before=swipe)


def test_expired_document_80x24(snap_compare: Any, app: KioskApp) -> None:
    async def expired(pilot: Any) -> None:
        await logged_in(pilot)
        show(pilot, 2)  # the third demo traveller's passport has expired
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(80, 24), run_before=expired)


async def at_the_camera(pilot: Any) -> None:
    """The face step with a fixed picture and assessment: live camera frames are kept off
    the screen so the snapshot does not depend on timing (the live path is covered by
    test_ui and the tmux test)."""
    from kiosk.lane.quality import FaceUpdate
    from kiosk.sim import face_frames

    await logged_in(pilot)
    show(pilot, 0)
    screen = pilot.app.screen
    screen.camera_frame = lambda image: None  # type: ignore[method-assign]
    await pilot.pause(0.1)
    await pilot.press("enter")
    await pilot.pause(0.2)
    frame = face_frames()["dark"][0]
    update = FaceUpdate(
        instruction="more light",
        passed=False,
        failing=["under_exposure", "dynamic_range"],
        face_box=(226, 148, 190, 190),  # where the detector finds it in the good frames
    )
    screen.face_assessed(update)
    screen.query_one("#preview").show_frame(frame, update.face_box, bgr=True)
    await pilot.pause(0.2)


def test_face_step_80x24(snap_compare: Any, app: KioskApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=at_the_camera)


def test_face_step_160x48(snap_compare: Any, app: KioskApp) -> None:
    assert snap_compare(app, terminal_size=(160, 48), run_before=at_the_camera)
