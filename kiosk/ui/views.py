"""What the officer screen shows, as text (Rich markup) made from the lane's state:
pure functions, so the screen module is only layout and keys."""

from __future__ import annotations

import mrz
from kiosk.lane.capture import Capture, FaceStep, match_text, measures
from kiosk.lane.pipeline import FINGER_NAMES, FingerCapture, Pipeline, State, Traveller
from kiosk.lane.quality import FaceUpdate
from kiosk.ui.alerts import hits_text
from outbox.store import Status

# Device roles as the status bar names them (short: the bar must fit 80 columns).
DEVICE_LABELS = {"mrz": "reader", "face_camera": "camera", "fingerprint": "scanner"}

INSTRUCTIONS = {
    State.WAITING: "Waiting for a document: place it on the reader (m: type the MRZ)",
    State.DOCUMENT: "Check the document: Enter to confirm, Esc to cancel",
    State.REVIEW: "Review, then decide: a admit · r refuse · f refer · Esc cancel",
}


def instruction(capture: Capture, typing_mrz: bool) -> str:
    """The one line at the top: what to do now."""
    pipeline = capture.pipeline
    if capture.sealing:
        return "Saving…"
    if typing_mrz:
        return "Type the MRZ lines; F2 uses them, Esc goes back"
    hits = len(pipeline.unresolved_hits())
    if hits and pipeline.state in (State.DOCUMENT, State.REVIEW):
        what = "ALERT LIST HIT" if hits == 1 else f"{hits} ALERT LIST HITS"
        return (
            f"[b white on red] {what} [/]: h resolves it (confirmed / not the same person);"
            " needed before any decision · Enter / a r f go on · Esc cancel"
        )
    if pipeline.state is State.REVIEW:
        unresolved = pipeline.face_match_unresolved()
        if unresolved:
            return (
                f"[b red]{unresolved[0].upper() + unresolved[1:]}[/]: compare both faces;"
                " a · r · f ask for your reason first · Esc cancel"
            )
    if pipeline.state is State.FACE:
        return face_instruction(capture)
    if pipeline.state is State.FINGERS and pipeline.pending_fingers:
        return finger_instruction(capture)
    return INSTRUCTIONS.get(pipeline.state, pipeline.state.value)


def face_instruction(capture: Capture) -> str:
    if capture.device_down("face_camera"):
        return (
            "[b red]Face camera disconnected[/]: check its cable. The capture goes on when"
            " it is back (n: no photo, with a reason)"
        )
    update = capture.face.update
    said = "look at the camera"
    if update is not None:
        said = "stay like that" if update.passed else update.instruction
    return f"Face: [b reverse] {said.upper()} [/] · auto when all pass (c: now · n: no photo)"


def finger_instruction(capture: Capture) -> str:
    pipeline = capture.pipeline
    if capture.device_down("fingerprint"):
        return (
            "[b red]Fingerprint scanner disconnected[/]: check its cable. The capture goes on"
            " when it is back (x: exception)"
        )
    position = pipeline.pending_fingers[0]
    name = FINGER_NAMES[position]
    poor = pipeline.poor_finger()
    if poor is None:
        return f"Fingerprints: place the {name} on the scanner (x: exception)"
    left = pipeline.tries_left(poor)
    if left > 0:
        return (
            f"Fingerprints: {name} again, try {poor.attempts + 1} of "
            f"{pipeline.policy.finger_attempts} (o: accept {poor.best_score}, with a reason"
            " · x: exception)"
        )
    return (
        f"Fingerprints: {name} still poor after {poor.attempts} tries: o accept"
        f" {poor.best_score} with a reason · x exception"
    )


def document_text(document: mrz.MRZResult | None) -> str:
    if document is None:
        return "[dim]No document yet.[/]"
    rows = [
        ("Document", f"{document.document_code} {document.format}"),
        ("Number", document.document_number),
        ("Issuing state", document.issuing_state),
        ("Surname", document.surname),
        ("Given names", document.given_names),
        ("Nationality", document.nationality),
        ("Born", str(document.birth_date or document.birth_date_raw)),
        ("Sex", document.sex or "?"),
        ("Expires", str(document.expiry_date or document.expiry_date_raw)),
    ]
    text = "\n".join(f"[b]{label:<13}[/] {value}" for label, value in rows)
    if document.corrections:
        text += "\n[yellow]Corrected:[/] " + "; ".join(
            f"{c.was}→{c.now} ({c.field})" for c in document.corrections
        )
    return text


def checks_text(pipeline: Pipeline) -> str:
    """The document's checks; from the fingers on, the fingers too."""
    traveller = pipeline.traveller
    panel = "\n".join(
        f"[green]✔[/] {c.message}" if c.ok else f"[b red]✘ FAIL {c.name}[/]: {c.message}"
        for c in traveller.checks
    )
    if pipeline.alert_check:
        panel += "\n" + hits_text(traveller.alerts)
    if pipeline.state is State.FINGERS and pipeline.policy.fingers:
        panel += f"\n\n[b]Fingers[/] · NFIQ 2 ≥ {pipeline.policy.finger_threshold}"
        for position in pipeline.policy.fingers:
            panel += "\n" + finger_line(position, traveller.fingers.get(position), pipeline)
    return panel


