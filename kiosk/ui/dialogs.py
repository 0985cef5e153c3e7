"""Small modal screens: the reason for an override, and the help overlay."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

HELP = """\
[b]Keys[/b]

  [b]s[/b]        (demo) the simulated reader reads the next traveller's document
  [b]m[/b]        type the MRZ by hand (non-machine-readable or damaged document)
  [b]F2[/b]       use the typed MRZ
  [b]Enter[/b]    confirm the document (failed checks ask for an override reason)
  [b]c[/b]        face: capture now (best frame so far; failing checks need a reason)
  [b]n[/b]        face: go on without a photo (asks for a reason)
  [b]p[/b]        (demo) the traveller places the asked-for finger on the scanner
  [b]o[/b]        accept a poor finger with a reason (shown after a poor try)
  [b]x[/b]        finger exception: amputated, bandaged, unable to print
  [b]a r f[/b]    decision: admit, refuse, refer to second line (seals the record)
  [b]Esc[/b]      cancel this traveller (nothing is saved)
  [b]d[/b]        switch the lane between entry and exit
  [b]t[/b]        technician screen (technicians only)
  [b]Ctrl+L[/b]   log out          [b]F1[/b]  this help        [b]Ctrl+Q[/b]  quit

The face is captured by itself once every check passes; the line at the top says what the
traveller should do meanwhile. A record is saved (signed, encrypted, on disk) when "saved"
appears; it is sent to the central system whenever the link is up.
"""


class ReasonScreen(ModalScreen[str | None]):
    """Ask why the officer overrides a failed check; Esc gives up."""

    DEFAULT_CSS = """
    ReasonScreen { align: center middle; }
    #reason-box { width: 70; height: auto; border: heavy $warning; padding: 1 2; }
    """
    BINDINGS = [("escape", "dismiss(None)", "Back")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box"):
            yield Label(self.question)
            yield Input(id="reason", placeholder="reason (recorded in the record and the audit)")

    @on(Input.Submitted)
    def done(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())


class ExceptionScreen(ModalScreen[str | None]):
    """Why a finger cannot be captured: recorded as data, not as a failed capture."""

    DEFAULT_CSS = """
    ExceptionScreen { align: center middle; }
    #exception-box { width: 60; height: auto; border: heavy $warning; padding: 1 2; }
    """
    BINDINGS = [
        ("a", "dismiss('amputated')", "Amputated"),
        ("b", "dismiss('bandaged')", "Bandaged"),
        ("u", "dismiss('unable to print')", "Unable to print"),
        ("escape", "dismiss(None)", "Back"),
    ]

    def __init__(self, finger: str) -> None:
        super().__init__()
        self.finger = finger

    def compose(self) -> ComposeResult:
        yield Static(
            f"Exception for the {self.finger}:\n\n  a  amputated\n  b  bandaged\n"
            "  u  unable to print\n\n  Esc  back",
            id="exception-box",
        )


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: 90; height: auto; border: heavy $primary; padding: 1 2; }
    """
    BINDINGS = [("escape,f1,q", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help-box")
