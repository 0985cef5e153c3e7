"""The officer UI driven by Textual's pilot, asserting on the sealed, decrypted records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import mrz
from kiosk import sim
from kiosk.config import Config
from kiosk.lane.pipeline import State
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
def services(demo_kiosk: Config) -> Services:
    return Services.build(demo_kiosk, demo=sim.counter(demo_kiosk, seed=1))


def demo(services: Services) -> sim.SimCounter:
    assert isinstance(services.demo, sim.SimCounter)
    return services.demo


def sealed_bodies(services: Services, tmp_path: Path, record_type: str) -> list[dict[str, object]]:
    central = load_central_private(tmp_path / "sim" / "central.key")
    out = []
    for _seq, data in services.sealer.outbox.data():
        record = read_header(data)
        if record.header.record_type == record_type:
            out.append(decrypt_body(record, central))
    return out


async def login(pilot, officer: str = "demo", pin: str = "123456") -> None:  # type: ignore[no-untyped-def]
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


async def until(pilot, done, timeout: float = 10.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `done()` holds."""
    for _ in range(int(timeout / 0.03)):
        if done():
            return
        await pilot.pause(0.03)
    raise AssertionError(f"timed out waiting for {what or done}")


def label(pilot) -> str:  # type: ignore[no-untyped-def]
    """The first label on screen (a dialog's question), or "" while there is none."""
    labels = pilot.app.screen.query("Label")
    return str(labels.first().render()) if labels else ""


def instruction(pilot) -> str:  # type: ignore[no-untyped-def]
    return str(pilot.app.screen.query_one("#instruction").render())


async def face_step(pilot) -> None:  # type: ignore[no-untyped-def]
    """The demo traveller stands at the emulated camera until the face is auto-captured."""
    pipeline = pilot.app.services.pipeline
    await until(pilot, lambda: pipeline.state is not State.FACE, 30, "the face auto-capture")


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
        await pilot.press("enter")  # the face step: this traveller stands well at once
        await face_step(pilot)
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
    assert body["portrait"][:2] == b"\xff\xd8"  # type: ignore[index]  # JPEG
    assert body["face_quality"]["capture"] == "auto"  # type: ignore[index]


def demo_documents(services: Services) -> list[str]:
    """'SURNAME Given' of the demo travellers of the `services` fixture, in order."""
    names = []
    travellers = sim.travellers(seed=1)
    for _ in range(4):
        result = mrz.parse(next(travellers).lines)
        given = " ".join(p.capitalize() for p in result.given_names.split())
        names.append(f"{result.surname} {given}")
    return names


async def test_sim_expired_document_needs_override_and_cancels_are_audited_only(
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
        await face_step(pilot)
        assert services.pipeline.state is State.FINGERS
        await pilot.press("x", "b")  # right index bandaged
        await give_fingers(pilot)
        await pilot.press("r")  # a refusal asks its ground (Annex V part B by default)
        await until(pilot, lambda: "on which ground" in label(pilot))
        await pilot.press("c")  # (C) no valid visa or residence permit
        for _ in range(50):
            await pilot.pause(0.05)
            if services.pipeline.state is State.WAITING:
                break
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert body["decision"] == "refuse"
    assert body["refusal_ground"] == {"code": "C", "text": "has no valid visa or residence permit"}
    fingers = {f["position"]: f for f in body["fingers"]}  # type: ignore[union-attr, index]
    assert fingers[2]["exception"] == "bandaged" and fingers[2]["image"] is None
    assert fingers[7]["image"][:4] == b"\x89PNG" and 0 <= fingers[7]["score"] <= 100
    assert body["overrides"][0]["reason"] == "visa on arrival"  # type: ignore[index]
    audits = sealed_bodies(services, tmp_path, "audit")
    assert [a["event"] for a in audits][:4] == ["login", "cancelled", "cancelled", "override"]
    cancelled = audits[1]
    assert cancelled["step"] == "document" and cancelled["reason"] == "cancelled by the officer"
    assert str(cancelled["document"]).startswith(demo_documents(services)[0])


async def test_technician_screen_is_for_technicians_only(services: Services) -> None:
    from kiosk.ui.technician import TechnicianScreen

    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)  # an officer
        await pilot.press("t")
        await pilot.pause(0.1)
        assert not isinstance(pilot.app.screen, TechnicianScreen)
        await pilot.press("ctrl+l")
        await pilot.pause(0.1)
        await login(pilot, "tech", "654321")
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
        assert app.idle_lock_seconds == 60 * services.policy.idle_lock_minutes  # [ui]
        app.idle_lock_seconds = 0.3
        await pilot.pause(1.6)
        assert isinstance(app.screen, LoginScreen) and app.locked
        await pilot.press("ctrl+q")  # whoever is at a locked counter cannot end the session
        await pilot.pause(0.2)
        assert app.is_running and services.pipeline.state is State.DOCUMENT
        await pilot.press(*"123456", "enter")  # the officer id is filled in already
        for _ in range(40):
            await pilot.pause(0.05)
            if not app.locked:
                break
        assert not app.locked
        assert services.pipeline.state is State.DOCUMENT  # the traveller is still there
        assert services.pipeline.officer_id == "demo"


