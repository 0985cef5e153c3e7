"""Alert lists in the lane (issue #18), through Textual's pilot and on the lane alone: every
document is checked the moment it is read against the kiosk's list (the demo's, published
as a signed TUF repository and synced as `kiosk alerts sync` does); a hit shows with its
action and the list's text; each hit is marked confirmed or not the same person, with a
reason, before any decision; a confirmed deny is admitted only with a supervisor's PIN; a
missing list is a banner and in the record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk import sim
from kiosk.alerting import demo_travellers
from kiosk.config import Config
from kiosk.lane.pipeline import Decision, PipelineError, State
from kiosk.ui.app import KioskApp
from kiosk.ui.services import Services
from tests.kiosk.test_capture import until as lane_until
from tests.kiosk.test_ui import face_step, give_fingers, login, sealed_bodies, until
from tests.kiosk.test_ui_decision import text


@pytest.fixture
def services(demo_kiosk: Config) -> Services:
    return Services.build(demo_kiosk, demo=sim.counter(demo_kiosk, seed=1))


async def typed(pilot: Any, lines: list[str]) -> None:
    """The officer types the MRZ; waits for the alert list's answer."""
    pipeline = pilot.app.services.pipeline
    await pilot.press("m")
    pilot.app.screen.query_one("#mrz-entry").text = "\n".join(lines)
    await pilot.pause(0.05)
    await pilot.press("f2")
    assert pipeline.state is State.DOCUMENT
    await until(pilot, lambda: pipeline.traveller.alerts is not None, 10, "the alert check")
    await pilot.pause(0.1)


async def test_a_stolen_passport_is_a_deny_hit_resolved_then_admitted_only_by_a_supervisor(
    services: Services, tmp_path: Path
) -> None:
    stolen = demo_travellers()[0]
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await typed(pilot, stolen)
        shown = text(pilot, "#checks")
        assert "DENY" in shown and "SLTD DEMO-SLTD-0001" in shown and "unresolved" in shown
        assert "Passport reported stolen on 2026-03-02" in shown  # the list's text
        pipeline = services.pipeline
        await pilot.press("enter")
        await face_step(pilot)
        await give_fingers(pilot)
        await until(pilot, lambda: "REVIEW" in text(pilot, "#document"))
        await pilot.press("a")  # the hit comes first; Esc: nothing decided
        await until(pilot, lambda: "Alert list hit 1 of 1" in text(pilot, "#question"))
        assert "Passport reported stolen" in text(pilot, "#hit-note")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert pipeline.state is State.REVIEW and pipeline.unresolved_hits()
        with pytest.raises(PipelineError, match="alert hit"):
            pipeline.decide(Decision.REFER)
        await pilot.press("a", "c")  # confirmed ...
        await until(pilot, lambda: "confirmed: why?" in text(pilot, "#question"))
        await pilot.press(*"number matches the SLTD notice", "enter")
        # ... and a confirmed deny: the admission asks a supervisor.
        await until(pilot, lambda: "supervisor" in text(pilot, "#question"), 5, "the PIN box")
        await pilot.press(*"demo", "enter", *"123456", "enter")  # an officer, not a supervisor
        await pilot.pause(0.5)
        assert pipeline.state is State.REVIEW and pipeline.deny_needs_supervisor()
        await pilot.press("a")
        await until(pilot, lambda: "supervisor" in text(pilot, "#question"), 5, "the PIN box")
        await pilot.press(*"tech", "enter", *"654321", "enter")
        await until(pilot, lambda: pipeline.state is State.WAITING, 10, "the sealing")
    [body] = sealed_bodies(services, tmp_path, "traveller")
    alerts = body["alerts"]
    assert isinstance(alerts, dict) and body["decision"] == "admit"
    assert alerts["list_version"] == 1 and alerts["stale"] is None
    [hit] = alerts["hits"]
    assert hit["list_id"] == "SLTD" and hit["action"] == "deny" and hit["kind"] == "document"
    assert hit["resolution"] == "confirmed" and hit["reason"] == "number matches the SLTD notice"
    assert hit["supervisor"] == "tech" and hit["note"].startswith("Passport reported stolen")
    events = [a["event"] for a in sealed_bodies(services, tmp_path, "audit")]
    assert events.index("alert hit") < events.index("supervisor refused")
    assert events.index("supervisor refused") < events.index("supervisor approval")


async def test_a_listed_person_spelled_another_way_is_a_hit_that_can_be_cleared(
    services: Services,
) -> None:
    """On the lane alone: the listed person's passport prints ALHASAN MOHAMED ABDELRAHMAN,
    the list says AL-HASSAN Muhammad Abdul Rahman: a refer hit, cleared with a reason."""
    pipeline = services.pipeline
    pipeline.login("demo")
    services.capture.read_document(demo_travellers()[1], "manual")
    await lane_until(lambda: pipeline.traveller.alerts is not None, what="the alert check")
    [hit] = pipeline.unresolved_hits()
    assert (hit.action, hit.kind, hit.list_id) == ("refer", "person", "NATIONAL-WATCH")
    with pytest.raises(PipelineError, match="reason"):
        services.capture.resolve_hit(hit, "not the same person", "")
    services.capture.resolve_hit(hit, "not the same person", "other father's name (DG11)")
    assert not pipeline.unresolved_hits() and not pipeline.deny_needs_supervisor()
    record = pipeline.record_body()["alerts"]
    assert record["hits"][0]["resolution"] == "not the same person"
    services.close()


async def test_a_missing_list_is_a_banner_on_every_traveller_and_in_the_record(
    demo_kiosk: Config, tmp_path: Path
) -> None:
    services = Services.build(demo_kiosk)  # no devices, no list loaded
    async with KioskApp(services).run_test(size=(80, 24)) as pilot:
        await login(pilot)
        for lines in demo_travellers()[::-1]:
            await typed(pilot, lines)
            banner = text(pilot, "#alert-banner")
            assert "ALERT LIST NOT CURRENT: no alert list has been loaded" in banner
            assert pilot.app.screen.query_one("#alert-banner").display
            await pilot.press("escape")
        await typed(pilot, demo_travellers()[1])
        await pilot.press("enter")  # no face or finger devices: the review
        await until(pilot, lambda: services.pipeline.state is State.REVIEW, 5, "the review")
        await pilot.press("f")
        await until(pilot, lambda: services.pipeline.state is State.WAITING, 10, "the sealing")
        assert not pilot.app.screen.query_one("#alert-banner").display  # no traveller now
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert body["alerts"] == {
        "list_version": None,
        "entries": 0,
        "stale": "no alert list has been loaded",
        "hits": [],
    }


def test_the_sim_queue_carries_the_stolen_passport_and_the_listed_person() -> None:
    travellers = sim.travellers(seed=1)
    stories = [next(travellers) for _ in range(8)]
    assert stories[5].lines == demo_travellers()[0] and "stolen" in stories[5].story
    assert stories[6].lines == demo_travellers()[1] and "listed person" in stories[6].story
