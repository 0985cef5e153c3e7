"""The capture controller without a terminal: the emulated counter's devices, the real
drivers, the quality worker and the pipeline, driven through the controller's intents
the way the officer screen drives them, observed through its notices."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from kiosk import sim
from kiosk.config import Config
from kiosk.lane.capture import Notice
from kiosk.lane.pipeline import Decision, DocumentCheck, State
from kiosk.ui.services import Services
from tests.kiosk.test_ui import sealed_bodies


async def until(done: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    for _ in range(int(timeout / 0.02)):
        if done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what or done}")


async def test_one_traveller_through_the_controller_alone(
    demo_kiosk: Config, tmp_path: Path
) -> None:
    counter = sim.counter(demo_kiosk, seed=1)
    services = Services.build(demo_kiosk, demo=counter)
    capture, pipeline = services.capture, services.pipeline
    told: list[Notice] = []
    frames: list[object] = []
    capture.notices.append(told.append)
    capture.frames.append(lambda image, box: frames.append(image))

    class ChipSaysFine:
        """A step after the document (the seam the chip and alert lists plug into)."""

        async def __call__(self, document: object) -> list[DocumentCheck]:
            return [DocumentCheck("chip", True, "read and authenticated (test step)")]

    capture.after_document.append(ChipSaysFine())
    capture.open_worker()
    capture.start(asyncio.get_running_loop())
    pump = asyncio.create_task(capture.run())
    try:
        pipeline.login("demo")
        counter.present_next_document()  # over the pty, through the mrz-serial driver
        await until(lambda: pipeline.state is State.DOCUMENT, what="the document")
        await until(lambda: any(c.name == "chip" for c in pipeline.traveller.checks))
        capture.confirm_document()
        assert pipeline.state is State.FACE
        # Frames from the camera driver reach the preview and the worker; the face is
        # captured by itself once every check passes.
        await until(lambda: pipeline.state is State.FINGERS, 40, "the face auto-capture")
        assert frames and any(n.kind == "face" for n in told)
        assert pipeline.traveller.portrait is not None
        while pipeline.state is State.FINGERS:
            tries = sum(c.attempts for c in pipeline.traveller.fingers.values())
            await asyncio.to_thread(counter.place_finger, pipeline.pending_fingers[0])
            await until(
                lambda t=tries: sum(c.attempts for c in pipeline.traveller.fingers.values()) > t,
                what="the finger's score",
            )
        assert pipeline.state is State.REVIEW
        saved = await capture.decide(Decision.ADMIT)
        assert pipeline.state is State.WAITING
        assert told[-1] == Notice("said", saved.line())
        pipeline.logout()
    finally:
        pump.cancel()
        services.close()
    [body] = sealed_bodies(services, tmp_path, "traveller")
    assert body["document_checks"]["chip"] is True
    assert body["face_quality"]["capture"] == "auto"  # type: ignore[index]
    said = [n.text for n in told if n.kind == "said"]
    assert any("NFIQ 2" in text for text in said)
