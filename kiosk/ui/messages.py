"""Messages between the kiosk's screens and its app (Textual's child-to-parent way)."""

from __future__ import annotations

from textual.message import Message

from kiosk.lane.capture import Notice


class LaneNotice(Message):
    """The lane told the screen something (posted, so it is handled in order)."""

    def __init__(self, notice: Notice) -> None:
        super().__init__()
        self.notice = notice


class LogoutRequested(Message):
    """Ctrl+L: the app ends the session and shows the login."""