def review_text(pipeline: Pipeline) -> str:
    """Everything the decision rests on, before it is sealed."""
    t: Traveller = pipeline.traveller
    failed = [c.name for c in t.checks if not c.ok]
    lines = ["[b reverse] REVIEW before sealing [/]"]
    if t.document is not None:
        d = t.document
        lines.append(
            f"[b]Document[/] {d.document_code} {d.issuing_state} {d.document_number}"
            f" · {t.document_source}"
        )
        lines.append(f"[b]Name[/]     {d.surname}, {d.given_names}")
    verdict = f"[b red]failed:[/] {', '.join(failed)}" if failed else "[green]all ok[/]"
    lines.append(f"[b]Checks[/]   {verdict}")
    if pipeline.alert_check:
        lines.append(f"[b]Alerts[/]   {hits_text(t.alerts)}")
    if pipeline.policy.face:
        quality = t.face_quality
        if t.portrait is None:
            face = f"[yellow]no photo[/]: {quality.get('exception', '-')}"
        elif quality.get("manual"):
            failing = measures(quality.get("failing", []))
            face = "manual capture" + (f", failing: {failing}" if failing else "")
        else:
            face = "[green]captured automatically[/], every check passed"
        lines.append(f"[b]Face[/]     {face}")
        lines.append(f"[b]Match[/]    {match_line(pipeline)}")
    for position in pipeline.policy.fingers:
        lines.append("[b]Finger[/] " + finger_line(position, t.fingers.get(position), pipeline))
    if t.overrides:
        lines.append(f"[b]Overrides[/] {len(t.overrides)}:")
        lines += [f"  [yellow]{o['step']}[/]: {o['reason']}" for o in t.overrides]
    else:
        lines.append("[b]Overrides[/] none")
    lines.append(f"[b]Lane[/]     {pipeline.direction.value.upper()}")
    return "\n".join(lines)


def finger_line(position: int, capture: FingerCapture | None, pipeline: Pipeline) -> str:
    name = f"{FINGER_NAMES[position]:<11}"
    if capture is None:
        return f" {name} [dim]waiting[/]"
    if capture.exception is not None:
        return f" {name} [yellow]exception: {capture.exception.value}[/]"
    score = capture.best_score
    ok = score is not None and score >= pipeline.policy.finger_threshold
    mark = "[green]✔[/]" if ok else "[b red]✘[/]"
    tries = "1 try" if capture.attempts == 1 else f"{capture.attempts} tries"
    line = f" {name} {mark} {score} · {tries}"
    if capture.override is not None:
        line += f" [yellow]accepted: {capture.override}[/]"
    return line


def match_line(pipeline: Pipeline) -> str:
    """`face: match (0.62/0.40)`: the live face against the document's portrait."""
    t = pipeline.traveller
    if pipeline.face_reference() is None:
        return "face: [yellow]no reference[/] (no chip portrait)"
    if t.portrait is None:
        return "face: [yellow]not compared[/] (no live portrait)"
    if t.face_match is None:
        return "face: [dim]comparing…[/]"
    said = f"face: {match_text(t.face_match)}"
    if t.face_match.get("decision") == "match":
        return f"[green]{said}[/]"
    if t.face_match_reason:
        return f"[b yellow]{said}[/] · confirmed: {t.face_match_reason}"
    return f"[b red]{said}[/]"


REFERENCE_NAMES = {"chip": "chip portrait", "page": "data page photo"}


def reference_label(capture: Capture) -> str:
    reference = capture.reference
    if reference is None:
        return "document portrait"
    return REFERENCE_NAMES.get(reference.source, reference.source)


def reference_placeholder(capture: Capture) -> str:
    """What stands where the document's portrait goes while there is none to show."""
    reference = capture.reference
    if reference is None:
        return "no document portrait"
    if not reference.ready.is_set():
        return "preparing…"
    return "not readable" if reference.problem else "no picture"


def face_status(face: FaceStep, state: State) -> str:
    """Under the preview: the checks failing now, or how the face was captured."""
    if state is not State.FACE:
        return face.note
    update: FaceUpdate | None = face.update
    if update is None:
        return "[dim]assessing…[/]"
    if update.passed:
        return "[green]✔ every check passes[/]\nhold still…"
    lines = [f"[b red]✘[/] {measures([m])}" for m in update.failing[:4]]
    if len(update.failing) > 4:
        lines.append(f"  +{len(update.failing) - 4} more")
    return "\n".join(lines)


def age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.0f}h"


def link_text(status: Status | None, wide: bool) -> str:
    """The forwarder's link as it last reported it, and what waits in the outbox."""
    if status is None:
        return "outbox …"
    if status.link == "unknown":  # no forwarder has run yet
        link = "link [b yellow]not reported[/]" if wide else "link [b yellow]?[/]"
    else:
        colour = "green" if status.link == "up" else "b red"
        link = f"link [{colour}]{status.link}[/]"
        if wide and status.link_detail:
            link += f" ({status.link_detail})"
    waiting = f"{status.pending} queued"
    if status.pending and status.oldest_pending_age is not None:
        waiting += f", oldest {age(status.oldest_pending_age)}"
    return f"{link} · {waiting}"


def status_text(pipeline: Pipeline, health: dict[str, str], link: str, demo: bool) -> str:
    text = f" {pipeline.officer_id or '-'} │ {pipeline.direction.value.upper()} │ {link} │"
    for role, state in health.items():
        label = DEVICE_LABELS.get(role, role)
        text += f" {label}[green]●[/]" if state == "connected" else f" {label} [b red]✘ {state}[/]"
    if demo:
        text += " │ DEMO"
    return text


def mrz_feedback(text: str) -> str:
    """Typed MRZ lines, checked as they are typed: which field fails, right now."""
    if not text.strip():
        return ""
    try:
        result = mrz.parse(text, strict=True)
    except mrz.MRZError as exc:
        return f"[yellow]{exc}[/]"
    if result.valid:
        return f"[green]✔ {result.format}: all check digits hold[/]"
    failing = [name for name, ok in result.checks.items() if not ok]
    return f"[b red]✘ check digit fails: {', '.join(failing) or 'characters'}[/]"
