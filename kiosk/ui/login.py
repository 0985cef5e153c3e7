"""Login: officer id and PIN; lockout and disabled accounts say so plainly."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from kiosk.officers import LoginError, Officer


class LoginScreen(Screen[Officer]):
    CSS_PATH = "login.tcss"
    BINDINGS = [("f1", "app.help", "Help")]

    def __init__(self, locked_for: str | None = None) -> None:
        super().__init__()
        self.locked_for = locked_for

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Static("Border kiosk", id="title")
            if self.locked_for:
                yield Static(
                    f"Locked after inactivity. {self.locked_for}: your PIN resumes; "
                    "another officer's login ends that session.",
                    id="locked",
                )
            yield Label("Officer id")
            yield Input(id="officer", placeholder="e.g. demo", value=self.locked_for or "")
            yield Label("PIN")
            yield Input(id="pin", password=True, placeholder="4-12 digits")
            yield Static("", id="login-error")
        yield Footer()

    @on(Input.Submitted, "#officer")
    def to_pin(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def submit(self) -> None:
        officer_id = self.query_one("#officer", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        self.query_one("#pin", Input).value = ""
        self.check(officer_id, pin)

    @work(thread=True, exclusive=True)
    def check(self, officer_id: str, pin: str) -> None:
        """scrypt takes tens of milliseconds: off the event loop."""
        try:
            officer = self.app.services.officers.login(officer_id, pin)  # type: ignore[attr-defined]
        except LoginError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.app.call_from_thread(self.dismiss, officer)

    def show_error(self, message: str) -> None:
        self.query_one("#login-error", Static).update(message)
        self.query_one("#pin", Input).focus()