async def register(pilot, decision: str = "a") -> None:  # type: ignore[no-untyped-def]
    pipeline = pilot.app.services.pipeline
    await pilot.press(decision)
    await until(pilot, lambda: pipeline.state is State.WAITING, 5, "the seal")


def decode_jpeg(data: bytes) -> tuple[int, ...]:
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return tuple(image.shape)


async def test_face_too_dark_at_first_then_auto_captured(
    services: Services, tmp_path: Path
) -> None:
    """The first demo traveller's first frames are too dark: the officer is told "more
    light", then the face is captured by itself once every check passes."""
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await swipe(pilot)  # traveller 1: at the camera with the lamp off at first
        await pilot.press("enter")
        assert services.pipeline.state is State.FACE
        said: set[str] = set()
        for _ in range(1000):
            said.add(instruction(pilot))
            if services.pipeline.state is not State.FACE:
                break
            await pilot.pause(0.03)
        assert services.pipeline.state is State.FINGERS
        assert any("MORE LIGHT" in text for text in said), said
        assert "captured automatically" in str(pilot.app.screen.query_one("#last").render())
        await give_fingers(pilot)
        await register(pilot)
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert decode_jpeg(body["portrait"]) == (640, 480, 3)  # type: ignore[arg-type]
    quality = body["face_quality"]
    assert quality["capture"] == "auto" and quality["manual"] is False  # type: ignore[index]
    assert quality["verdict"] == "pass" and quality["failing"] == []  # type: ignore[index]
    measures = quality["measures"]  # type: ignore[index]
    assert measures["under_exposure"]["pass"] and measures["face_count"]["score"] == 100
    assert body["overrides"] == []


async def test_manual_face_capture_is_flagged_in_the_record(
    services: Services, tmp_path: Path
) -> None:
    demo(services).scenes.hold_fault = True  # the lamp stays off
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await swipe(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: "MORE LIGHT" in instruction(pilot), 10, "'more light'")
        await pilot.press("c")  # the officer captures anyway
        await until(pilot, lambda: "Why capture" in label(pilot))
        assert "too dark" in label(pilot)
        await pilot.press(*"lamp broken", "enter")
        await until(pilot, lambda: services.pipeline.state is State.FINGERS)
        demo(services).scenes.hold_fault = False
        assert "manual capture" in str(pilot.app.screen.query_one("#face-status").render())
        await give_fingers(pilot)
        await register(pilot, "f")
    [body] = sealed_bodies(services, tmp_path, "traveller")
    quality = body["face_quality"]
    assert quality["capture"] == "manual" and quality["manual"] is True  # type: ignore[index]
    assert "under_exposure" in quality["failing"]  # type: ignore[index]
    assert quality["verdict"] == "fail"  # type: ignore[index]
    assert decode_jpeg(body["portrait"]) == (640, 480, 3)  # type: ignore[arg-type]
    [override] = body["overrides"]  # type: ignore[misc]
    assert override["step"] == "face" and override["reason"] == "lamp broken"
    assert "under_exposure" in override["failing"]
    audits = sealed_bodies(services, tmp_path, "audit")
    assert any(a["event"] == "override" and a["step"] == "face" for a in audits)


