"""The chip in the lane (issue #17): after the MRZ, the capture controller reads the
emulated passport on pcscd's virtual reader through the PC/SC driver, off the event loop,
and the officer gets one chip line; a forgery needs an override reason; the record body
carries the chip's evidence. Driven without a terminal, and once through Textual's pilot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kiosk import config as config_module
from kiosk import sim
from kiosk.config import Config
from kiosk.lane.chip import ChipStep
from kiosk.lane.pipeline import PipelineError, State
from kiosk.sim.issuer import TD3, default_pki, make_passport
from kiosk.ui.app import KioskApp
from kiosk.ui.services import Services
from tests.emrtd import conftest as emrtd_fixtures
from tests.emrtd.conftest import PutOnReader
from tests.kiosk.test_capture import until
from tests.kiosk.test_ui import login, sealed_bodies
from tests.pcscd import Pcscd

put_on_reader = emrtd_fixtures.put_on_reader  # a passport on pcscd's virtual reader


@pytest.fixture
def chip_kiosk(demo_kiosk: Config, pcscd: Pcscd) -> Config:
    """The demo kiosk with `[devices.chip]` on pcscd's virtual reader and the issuer's CSCA
    in STATE_DIR/csca."""
    with demo_kiosk.path.open("a") as toml:
        toml.write(f'\n[devices.chip]\ndriver = "pcsc"\nport = "{pcscd.reader}"\n')
    default_pki().write_trust(demo_kiosk.state_dir / "csca")
    return config_module.load(demo_kiosk.path)


def chip_step(services: Services) -> ChipStep:
    [step] = [s for s in services.capture.after_document if isinstance(s, ChipStep)]
    return step


async def read_typed(services: Services, lines: tuple[str, ...] = TD3) -> None:
    """The officer types the MRZ; the chip step runs and adds its checks."""
    services.pipeline.login("demo")
    services.capture.read_document(list(lines), "manual")
    assert services.pipeline.state is State.DOCUMENT
    await until(
        lambda: any(c.name == "chip" for c in services.pipeline.traveller.checks),
        what="the chip check",
    )


def check(services: Services, name: str) -> tuple[bool, str]:
    [found] = [c for c in services.pipeline.traveller.checks if c.name == name]
    return found.ok, found.message


async def test_a_genuine_chip_is_one_green_line_and_its_evidence_goes_in_the_record(
    chip_kiosk: Config, put_on_reader: PutOnReader
) -> None:
    put_on_reader(make_passport())
    services = Services.build(chip_kiosk)
    loop_ticks = 0

    async def ticker() -> None:  # the read runs off the loop: the loop keeps turning
        nonlocal loop_ticks
        while True:
            loop_ticks += 1
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(ticker())
    try:
        await read_typed(services)
    finally:
        ticking.cancel()
        services.close()
    assert check(services, "chip") == (True, "chip: genuine")
    assert loop_ticks > 5
    traveller = services.pipeline.traveller
    assert traveller.chip_portrait is not None and traveller.chip_portrait[:2] == b"\xff\xd8"
    body = services.pipeline.record_body()
    chip = body["chip"]
    assert chip["verdict"] == "genuine" and chip["dg1"] == list(TD3)
    assert chip["sod"][:1] == b"\x77" and chip["portrait"]["data"] == traveller.chip_portrait
    assert {c["name"] for c in chip["checks"]} >= {"sod signature", "ds chain", "dg2 hash"}
    assert body["document_checks"]["chip"] is True


async def test_a_forged_portrait_is_not_genuine_and_needs_an_override_reason(
    chip_kiosk: Config, put_on_reader: PutOnReader
) -> None:
    put_on_reader(make_passport(forge_dg2=True))
    services = Services.build(chip_kiosk)
    try:
        await read_typed(services)
        ok, line = check(services, "chip")
        assert not ok and line.startswith("chip: NOT GENUINE (") and "dg2" in line
        with pytest.raises(PipelineError, match="chip"):
            services.capture.confirm_document()
        services.capture.confirm_document("chip forged: referred to second line")
        assert services.pipeline.traveller.overrides[0]["checks"].count("chip") == 1
        assert services.pipeline.record_body()["chip"]["verdict"] == "NOT GENUINE"
    finally:
        services.close()


async def test_a_chip_dg1_that_differs_from_the_printed_mrz_is_a_failed_check(
    chip_kiosk: Config, put_on_reader: PutOnReader
) -> None:
    other = (TD3[0].replace("ERIKSSON", "ERIKSSEN"), TD3[1])
    put_on_reader(make_passport(dg1_lines=other))
    services = Services.build(chip_kiosk)
    try:
        await read_typed(services)
        ok, line = check(services, "chip DG1")
        assert not ok and "surname: printed 'ERIKSSON', chip 'ERIKSSEN'" in line
    finally:
        services.close()


async def test_wrong_keys_say_not_read_and_an_empty_reader_says_no_chip(
    chip_kiosk: Config, put_on_reader: PutOnReader
) -> None:
    services = Services.build(chip_kiosk)
    chip_step(services).timeout = 0.3
    try:
        await read_typed(services)  # nothing on the reader
        assert check(services, "chip") == (True, "no chip")
        services.pipeline.cancel()
        put_on_reader(make_passport())
        wrong = (TD3[0], TD3[1].replace("7408122", "7408139"))  # another birth date
        services.capture.read_document(list(wrong), "manual")
        await until(lambda: any(c.name == "chip" for c in services.pipeline.traveller.checks))
        ok, line = check(services, "chip")
        assert not ok and line.startswith("chip: not read (access denied")
    finally:
        services.close()


async def test_the_officer_sees_the_chip_line_and_the_record_carries_the_chip(
    chip_kiosk: Config, put_on_reader: PutOnReader, tmp_path: Path
) -> None:
    put_on_reader(make_passport(forge_dg2=True))
    services = Services.build(chip_kiosk, demo=sim.counter(chip_kiosk, seed=1))
    async with KioskApp(services).run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await pilot.press("m")  # the officer types the MRZ
        pilot.app.screen.query_one("#mrz-entry").text = "\n".join(TD3)
        await pilot.pause(0.1)
        await pilot.press("f2")
        pipeline = services.pipeline
        assert pipeline.state is State.DOCUMENT
        for _ in range(300):
            await pilot.pause(0.03)
            if any(c.name == "chip" for c in pipeline.traveller.checks):
                break
        await pilot.pause(0.1)
        shown = str(pilot.app.screen.query_one("#checks").render())
        assert "FAIL chip" in shown and "chip: NOT GENUINE (" in shown
        pipeline.cancel()
    assert not sealed_bodies(services, tmp_path, "traveller")


async def test_the_sim_counter_s_passports_carry_chips_and_one_is_forged(
    demo_kiosk: Config,
) -> None:
    """`kiosk run --sim`: each traveller's passport lies on the (in-process) chip reader;
    the fifth traveller's chip has a DG2 that does not match its SOD."""
    counter = sim.counter(demo_kiosk, seed=1)
    services = Services.build(demo_kiosk, demo=counter)
    pipeline = services.pipeline
    services.hub.start(asyncio.get_running_loop())
    pump = asyncio.create_task(services.capture.run())
    lines: list[str] = []
    try:
        pipeline.login("demo")
        for _ in range(5):
            story = counter.present_next_document()  # over the pty, through mrz-serial
            await until(lambda: pipeline.state is State.DOCUMENT, what="the document")
            await until(lambda: any(c.name == "chip" for c in pipeline.traveller.checks))
            lines.append(f"{story} -> {check(services, 'chip')}")
            if "forged" not in story:
                pipeline.cancel()
    finally:
        pump.cancel()
        services.close()
    assert all("(True, 'chip: genuine')" in line for line in lines[:4]), lines
    assert "forged chip" in lines[4] and "(False, 'chip: NOT GENUINE (dg2 hash" in lines[4]
    with pytest.raises(PipelineError, match="chip"):
        pipeline.confirm_document()
    assert (demo_kiosk.state_dir / "csca" / "csca.pem").exists()
