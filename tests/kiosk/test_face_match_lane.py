"""The live face against the document's portrait in the lane (issue #16, points 4-5),
through Textual's pilot on the demo counter: the chip's portrait (DG2) is the reference,
both faces are on screen, the comparison runs in the quality worker, a match is shown and
sealed, and a face that does not match cannot be decided until the officer gives a reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk import sim
from kiosk.config import Config
from kiosk.lane.pipeline import State
from kiosk.ui.app import KioskApp
from kiosk.ui.preview import FacePreview
from kiosk.ui.services import Services
from tests.kiosk.test_ui import face_step, give_fingers, instruction, login, sealed_bodies, until
from tests.kiosk.test_ui_decision import text


@pytest.fixture
def services(demo_kiosk: Config) -> Services:
    return Services.build(demo_kiosk, demo=sim.counter(demo_kiosk, seed=1))


async def next_document(pilot: Any) -> str:
    """The next demo traveller's passport on the reader; waits for its chip to be read."""
    pipeline = pilot.app.services.pipeline
    assert pipeline.state is State.WAITING
    await pilot.press("s")
    await until(pilot, lambda: pipeline.state is State.DOCUMENT, 10, "the document")
    await until(
        pilot, lambda: any(c.name == "chip" for c in pipeline.traveller.checks), 20, "the chip"
    )
    return str(pilot.app.services.demo.story)


async def to_review(pilot: Any) -> None:
    pipeline = pilot.app.services.pipeline
    await pilot.press("enter")
    await until(pilot, lambda: pipeline.state is State.FACE, 5, "the face step")
    await face_step(pilot)
    await give_fingers(pilot)
    await until(pilot, lambda: not pipeline.face_match_pending, 20, "the comparison")
    await pilot.pause(0.2)


def drawn(pilot: Any, selector: str) -> bool:
    """The preview shows a picture (half-block strips), not its placeholder."""
    return bool(pilot.app.screen.query_one(selector, FacePreview)._strips)


async def test_a_matching_traveller_shows_both_faces_and_seals_the_match(
    services: Services, tmp_path: Path
) -> None:
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        story = await next_document(pilot)
        assert story == "ordinary passport"
        await pilot.press("enter")
        await until(pilot, lambda: services.pipeline.state is State.FACE, 5, "the face step")
        # The face step: the chip's portrait beside the live camera, each 40 cells wide.
        await until(pilot, lambda: drawn(pilot, "#reference"), 10, "the chip portrait")
        screen = pilot.app.screen
        assert screen.query_one("#reference").size.width >= 40
        assert screen.query_one("#preview").size.width >= 40
        assert "chip portrait" in text(pilot, "#reference-label")
        await face_step(pilot)
        await until(pilot, lambda: "face: match (" in text(pilot, "#face-status"), 20, "match")
        await give_fingers(pilot)
        await until(pilot, lambda: "REVIEW" in text(pilot, "#document"))
        assert "face: match (0." in text(pilot, "#document")
        assert drawn(pilot, "#reference") and drawn(pilot, "#preview")
        assert screen.query_one("#reference").size.width >= 40
        await pilot.press("a")
        await until(pilot, lambda: text(pilot, "#last").startswith("saved:"), 10, "saved")
    [body] = sealed_bodies(services, tmp_path, "traveller")
    match = body["face_match"]
    assert isinstance(match, dict)
    assert match["reference"] == "chip" and match["decision"] == "match"
    assert match["score_milli"] >= match["threshold_milli"] > 0
    assert match["model"].startswith("dlib_face_recognition_resnet_model_v1")
    assert match["officer_reason"] is None and body["overrides"] == []


async def test_another_persons_passport_cannot_be_decided_without_a_reason(
    services: Services, tmp_path: Path
) -> None:
    async with KioskApp(services).run_test(size=(80, 24)) as pilot:
        await login(pilot)
        for _ in range(3):  # the fourth demo traveller carries another person's passport
            await next_document(pilot)
            await pilot.press("escape")
        story = await next_document(pilot)
        assert "another person's passport" in story
        await to_review(pilot)
        pipeline = services.pipeline
        assert pipeline.traveller.face_match["decision"] == "no match"  # type: ignore[index]
        assert "face: no match (0." in text(pilot, "#document")
        assert "does NOT match" in instruction(pilot)
        await pilot.press("a")  # asks why first; Esc: nothing decided
        await until(pilot, lambda: "why go on?" in text(pilot, "#question"), 5, "the question")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert pipeline.state is State.REVIEW and not sealed_bodies(services, tmp_path, "traveller")
        await pilot.press("f", *"not the holder: second line", "enter")
        await until(pilot, lambda: pipeline.state is State.WAITING, 10, "the sealing")
    [body] = sealed_bodies(services, tmp_path, "traveller")
    match = body["face_match"]
    assert isinstance(match, dict)
    assert body["decision"] == "refer"
    assert match["decision"] == "no match" and match["score_milli"] < match["threshold_milli"]
    assert match["officer_reason"] == "not the holder: second line"
    assert {
        "step": "face match",
        "reason": "not the holder: second line",
        "decision": "no match",
    } in body["overrides"]  # type: ignore[operator]
