"""The officer UI driven by Textual's pilot, asserting on the sealed, decrypted records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import mrz
from kiosk import sim
from kiosk.pipeline import State
from kiosk.ui.app import KioskApp
from kiosk.ui.services import Services
from outbox.keys import load_central_private
from outbox.record import decrypt_body, read_header

PASSPORT = mrz.compose(
    "TD3",
    document_code="P",
    issuing_state="UTO",
    document_number="L898902C3",
    nationality="UTO",
    birth_date="740812",
    sex="F",
    expiry_date=dt.date.today().replace(year=dt.date.today().year + 5),
    surname="ERIKSSON",
    given_names="ANNA MARIA",
)


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return Services.build(sim.prepare(tmp_path / "sim"), sim=sim.travellers(seed=1))


def sealed_bodies(services: Services, tmp_path: Path, record_type: str) -> list[dict[str, object]]:
    central = load_central_private(tmp_path / "sim" / "central.key")
    out = []
    for _seq, data in services.sealer.outbox.data():
        record = read_header(data)
        if record.header.record_type == record_type:
            out.append(decrypt_body(record, central))
    return out


async def login(pilot, officer: str = "demo", pin: str = "1234") -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*officer, "enter", *pin, "enter")
    for _ in range(50):
        await pilot.pause(0.05)
        if pilot.app.services.pipeline.state is not State.LOGGED_OUT:
            return


async def swipe(pilot) -> None:  # type: ignore[no-untyped-def]
    """The next demo traveller's document goes through the emulated reader and driver."""
    await pilot.press("s")
    for _ in range(100):
        await pilot.pause(0.03)
        if pilot.app.services.pipeline.state is State.DOCUMENT:
            return
    raise AssertionError("the document never arrived from the reader")


async def give_fingers(pilot) -> None:  # type: ignore[no-untyped-def]
    """The demo traveller places each asked-for finger until the lane moves to review."""
    pipeline = pilot.app.services.pipeline
    for _ in range(12):
        if pipeline.state is not State.FINGERS:
            return
        await pilot.press("p")
        before = sum(c.attempts for c in pipeline.traveller.fingers.values())
        for _ in range(200):
            await pilot.pause(0.03)
            if sum(c.attempts for c in pipeline.traveller.fingers.values()) > before:
                break
    assert pipeline.state is State.REVIEW, pipeline.state


async def test_wrong_pin_is_refused_on_screen(services: Services) -> None:
    async with KioskApp(services).run_test(size=(100, 30)) as pilot:
        await login(pilot, pin="9999")
        await pilot.pause(0.3)
        error = str(pilot.app.screen.query_one("#login-error").render())
        assert "wrong PIN" in error
        assert services.pipeline.state is State.LOGGED_OUT


async def test_manual_entry_registration_is_sealed(services: Services, tmp_path: Path) -> None:
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        assert services.pipeline.state is State.WAITING
        await pilot.press("m")
        area = pilot.app.screen.query_one("#mrz-entry")
        area.text = PASSPORT[0] + "\n" + PASSPORT[1][:-1] + "9"  # wrong composite first
        await pilot.pause(0.1)
        assert "check digit fails: composite" in str(
            pilot.app.screen.query_one("#mrz-feedback").render()
        )
        area.text = "\n".join(PASSPORT)
        await pilot.pause(0.1)
        assert "all check digits hold" in str(pilot.app.screen.query_one("#mrz-feedback").render())
        await pilot.press("f2")
        assert services.pipeline.state is State.DOCUMENT
        await pilot.press("enter")
        assert services.pipeline.state is State.FINGERS
        await give_fingers(pilot)
        await pilot.press("a")
        for _ in range(50):
            await pilot.pause(0.05)
            if services.pipeline.state is State.WAITING:
                break
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert body["decision"] == "admit"
    assert body["document_source"] == "manual"
    assert body["document"]["document_number"] == "L898902C3"  # type: ignore[index]
    scores = [f["score"] for f in body["fingers"]]  # type: ignore[union-attr, index]
    assert len(scores) == 2 and all(isinstance(x, int) for x in scores)


async def test_sim_expired_document_needs_override_then_cancel_seals_nothing(
    services: Services, tmp_path: Path
) -> None:
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await swipe(pilot)  # traveller 0: ordinary
        await pilot.press("escape")  # cancel
        assert services.pipeline.state is State.WAITING
        await swipe(pilot)  # traveller 1: identity card
        await pilot.press("escape")
        await swipe(pilot)  # traveller 2: expired passport
        await pilot.press("enter")
        await pilot.pause(0.1)
        await pilot.press(*"visa on arrival", "enter")
        await pilot.pause(0.1)
        assert services.pipeline.state is State.FINGERS
        await pilot.press("x", "b")  # right index bandaged
        await give_fingers(pilot)
        await pilot.press("r")
        for _ in range(50):
            await pilot.pause(0.05)
            if services.pipeline.state is State.WAITING:
                break
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert body["decision"] == "refuse"
    fingers = {f["position"]: f for f in body["fingers"]}  # type: ignore[union-attr, index]
    assert fingers[2]["exception"] == "bandaged" and fingers[2]["image"] is None
    assert fingers[7]["image"][:4] == b"\x89PNG" and 0 <= fingers[7]["score"] <= 100
    assert body["overrides"][0]["reason"] == "visa on arrival"  # type: ignore[index]
    events = [b["event"] for b in sealed_bodies(services, tmp_path, "audit")]
    assert events[:2] == ["login", "override"]


async def test_technician_screen_is_for_technicians_only(services: Services) -> None:
    from kiosk.ui.technician import TechnicianScreen

    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)  # an officer
        await pilot.press("t")
        await pilot.pause(0.1)
        assert not isinstance(pilot.app.screen, TechnicianScreen)
        await pilot.press("ctrl+l")
        await pilot.pause(0.1)
        await login(pilot, "tech", "4321")
        await pilot.press("t")
        await pilot.pause(0.3)
        assert isinstance(pilot.app.screen, TechnicianScreen)
        await pilot.press("i")  # inject test records
        for _ in range(50):
            await pilot.pause(0.05)
            if services.sealer.outbox.status().last_seq >= 13:
                break
    kinds = [row[2] for row in services.sealer.outbox.records()]
    assert kinds.count("test") == 10


async def test_idle_lock_resumes_for_the_same_officer(services: Services) -> None:
    from kiosk.ui.login import LoginScreen

    app = KioskApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await swipe(pilot)
        app.idle_lock_seconds = 0.3
        await pilot.pause(1.6)
        assert isinstance(app.screen, LoginScreen) and app.locked
        await pilot.press("tab", *"1234", "enter")  # officer id is filled in already
        for _ in range(40):
            await pilot.pause(0.05)
            if not app.locked:
                break
        assert not app.locked
        assert services.pipeline.state is State.DOCUMENT  # the traveller is still there
        assert services.pipeline.officer_id == "demo"
