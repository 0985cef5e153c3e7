"""Alert-list hits on the officer's screen (issue #18): the hit with its action and the
list's text, the officer's resolution (`confirmed` / `not the same person`), and a
supervisor's id and PIN for admitting a traveller with a confirmed `deny` hit. The lane
(kiosk.lane.pipeline) decides what is needed; these screens only ask."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from kiosk.lane.pipeline import AlertCheck, AlertHit, Pipeline

CONFIRMED, NOT_SAME = "confirmed", "not the same person"
LISTED = ("doc_type", "doc_state", "doc_number", "surname", "given_names", "birth_date",
          "nationality")  # fmt: skip
ACTION_STYLE = {"deny": "b white on red", "refer": "b black on yellow", "notify": "b reverse"}


def hit_line(hit: AlertHit) -> str:
    """One line: the action first, then which list, what matched and how well."""
    style = ACTION_STYLE.get(hit.action, "b")
    what = f"{hit.kind} {hit.score}"
    line = f"[{style}] {hit.action.upper()} [/] {hit.list_id} {hit.reference} · {what}"
    if hit.resolution:
        line += f" · [yellow]{hit.resolution}[/]: {hit.reason}"
        if hit.supervisor:
            line += f" · admitted by {hit.supervisor}"
    else:
        line += " · [b red]unresolved[/]"
    return line


def hits_text(check: AlertCheck | None) -> str:
    """The hits and the list's text, for the checks panel and the review."""
    if check is None:
        return "[dim]alert list: checking…[/]"
    if not check.hits:
        version = f"version {check.version}" if check.version is not None else "no list"
        return f"[green]✔[/] alert list: no hit ({version})"
    lines = []
    for hit in check.hits:
        lines.append(hit_line(hit))
        if hit.note:
            lines.append(f"  {hit.note}")
    return "\n".join(lines)


def banner_text(pipeline: Pipeline) -> str:
    """A stale or missing list, on every traveller ("" when the list is current)."""
    check = pipeline.traveller.alerts
    if check is None or not check.stale:
        return ""
    return f"⚠ ALERT LIST NOT CURRENT: {check.stale} · hits may be missing"


class HitScreen(ModalScreen[str | None]):
    """One hit: c confirmed, n not the same person (either then asks the reason), Esc back."""

    DEFAULT_CSS = """
    HitScreen { align: center middle; }
    #hit-box { width: 90; max-width: 98%; height: auto; max-height: 96%;
               border: heavy $error; padding: 0 1; }
    #hit-keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        ("c", f"dismiss('{CONFIRMED}')", "Confirmed"),
        ("n", f"dismiss('{NOT_SAME}')", "Not the same person"),
        ("escape", "dismiss(None)", "Back"),
    ]

    def __init__(self, hit: AlertHit, position: str) -> None:
        super().__init__()
        self.hit = hit
        self.position = position

    def compose(self) -> ComposeResult:
        hit = self.hit
        entry = hit.entry
        listed = ", ".join(
            f"{key.replace('_', ' ')} {entry[key]}" for key in LISTED if entry.get(key)
        )
        with Vertical(id="hit-box"):
            yield Label(f"[b]Alert list hit {self.position}[/]", id="question")
            yield Static(hit_line(hit), id="hit-line")
            yield Static(f"[b]Listed:[/] {listed}" if listed else "", id="hit-entry")
            yield Static("[b]Why:[/] " + "; ".join(hit.reasons), id="hit-reasons")
            yield Static(f"[b]List's text:[/] {hit.note or '-'}", id="hit-note")
            yield Static(
                "c  confirmed: it is this person / document\n"
                "n  not the same person\n"
                "(each asks your reason, which goes into the record) · Esc back",
                id="hit-keys",
            )


class SupervisorScreen(ModalScreen[tuple[str, str] | None]):
    """A supervisor's id and PIN: Enter moves on, then checks; Esc goes back."""

    DEFAULT_CSS = """
    SupervisorScreen { align: center middle; }
    #supervisor-box { width: 74; max-width: 96%; height: auto; border: heavy $error;
                      padding: 1 2; }
    #supervisor-keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [("escape", "dismiss(None)", "Back")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="supervisor-box"):
            yield Label(self.question, id="question")
            yield Input(id="supervisor-id", placeholder="supervisor's id")
            yield Input(id="supervisor-pin", placeholder="PIN", password=True)
            yield Static("Enter: next field, then check · Esc goes back", id="supervisor-keys")

    @on(Input.Submitted, "#supervisor-id")
    def to_pin(self) -> None:
        self.query_one("#supervisor-pin", Input).focus()

    @on(Input.Submitted, "#supervisor-pin")
    def done(self) -> None:
        officer = self.query_one("#supervisor-id", Input).value.strip()
        pin = self.query_one("#supervisor-pin", Input).value
        if officer and pin:
            self.dismiss((officer, pin))
