"""The technician's screen (technicians only): devices and their self-test, outbox, test
records, configuration. Opened only between travellers, so a self-test never cuts into a
capture."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from kiosk.lane.devices import DeviceProblem
from kiosk.ui.services import Services

# What a technician reads first comes first; the long port path last.
DEVICE_COLUMNS = ("role", "health", "detail", "last error", "driver", "port")


class TechnicianScreen(Screen[None]):
    DEFAULT_CSS = """
    #tech-status { height: 1; background: $warning; color: $text; text-style: bold; }
    #outbox, #configuration { width: 1fr; border: round $secondary; padding: 0 1; }
    #devices { height: auto; max-height: 10; border: round $secondary; }
    """
    BINDINGS = [
        ("s", "selftest", "Self-test the selected device"),
        ("i", "inject", "Inject 10 test records"),
        ("escape", "app.pop_screen", "Back"),
        ("f1", "app.help", "Help"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        yield Static(" Technician — devices, outbox and configuration", id="tech-status")
        devices: DataTable[str] = DataTable(id="devices", cursor_type="row", zebra_stripes=True)
        devices.border_title = "Devices (↑↓ choose, s self-test)"
        yield devices
        with Horizontal():
            yield Static("", id="outbox")
            yield Static(
                configuration_text(self.services.config, self.services.demo is not None),
                id="configuration",
            )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#devices", DataTable)
        table.add_columns(*DEVICE_COLUMNS)
        self.refresh_devices()
        table.focus()
        self.refresh_outbox()
        self.set_interval(2.0, self.refresh_outbox)
        self.set_interval(1.0, self.refresh_devices)

    def refresh_devices(self) -> None:
        """One row per configured device: health as its driver reports it, what it said
        when it opened, and its latest error with the time it happened."""
        hub = self.services.hub
        table = self.query_one("#devices", DataTable)
        for spec in hub.specs:
            device = hub.devices.get(spec.role)
            log = hub.logs[spec.role]
            health = device.health.value if device is not None else "not started"
            if device is not None and device.reason:
                health = f"{health}: {device.reason}"
            last = ""
            if log.errors:
                when, line = log.errors[-1]
                last = f"{dt.datetime.fromtimestamp(when):%H:%M:%S} {line}"
            row = (spec.role, health, log.detail, last, spec.driver, spec.port)
            if spec.role in table.rows:
                for column, value in zip(table.ordered_columns, row, strict=True):
                    table.update_cell(spec.role, column.key, value)
            else:
                table.add_row(*row, key=spec.role)

    def action_selftest(self) -> None:
        table = self.query_one("#devices", DataTable)
        if table.row_count == 0:
            self.notify("No devices are configured for this lane", severity="warning")
            return
        role = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.notify(f"Self-test of {role} …")
        self.selftest(role)

    @work(thread=True, group="selftest")
    def selftest(self, role: str) -> None:
        try:
            detail = self.services.hub.selftest(role)
        except DeviceProblem as exc:
            self.app.call_from_thread(
                self.notify, f"Self-test failed: {exc}", severity="error", timeout=10
            )
        else:
            self.app.call_from_thread(self.notify, f"Self-test passed: {role}: {detail}")
        self.app.call_from_thread(self.refresh_devices)

    @work(thread=True, exclusive=True, group="outbox")
    def refresh_outbox(self) -> None:
        outbox = self.services.sealer.outbox
        status = outbox.status()
        recent = outbox.records(limit=8)
        lines = [
            "[b]Outbox[/]",
            f"waiting    {status.pending} records ({status.pending_bytes // 1024} KiB)",
            f"oldest     {_age(status.oldest_pending_age)}",
            f"delivered  {status.delivered}",
            f"last seq   {status.last_seq}",
            f"link       {status.link} {status.link_detail}",
            "",
            "[b]Latest records[/]",
        ]
        for seq, record_id, kind, _size, state, sealed_at, _ in reversed(recent):
            when = dt.datetime.fromtimestamp(sealed_at).strftime("%H:%M:%S")
            lines.append(
                f"{seq:>6} {when} {kind:<9} {state:<9} {str(uuid.UUID(bytes=record_id))[:8]}…"
            )
        self.app.call_from_thread(self.query_one("#outbox", Static).update, "\n".join(lines))

    def action_inject(self) -> None:
        self.inject()

    @work(thread=True, exclusive=True, group="inject")
    def inject(self) -> None:
        sealer = self.services.sealer
        officer = self.services.pipeline.officer_id or "technician"
        for n in range(10):
            sealer("test", officer, "entry", {"test": n})
        self.app.call_from_thread(self.notify, "10 test records sealed")
        self.refresh_outbox()


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def configuration_text(config: Any, simulated: bool = False) -> str:
    transport = config.get("forward", "transport")
    settings = config.section(f"forward.{transport}")
    target = settings.get("url") or settings.get("path") or "?"
    return "\n".join(
        [
            "[b]Configuration[/]",
            f"file       {config.path}",
            f"kiosk      {config.kiosk_id} at post {config.post}",
            f"lane       {config.get('kiosk', 'direction', 'entry')}",
            f"outbox     {config.outbox_path}",
            f"transport  {transport} → {target}",
            f"devices    {', '.join(config.section('devices')) or 'none configured'}"
            + (" (the simulator's are above)" if simulated else ""),
        ]
    )
