"""The technician's screen (technicians only): outbox, test records, configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static


class TechnicianScreen(Screen[None]):
    DEFAULT_CSS = """
    #tech-status { height: 1; background: $warning; color: $text; text-style: bold; }
    #outbox, #configuration { width: 1fr; border: round $secondary; padding: 0 1; }
    """
    BINDINGS = [
        ("i", "inject", "Inject 10 test records"),
        ("escape", "app.pop_screen", "Back"),
        ("f1", "app.help", "Help"),
    ]

    @property
    def services(self) -> Any:
        return self.app.services  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static(" Technician — outbox and configuration", id="tech-status")
        with Horizontal():
            yield Static("", id="outbox")
            yield Static(configuration_text(self.services.config), id="configuration")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_outbox()
        self.set_interval(2.0, self.refresh_outbox)

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
                f"{seq:>6} {when} {kind:<9} {state:<9} {str(uuid.UUID(bytes=record_id))[:13]}"
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


def configuration_text(config: Any) -> str:
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
            f"devices    {', '.join(config.section('devices')) or 'none configured'}",
        ]
    )
