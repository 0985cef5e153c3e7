"""The officer's session through Textual's pilot: login typed ahead, refused logins and
lockouts audited, quitting mid-traveller, and a crash that prints no traveller data."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import mrz
from kiosk import sim
from kiosk.config import Config
from kiosk.lane.pipeline import State
from kiosk.ui.app import KioskApp
from kiosk.ui.login import RETYPE, LoginScreen
from kiosk.ui.services import Services
from outbox.record import read_header
from tests.kiosk.test_ui import PASSPORT, sealed_bodies, until


@pytest.fixture
def services(demo_kiosk: Config) -> Services:
    return Services.build(demo_kiosk, demo=sim.counter(demo_kiosk, seed=1))


def audit_events(services: Services, tmp_path: Path) -> list[dict[str, Any]]:
    services.sealer.flush()
    return sealed_bodies(services, tmp_path, "audit")


async def type_keys(pilot: Any, keys: list[str], gap: float) -> None:
    for key in keys:
        await pilot.press(key)
        if gap:
            await pilot.pause(gap)


async def test_login_typed_ahead_is_never_misplaced(services: Services) -> None:
    """`demo⏎123456⏎` at 50 ms a key (a quick typist), and all at once (a paste, a
    barcode badge), ten times: never a digit in the id, never a refused login."""
    keys = [*"demo", "enter", *"123456", "enter"]
    async with KioskApp(services).run_test(size=(80, 24)) as pilot:
        for attempt in range(10):
            assert isinstance(pilot.app.screen, LoginScreen)
            await type_keys(pilot, keys, 0.05 if attempt % 2 == 0 else 0.0)
            await until(
                pilot, lambda: services.pipeline.state is State.WAITING, 5, f"login {attempt}"
            )
            await pilot.press("ctrl+l")
            await until(pilot, lambda: isinstance(pilot.app.screen, LoginScreen), 5, "logout")
    assert services.officers.get("demo").failures == 0


async def test_refused_login_asks_to_retype_both_and_every_refusal_is_audited(
    services: Services, tmp_path: Path
) -> None:
    async with KioskApp(services).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        said = []
        for officer, pin in (("demo", "999999"), ("nobody", "123456")):
            await type_keys(pilot, [*officer, "enter", *pin, "enter"], 0)
            await until(pilot, lambda: not screen.checking, 5, "the refusal")
            said.append(str(screen.query_one("#login-error").render()))
            assert screen.officer_id == "" and screen.pin == "" and screen.field == "officer"
        # The same words whichever was wrong: nothing tells an id that exists.
        assert said == [RETYPE, RETYPE]
        # Wrong PINs until the account locks (the count is the accounts' policy).
        for _ in range(12):
            await type_keys(pilot, [*"demo", "enter", *"999999", "enter"], 0)
            await until(pilot, lambda: not screen.checking, 5, "the refusal")
            if "locked" in str(screen.query_one("#login-error").render()):
                break
        else:
            raise AssertionError("the account never locked")
        assert services.pipeline.state is State.LOGGED_OUT
    audits = audit_events(services, tmp_path)
    failed = [a for a in audits if a["event"] == "login failed"]
    assert failed[0]["attempted_id"] == "demo" and failed[1]["attempted_id"] == "nobody"
    assert len(failed) >= 3
    [lockout] = [a for a in audits if a["event"] == "lockout"]
    assert lockout["attempted_id"] == "demo" and "locked" in lockout["reason"]
    # No attempted id in the clear header (it may be a PIN typed into the wrong field).
    headers = [read_header(data).header for _seq, data in services.sealer.outbox.data()]
    assert {h.officer for h in headers if h.record_type == "audit"} == {"-"}


async def read_typed_passport(pilot: Any) -> None:
    await pilot.press("m")
    pilot.app.screen.query_one("#mrz-entry").text = "\n".join(PASSPORT)
    await pilot.pause(0.05)
    await pilot.press("f2")


async def test_ctrl_q_mid_traveller_asks_and_quitting_seals_cancel_and_logout(
    services: Services, tmp_path: Path
) -> None:
    from kiosk.ui.dialogs import ConfirmScreen

    app = KioskApp(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_keys(pilot, [*"demo", "enter", *"123456", "enter"], 0)
        await until(pilot, lambda: services.pipeline.state is State.WAITING)
        await read_typed_passport(pilot)
        await until(pilot, lambda: services.pipeline.state is State.DOCUMENT)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 3, "the question")
        assert "traveller is in progress" in str(app.screen.query_one("#confirm-box").render())
        await pilot.press("n")  # not now: the traveller is still there
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert services.pipeline.state is State.DOCUMENT
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running, 5, "the kiosk to stop")
    audits = sealed_bodies(services, tmp_path, "audit")
    assert [a["event"] for a in audits] == ["login", "cancelled", "logout"]
    assert audits[1]["reason"] == "the kiosk was quit" and audits[1]["step"] == "document"
    assert str(audits[1]["document"]).startswith("ERIKSSON Anna Maria, P UTO L898902C3")
    assert sealed_bodies(services, tmp_path, "traveller") == []


async def test_a_crash_mid_traveller_prints_no_traveller_data(
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in drawing the document, with the traveller's name in its message and MRZ
    in its local variables: the output says the exception's type and place only."""
    from kiosk.ui import views

    real = views.document_text

    def broken(document: mrz.MRZResult | None) -> str:
        text = real(document)
        lines = document.lines if document else []
        if document is not None:
            raise RuntimeError(f"cannot draw {document.surname}: {lines} {text}")
        return text

    monkeypatch.setattr(views, "document_text", broken)
    caplog.set_level(logging.DEBUG)
    app = KioskApp(services)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await type_keys(pilot, [*"demo", "enter", *"123456", "enter"], 0)
            await until(pilot, lambda: services.pipeline.state is State.WAITING)
            await read_typed_passport(pilot)
            await until(pilot, lambda: not app.is_running, 5, "the crash")
    out, err = capfd.readouterr()
    err = " ".join(err.split())  # the console wraps at its width
    logged = "\n".join(record.getMessage() for record in caplog.records)
    everything = out + err + logged
    assert "RuntimeError" in err and "in broken" in err  # what and where
    assert app.return_code == 1
    for secret in ("ERIKSSON", "ANNA", "L898902C3", PASSPORT[0], PASSPORT[1], "7408122"):
        assert secret not in everything, secret
    # The traveller on screen when it stopped is cancelled in the audit trail.
    audits = sealed_bodies(services, tmp_path, "audit")
    assert [a["event"] for a in audits][-2:] == ["cancelled", "logout"]
    assert audits[-2]["reason"] == "the kiosk UI stopped"
