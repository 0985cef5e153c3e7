"""The kiosk's Textual application: login, then the officer screen."""

from __future__ import annotations

from textual.app import App

from kiosk.officers import Officer, Role
from kiosk.ui.dialogs import HelpScreen
from kiosk.ui.login import LoginScreen
from kiosk.ui.officer import OfficerScreen
from kiosk.ui.services import Services


class KioskApp(App[None]):
    TITLE = "Border kiosk"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.officer: Officer | None = None

    @property
    def officer_is_technician(self) -> bool:
        return self.officer is not None and self.officer.role is Role.TECHNICIAN

    def on_mount(self) -> None:
        self.show_login()

    def show_login(self) -> None:
        self.push_screen(LoginScreen(), self.logged_in)

    def logged_in(self, officer: Officer | None) -> None:
        if officer is None:
            self.show_login()
            return
        self.officer = officer
        self.services.pipeline.login(officer.officer_id)
        self.push_screen(OfficerScreen())

    def logout(self) -> None:
        self.services.pipeline.logout()
        self.officer = None
        self.pop_screen()
        self.show_login()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())
