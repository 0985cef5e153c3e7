"""Small modal screens: a reason for an override, a yes/no question, the ground of a
refusal, a finger exception, and the help overlay. Each says its keys."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

# Short lines: the help must read at 80 columns without wrapping mid-sentence.
HELP = """\
[b]Keys[/b]  (the bar at the bottom lists those that work now; Esc closes)
 [b]s[/b]       demo: the reader reads the next traveller's document
 [b]m[/b]       type the MRZ by hand (damaged or non-machine-readable
         document); [b]F2[/b] uses the typed lines
 [b]Enter[/b]   confirm the document (a failed check asks for a reason)
 [b]c[/b]       face: capture now (failing checks ask for a reason)
 [b]n[/b]       face: go on without a photo (asks for a reason)
 [b]p[/b]       demo: the traveller places the asked-for finger
 [b]o[/b]       accept a poor finger, with a reason
 [b]x[/b]       finger exception: amputated, bandaged, unable to print
 [b]h[/b]       alert hit: confirmed / not the same person, with a reason
 [b]a r f[/b]   decision: admit, refuse (asks the ground), refer to second
         line; each seals the record (asks first what is missing)
 [b]Esc[/b]     cancel this traveller (the cancel is recorded)
 [b]d[/b]       switch the lane between entry and exit
 [b]t[/b]       technician screen (technicians only)
 [b]Ctrl+L[/b]  log out     [b]Ctrl+Q[/b]  quit     [b]F1[/b]  this help

The face is captured by itself when every check passes; the top line
says what the traveller should do. "saved:" means the record is on
disk, signed and encrypted; it is sent whenever the link is up."""


class ReasonScreen(ModalScreen[str | None]):
    """Why the officer overrides a check: Enter records it, Esc goes back."""

    DEFAULT_CSS = """
    ReasonScreen { align: center middle; }
    #reason-box { width: 74; max-width: 96%; height: auto; border: heavy $warning;
                  padding: 1 2; }
    #reason-keys { color: $text-muted; margin-top: 1; }
    #reason-problem { color: $error; text-style: bold; }
    """
    BINDINGS = [("escape", "dismiss(None)", "Back")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box"):
            yield Label(self.question, id="question")
            yield Input(id="reason", placeholder="the reason (goes into the record)")
            yield Static("", id="reason-problem")
            yield Static("Enter records the reason · Esc goes back", id="reason-keys")

    @on(Input.Submitted)
    def done(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
        else:
            self.query_one("#reason-problem", Static).update(
                "A reason is needed: type one, or Esc to go back."
            )


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: y confirms, n or Esc goes back."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    #confirm-box { width: 74; max-width: 96%; height: auto; border: heavy $error;
                   padding: 1 2; }
    """
    BINDINGS = [
        ("y", "dismiss(True)", "Yes"),
        ("n,escape", "dismiss(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        yield Static(self.question, id="confirm-box")


class GroundScreen(ModalScreen[tuple[str, str] | None]):
    """The ground of a refusal, from the configured list: its letter, or ↑↓ and Enter."""

    DEFAULT_CSS = """
    GroundScreen { align: center middle; }
    #ground-box { width: 96%; max-width: 110; height: auto; max-height: 96%;
                  border: heavy $error; padding: 0 1; }
    #grounds { height: auto; max-height: 18; border: none; padding: 0; }
    #ground-keys { color: $text-muted; }
    """
    BINDINGS = [("escape", "dismiss(None)", "Back")]

    def __init__(self, grounds: tuple[tuple[str, str], ...]) -> None:
        super().__init__()
        self.grounds = grounds

    def compose(self) -> ComposeResult:
        with Vertical(id="ground-box"):
            yield Label("[b]Refuse entry: on which ground?[/]")
            yield OptionList(
                *(Option(f"({code}) {text}", id=code) for code, text in self.grounds),
                id="grounds",
            )
            yield Static(
                "a letter or ↑↓ Enter chooses (seals the refusal) · Esc goes back",
                id="ground-keys",
            )

    def on_key(self, event: events.Key) -> None:
        character = event.character or ""
        for code, text in self.grounds:
            if len(code) == 1 and character.upper() == code.upper():
                event.stop()
                self.dismiss((code, text))
                return

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        for ground in self.grounds:
            if ground[0] == event.option.id:
                self.dismiss(ground)


class ExceptionScreen(ModalScreen[str | None]):
    """Why a finger cannot be captured: recorded as data, not as a failed capture."""

    DEFAULT_CSS = """
    ExceptionScreen { align: center middle; }
    #exception-box { width: 60; max-width: 96%; height: auto; border: heavy $warning;
                     padding: 1 2; }
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
    #help-box { width: 72; max-width: 100%; height: auto; max-height: 100%;
                border: heavy $primary; padding: 0 1; }
    """
    BINDINGS = [("escape,f1,q", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help-box")
