"""The decision an officer can defend, through Textual's pilot: a poor finger needs a
reason before and after the last try, the reason box says its keys and refuses an empty
reason, the review shows what the decision rests on, and "saved:" names who, what, and
the record id as `kiosk outbox list` prints it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk import sim
from kiosk.config import Config
from kiosk.lane.pipeline import State
from kiosk.ui.app import KioskApp
from kiosk.ui.services import Services
from tests.kiosk.test_ui import (
    PASSPORT,
    demo,
    face_step,
    give_fingers,
    instruction,
    login,
    sealed_bodies,
    until,
)


@pytest.fixture
def services(demo_kiosk: Config) -> Services:
    return Services.build(demo_kiosk, demo=sim.counter(demo_kiosk, seed=1))


def text(pilot: Any, selector: str) -> str:
    """What the widget shows, or "" while the screen has none (a dialog not up yet)."""
    found = pilot.app.screen.query(selector)
    return str(found.first().render()) if found else ""


async def to_fingers(pilot: Any) -> None:
    await login(pilot)
    await pilot.press("m")
    pilot.app.screen.query_one("#mrz-entry").text = "\n".join(PASSPORT)
    await pilot.pause(0.05)
    await pilot.press("f2", "enter")
    await face_step(pilot)
    assert pilot.app.services.pipeline.state is State.FINGERS


async def poor_try(pilot: Any, services: Services) -> None:
    from biometrics.synthetic import degrade, fingerprint

    before = sum(c.attempts for c in services.pipeline.traveller.fingers.values())
    demo(services).scanner.place_finger(
        degrade(fingerprint(seed=1, width=256, height=288), "smudged", seed=1)
    )
    fingers = services.pipeline.traveller.fingers
    await until(pilot, lambda: sum(c.attempts for c in fingers.values()) > before, 10, "the score")


async def test_poor_finger_needs_a_reason_after_the_last_try_too(services: Services) -> None:
    async with KioskApp(services).run_test(size=(80, 24)) as pilot:
        await to_fingers(pilot)
        for _ in range(services.policy.finger_attempts):
            await poor_try(pilot, services)
        right = services.pipeline.traveller.fingers[2]
        assert right.attempts == 3 and right.best_score is not None
        assert right.best_score < services.policy.finger_threshold
        # Not taken silently: the lane still asks for the right index.
        await pilot.pause(0.2)
        assert services.pipeline.pending_fingers == [2, 7]
        await until(pilot, lambda: "still poor after 3 tries" in instruction(pilot))
        await pilot.press("o")
        await until(pilot, lambda: "Why?" in text(pilot, "#question"))
        assert "Enter records the reason · Esc goes back" in text(pilot, "#reason-keys")
        await pilot.press("enter")  # an empty reason
        await pilot.pause(0.1)
        assert "A reason is needed" in text(pilot, "#reason-problem")
        await pilot.press("escape")  # back: nothing accepted
        await pilot.pause(0.1)
        assert services.pipeline.pending_fingers == [2, 7]
        await pilot.press("o", *"scarred ridges", "enter")
        await until(pilot, lambda: services.pipeline.pending_fingers == [7])
        assert right.override == "scarred ridges"


async def test_review_then_saved_line_names_traveller_decision_and_record_id(
    services: Services, demo_kiosk: Config, tmp_path: Path
) -> None:
    async with KioskApp(services).run_test(size=(80, 24)) as pilot:
        await to_fingers(pilot)
        await give_fingers(pilot)
        await until(pilot, lambda: services.pipeline.state is State.REVIEW, 10, "the review")
        await until(pilot, lambda: "REVIEW" in text(pilot, "#document"))
        review = text(pilot, "#document")
        for shown in (
            "P UTO L898902C3",
            "ERIKSSON, ANNA MARIA",
            "Checks",
            "all ok",
            "Face",
            "right index",
            "left index",
            "Overrides none",
            "ENTRY",
        ):
            assert shown in review, shown
        await pilot.press("a")
        await until(pilot, lambda: text(pilot, "#last").startswith("saved:"), 10, "saved")
        saved = text(pilot, "#last")
    assert saved.startswith(
        "saved: ERIKSSON Anna Maria, P UTO L898902C3, ADMITTED (entry) · record "
    )
    shown_id = saved.split("record ")[1].rstrip("…")
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "outbox",
            "list",
            "--json",
            "--config",
            str(demo_kiosk.path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    [traveller] = [json.loads(line) for line in listed if json.loads(line)["type"] == "traveller"]
    assert len(shown_id) == 8 and traveller["id"].startswith(shown_id)
    assert traveller["id"].count("-") == 4  # one form everywhere: the dashed UUID
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert body["decision"] == "admit" and body["refusal_ground"] is None
