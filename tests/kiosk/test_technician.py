"""The technician's devices panel, driven by Textual's pilot against the emulated counter:
health as the drivers report it, a self-test that reopens one device, errors after an unplug."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from kiosk import sim
from kiosk.config import Config
from kiosk.lane.pipeline import State
from kiosk.ui.app import KioskApp
from kiosk.ui.services import Services
from kiosk.ui.technician import DEVICE_COLUMNS, TechnicianScreen
from tests.kiosk.test_ui import demo, login, until


@pytest.fixture
def services(demo_kiosk: Config) -> Services:
    return Services.build(demo_kiosk, demo=sim.counter(demo_kiosk))


def cell(pilot, role: str, column: str) -> str:  # type: ignore[no-untyped-def]
    table = pilot.app.screen.query_one("#devices", DataTable)
    return str(table.get_row(role)[DEVICE_COLUMNS.index(column)])


async def select(pilot, role: str) -> None:  # type: ignore[no-untyped-def]
    """Move the devices table's cursor to `role`'s row with the arrow key, as a person would."""
    table = pilot.app.screen.query_one("#devices", DataTable)
    for _ in range(table.row_count):
        if table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == role:
            return
        await pilot.press("down")
    raise AssertionError(f"no row for {role}")


async def open_technician_screen(pilot) -> None:  # type: ignore[no-untyped-def]
    await login(pilot, "tech", "654321")
    await until(pilot, lambda: pilot.app.services.pipeline.state is State.WAITING)
    await pilot.press("t")
    await until(pilot, lambda: isinstance(pilot.app.screen, TechnicianScreen))


async def test_devices_listed_and_self_tested(services: Services) -> None:
    async with KioskApp(services).run_test(size=(160, 48)) as pilot:
        await open_technician_screen(pilot)
        await until(pilot, lambda: cell(pilot, "fingerprint", "health") == "connected")
        assert cell(pilot, "mrz", "driver") == "mrz-serial"
        assert cell(pilot, "mrz", "health") == "connected"
        assert "serial MRZ reader" in cell(pilot, "mrz", "detail")
        log = services.hub.logs["fingerprint"]
        connects = log.connects
        await select(pilot, "fingerprint")
        await pilot.press("s")
        # The self-test reopens the module: password, parameters, baud switch, all over
        # the wire to the emulator, and the hub sees it connect once more.
        await until(pilot, lambda: log.connects == connects + 1)
        await until(pilot, lambda: cell(pilot, "fingerprint", "health") == "connected")
        assert cell(pilot, "fingerprint", "detail") == log.detail != ""


async def test_unplugged_device_shows_its_error_and_fails_self_test(services: Services) -> None:
    async with KioskApp(services).run_test(size=(160, 48)) as pilot:
        await open_technician_screen(pilot)
        await until(pilot, lambda: cell(pilot, "fingerprint", "health") == "connected")
        demo(services).scanner.unplug()
        await until(pilot, lambda: cell(pilot, "fingerprint", "health").startswith("lost: "))
        assert "lost: " in cell(pilot, "fingerprint", "last error")
        await select(pilot, "fingerprint")
        await pilot.press("s")
        await until(
            pilot,
            lambda: "self-test failed" in cell(pilot, "fingerprint", "last error"),
            timeout=10,
        )
        assert cell(pilot, "mrz", "health") == "connected"  # the other device is untouched
        demo(services).scanner.plug()  # plugged back in: the driver finds it again
        await until(pilot, lambda: cell(pilot, "fingerprint", "health") == "connected")
