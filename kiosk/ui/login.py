"""Login: officer id and PIN, typed ahead as fast as anyone types.

The screen takes every key itself, in the order typed, and puts each into the field that
is current at that moment: Enter after the id makes the PIN current before the next key
is handled. (Two focusable inputs hand the focus over through the event queue, so a
digit typed right after Enter landed in the id.) A refused login clears both fields and
asks for both again, without saying which was wrong; every refusal, and a lockout, is
an audit record.
"""

from __future__ import annotations

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from kiosk.officers import LoginError, LoginEvent, Officer
from kiosk.ui.services import Services

RETYPE = "Not recognised: type your officer id and PIN again."
MAX_FIELD = 32


class LoginScreen(Screen[Officer]):
    CSS_PATH = "login.tcss"
    AUTO_FOCUS = None  # the screen takes the keys: see the module's docstring
    BINDINGS = [("f1", "app.help", "Help")]

    def __init__(self, services: Services, locked_for: str | None = None) -> None:
        super().__init__()
        self.services = services
        self.locked_for = locked_for
        self.officer_id = locked_for or ""
        self.pin = ""
        self.field = "pin" if locked_for else "officer"
        self.checking = False

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
            yield self._field(Input(id="officer", placeholder="e.g. demo"))
            yield Label("PIN")
            yield self._field(Input(id="pin", password=True, placeholder="6-12 digits"))
            yield Static("Tab other field · Enter next · F1 help", id="login-hint")
            yield Static("", id="login-error")
        yield Footer()

    @staticmethod
    def _field(field: Input) -> Input:
        field.can_focus = False  # shows what the screen typed into it; never takes keys
        return field

    def on_mount(self) -> None:
        self.set_focus(None)
        self.show_fields()

    def show_fields(self) -> None:
        officer, pin = self.query_one("#officer", Input), self.query_one("#pin", Input)
        officer.value, pin.value = self.officer_id, self.pin
        officer.set_class(self.field == "officer", "current")
        pin.set_class(self.field == "pin", "current")

    def on_key(self, event: events.Key) -> None:
        # Keys typed before the terminal left line mode arrive with Enter as a newline.
        key = "enter" if event.key == "ctrl+j" else event.key
        if key in ("enter", "tab", "shift+tab", "backspace", "escape") or (
            event.is_printable and event.character and len(event.character) == 1
        ):
            event.stop()
            event.prevent_default()
        else:
            return  # F1, Ctrl+Q: the bindings'
        if key in ("tab", "shift+tab"):
            self.field = "pin" if self.field == "officer" else "officer"
        elif key == "escape":
            self.officer_id, self.pin, self.field = self.locked_for or "", "", "officer"
        elif key == "backspace":
            if self.field == "officer":
                self.officer_id = self.officer_id[:-1]
            else:
                self.pin = self.pin[:-1]
        elif key == "enter":
            if self.field == "officer":
                self.field = "pin"
            elif self.officer_id.strip() and self.pin and not self.checking:
                self.checking = True
                self.query_one("#login-error", Static).update("checking…")
                self.check(self.officer_id.strip(), self.pin)
        elif self.field == "officer" and len(self.officer_id) < MAX_FIELD:
            self.officer_id += event.character or ""
        elif self.field == "pin" and len(self.pin) < MAX_FIELD:
            self.pin += event.character or ""
        self.show_fields()

    @work(thread=True, exclusive=True)
    def check(self, officer_id: str, pin: str) -> None:
        """scrypt takes tens of milliseconds: off the event loop."""
        try:
            officer = self.services.officers.login(officer_id, pin)
        except LoginError as exc:
            self.app.call_from_thread(self.refused, officer_id, exc)
            return
        self.app.call_from_thread(self.dismiss, officer)

    def refused(self, officer_id: str, exc: LoginError) -> None:
        """Audited (the attempted id in the encrypted body only); the officer retypes
        both fields. A lockout or a disabled account is said as such."""
        message = str(exc)
        locked = exc.event in (LoginEvent.LOCKED_OUT, LoginEvent.LOCKED)
        # An attempted id is whatever was typed: cut it to what a header field may hold.
        self.services.pipeline.login_failed(officer_id[:64], message, locked)
        shown = message if locked or "disabled" in message else RETYPE
        self.checking = False
        self.officer_id, self.pin = (self.locked_for or ""), ""
        self.field = "pin" if self.locked_for else "officer"
        self.show_fields()
        self.query_one("#login-error", Static).update(shown)