async def test_poor_finger_accepted_by_officer_override(services: Services, tmp_path: Path) -> None:
    from biometrics.synthetic import degrade, fingerprint

    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await swipe(pilot)
        await pilot.press("enter")
        await face_step(pilot)
        assert "Accept\u00a0poor" not in str(pilot.app.screen.query_one("#keys").render())
        # The traveller presses a smudged right index on the scanner.
        demo(services).scanner.place_finger(
            degrade(fingerprint(seed=1, width=256, height=288), "smudged", seed=1)
        )
        fingers = services.pipeline.traveller.fingers
        await until(pilot, lambda: 2 in fingers, 10, "the smudged finger's score")
        demo(services).scanner.lift_finger()
        score = fingers[2].best_score
        assert score is not None and score < services.pipeline.policy.finger_threshold
        await until(
            pilot, lambda: "Accept\u00a0poor" in str(pilot.app.screen.query_one("#keys").render())
        )
        assert "o: accept" in instruction(pilot)
        await pilot.press("o")
        await until(pilot, lambda: "Why?" in label(pilot))
        await pilot.press(*"worn ridges", "enter")
        await until(pilot, lambda: services.pipeline.pending_fingers == [7])
        await until(
            pilot,
            lambda: "Accept\u00a0poor" not in str(pilot.app.screen.query_one("#keys").render()),
        )
        await give_fingers(pilot)
        await register(pilot)
    [body] = sealed_bodies(services, tmp_path, "traveller")
    by_position = {f["position"]: f for f in body["fingers"]}  # type: ignore[union-attr, index]
    right = by_position[2]
    assert right["override"] == "worn ridges" and right["score"] == score
    assert right["attempts"] == 1 and right["image"][:4] == b"\x89PNG"
    assert body["overrides"] == [{"step": "finger", "reason": "worn ridges", "position": "2"}]


async def test_scanner_unplugged_mid_capture_then_back(services: Services, tmp_path: Path) -> None:
    """The scanner's cable is pulled between two fingers: the officer is told, a device
    fault is sealed, the traveller stays, and the capture goes on once it is back."""
    scanner = demo(services).scanner
    hub = services.hub
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await until(pilot, lambda: hub.health().get("fingerprint") == "connected")
        await swipe(pilot)
        await pilot.press("enter")
        await face_step(pilot)
        await pilot.press("p")  # right index
        fingers = services.pipeline.traveller.fingers
        await until(pilot, lambda: 2 in fingers, 10, "the right index")
        scanner.unplug()
        await until(pilot, lambda: "scanner disconnected" in instruction(pilot), 5, "the loss")
        assert "check its cable" in instruction(pilot)
        assert "scanner ✘ lost" in str(pilot.app.screen.query_one("#status").render())
        assert services.pipeline.state is State.FINGERS  # the traveller is still here
        scanner.plug()
        await until(pilot, lambda: hub.health().get("fingerprint") == "connected", 5)
        await until(pilot, lambda: "place the left index" in instruction(pilot))
        await give_fingers(pilot)
        await register(pilot)
        services.sealer.flush()
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert [f["position"] for f in body["fingers"]] == [2, 7]  # type: ignore[union-attr, index]
    faults = [a for a in sealed_bodies(services, tmp_path, "audit") if a["event"] == "device fault"]
    assert faults[0]["device"] == "fingerprint" and "lost" in faults[0]["reason"]  # type: ignore[operator]
    assert faults[-1]["reason"] == "recovered: connected again"


async def test_camera_unplugged_officer_goes_on_without_a_photo(
    services: Services, tmp_path: Path
) -> None:
    demo(services).scenes.hold_fault = True
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await swipe(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: "MORE LIGHT" in instruction(pilot), 10, "'more light'")
        demo(services).camera.unplug()
        await until(pilot, lambda: "camera disconnected" in instruction(pilot), 5, "the loss")
        await pilot.press("n")
        await pilot.press(*"camera out of order", "enter")
        await until(pilot, lambda: services.pipeline.state is State.FINGERS)
        await give_fingers(pilot)
        await register(pilot)
        services.sealer.flush()
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert body["portrait"] is None
    assert body["face_quality"] == {"capture": "none", "exception": "camera out of order"}
    audits = sealed_bodies(services, tmp_path, "audit")
    assert any(a["event"] == "device fault" and a["device"] == "face_camera" for a in audits)


async def test_quality_worker_killed_during_the_face_step_is_replaced(
    services: Services, tmp_path: Path
) -> None:
    """The process that assesses faces and fingers dies (OOM killer, a crash in a native
    library): the officer is told, a new worker takes over, the traveller is captured."""
    import os
    import signal

    demo(services).scenes.hold_fault = True
    app = KioskApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await swipe(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: "MORE LIGHT" in instruction(pilot), 15, "'more light'")
        old_pool = services.capture.pool
        assert old_pool is not None
        for pid in list(old_pool._processes):
            os.kill(pid, signal.SIGKILL)
        await until(pilot, lambda: services.capture.pool is not old_pool, 10, "a new worker")
        assert any("Face quality failed" in str(n.message) for n in app._notifications)
        demo(services).scenes.hold_fault = False
        await face_step(pilot)
        await give_fingers(pilot)
        await register(pilot)
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert body["face_quality"]["capture"] == "auto"  # type: ignore[index]
