"""The capture of one traveller as a state machine (DESIGN.md, "Data flow").

    logged out -> waiting for a document -> document -> face -> fingers -> review -> sealed

The pipeline owns the order of steps, retries, officer overrides, exceptions and the
record body, and decides what a result means (a poor finger, a failed check). It does no
I/O: device events and quality results come in as method calls from the capture
controller (kiosk.lane.capture), sealing goes out through a `Sealer`. Observers are told
after every change; the UI observes and sends the officer's actions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import mrz
from kiosk import KioskError
from kiosk.lane.policy import Policy


class State(Enum):
    LOGGED_OUT = "logged out"
    WAITING = "waiting for a document"
    DOCUMENT = "document read"
    FACE = "face capture"
    FINGERS = "fingerprints"
    REVIEW = "review"


class Direction(Enum):
    ENTRY = "entry"
    EXIT = "exit"

    def other(self) -> Direction:
        return Direction.EXIT if self is Direction.ENTRY else Direction.ENTRY


class Decision(Enum):
    ADMIT = "admit"
    REFUSE = "refuse"
    REFER = "refer"  # to second-line inspection


class FingerException(Enum):
    """ANSI/NIST-style reasons a finger could not be captured, recorded as data."""

    AMPUTATED = "amputated"
    BANDAGED = "bandaged"
    UNABLE = "unable to print"


# ANSI/NIST-ITL finger position codes.
FINGER_NAMES = {
    1: "right thumb",
    2: "right index",
    3: "right middle",
    4: "right ring",
    5: "right little",
    6: "left thumb",
    7: "left index",
    8: "left middle",
    9: "left ring",
    10: "left little",
}


class PipelineError(KioskError):
    """An action that does not fit the current step (the UI shows the message)."""


class Sealer(Protocol):
    def __call__(
        self, record_type: str, officer_id: str, direction: str, body: dict[str, Any]
    ) -> str:
        """Seal durably and return the record id."""
        ...


@dataclass
class DocumentCheck:
    name: str
    ok: bool
    message: str


@dataclass
class FingerCapture:
    position: int
    attempts: int = 0
    best_score: int | None = None
    image: bytes | None = None  # encoded (PNG/WSQ) best image
    exception: FingerException | None = None
    override: str | None = None  # reason, when the officer accepted a poor finger


@dataclass
class AlertHit:
    """One alert-list hit on this traveller, and what the officer made of it."""

    list_id: str
    reference: str
    kind: str  # "document" or "person"
    action: str  # "refer", "deny" or "notify"
    score: int  # 0-100
    reasons: list[str]
    note: str  # the list's text for the officer
    entry: dict[str, str]  # the listed fields
    resolution: str | None = None  # "confirmed" or "not the same person"
    reason: str | None = None  # the officer's
    supervisor: str | None = None  # who approved admitting a confirmed deny

    def record(self) -> dict[str, Any]:
        return {
            "list_id": self.list_id,
            "reference": self.reference,
            "kind": self.kind,
            "action": self.action,
            "score": self.score,
            "reasons": list(self.reasons),
            "note": self.note,
            "entry": dict(self.entry),
            "resolution": self.resolution,
            "reason": self.reason,
            "supervisor": self.supervisor,
        }


@dataclass
class AlertCheck:
    """The document checked against the alert list: which list, whether it can be trusted
    as current (`stale` says why not; a missing list is stale), and every hit."""

    version: int | None
    entries: int
    stale: str | None
    hits: list[AlertHit]


HIT_RESOLUTIONS = ("confirmed", "not the same person")


@dataclass
class Traveller:
    """Everything captured for one traveller so far."""

    document: mrz.MRZResult | None = None
    document_source: str = ""  # "reader", "camera" or "manual"
    checks: list[DocumentCheck] = field(default_factory=list)
    portrait: bytes | None = None
    chip: dict[str, Any] | None = None  # kiosk.chip.ChipOutcome.record(), when a chip step ran
    chip_portrait: bytes | None = None  # DG2's image: the reference for the face comparison
    page_portrait: bytes | None = None  # the data page's photo, when the page was imaged
    face_match: dict[str, Any] | None = None  # the 1:1 comparison (kiosk.lane.quality.face_match)
    face_match_reason: str | None = None  # the officer's, when it was not a match
    alerts: AlertCheck | None = None  # the alert-list check, when it came back
    face_quality: dict[str, Any] = field(default_factory=dict)
    face_override: str | None = None
    face_attempts: int = 0
    fingers: dict[int, FingerCapture] = field(default_factory=dict)
    overrides: list[dict[str, str]] = field(default_factory=list)
    decision: Decision | None = None
    refusal_ground: tuple[str, str] | None = None


def document_checks(result: mrz.MRZResult, today: dt.date, minor_age: int) -> list[DocumentCheck]:
    """What an officer must see about a document at a glance."""
    checks = [
        DocumentCheck(
            "check digits",
            result.valid,
            "all check digits hold" if result.valid else "check digits FAILED: verify by hand",
        )
    ]
    if result.expiry_date is not None:
        expired = result.expiry_date < today
        checks.append(
            DocumentCheck(
                "expiry",
                not expired,
                f"expired on {result.expiry_date}"
                if expired
                else f"valid until {result.expiry_date}",
            )
        )
    else:
        checks.append(DocumentCheck("expiry", False, "expiry date unreadable"))
    if result.birth_date is not None:
        born = result.birth_date
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        checks.append(
            DocumentCheck(
                "age", age >= minor_age, f"age {age}" + (" (MINOR)" if age < minor_age else "")
            )
        )
    for warning in result.warnings:
        if "country code" in warning.message:
            checks.append(DocumentCheck(warning.field, False, warning.message))
    return checks


class Pipeline:
    """One lane's capture flow. Observers are called after every change."""

    def __init__(
        self,
        sealer: Sealer,
        *,
        policy: Policy | None = None,
        direction: Direction = Direction.ENTRY,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.sealer = sealer
        self.policy = policy or Policy()
        self.direction = direction
        self.today = today
        self.state = State.LOGGED_OUT
        self.officer_id: str | None = None
        self.traveller = Traveller()
        self.last_saved: Saved | None = None
        self.observers: list[Callable[[Pipeline], None]] = []
        self.alert_check = False  # the lane checks alert lists: decisions wait for it

    # -- helpers ---------------------------------------------------------------------
    def _changed(self) -> None:
        for observer in list(self.observers):
            observer(self)

    def _expect(self, *states: State) -> None:
        if self.state not in states:
            raise PipelineError(f"not possible during {self.state.value}")

    def _audit(self, event: str, **details: Any) -> str:
        return self._audit_as(self.officer_id or "-", event, **details)

    def _audit_as(self, officer_id: str, event: str, **details: Any) -> str:
        return self.sealer("audit", officer_id, self.direction.value, {"event": event, **details})

    @property
    def pending_fingers(self) -> list[int]:
        done = self.traveller.fingers
        return [
            position
            for position in self.policy.fingers
            if not self._finger_done(done.get(position))
        ]

    def _finger_done(self, capture: FingerCapture | None) -> bool:
        """Done: a good print, an exception, or a poor one the officer accepted with a
        reason. The same rule before and after the last try: a poor print is never taken
        without a reason, however many tries it had."""
        if capture is None:
            return False
        if capture.exception is not None or capture.override is not None:
            return True
        return capture.best_score is not None and capture.best_score >= self.policy.finger_threshold

    def poor_finger(self) -> FingerCapture | None:
        """The asked-for finger when its best try so far is poor: the officer may accept
        it with a reason (or try again while tries are left, or record an exception)."""
        if self.state is not State.FINGERS or not self.pending_fingers:
            return None
        capture = self.traveller.fingers.get(self.pending_fingers[0])
        if capture is None or capture.best_score is None:
            return None
        return capture

    def tries_left(self, capture: FingerCapture | None) -> int:
        return self.policy.finger_attempts - (capture.attempts if capture else 0)

    # -- officer session -------------------------------------------------------------
    def login(self, officer_id: str) -> None:
        self._expect(State.LOGGED_OUT)
        self.officer_id = officer_id
        self.state = State.WAITING
        self._audit("login")
        self._changed()

    def logout(self, why: str = "logout") -> None:
        """End the session; a traveller in progress is cancelled (and audited) first."""
        if self.state not in (State.LOGGED_OUT, State.WAITING):
            self.cancel(why)
        if self.officer_id is not None:
            self._audit("logout")
        self.officer_id = None
        self.state = State.LOGGED_OUT
        self._changed()

    def toggle_direction(self) -> None:
        self._expect(State.WAITING)
        self.direction = self.direction.other()
        self._audit("direction", direction=self.direction.value)
        self._changed()

    def device_fault(self, device: str, reason: str) -> None:
        self._audit("device fault", device=device, reason=reason)

    def login_failed(self, attempted_id: str, reason: str, locked: bool) -> None:
        """A refused login, and a lockout, are audit events. The id as typed goes in the
        encrypted body only (it may hold a PIN typed into the wrong field), never in the
        record's clear header."""
        self._audit_as("-", "login failed", attempted_id=attempted_id, reason=reason)
        if locked:
            self._audit_as("-", "lockout", attempted_id=attempted_id, reason=reason)

    # -- capture steps ---------------------------------------------------------------
    def document_read(self, lines: Sequence[str], source: str) -> mrz.MRZResult:
        """MRZ lines from the serial reader, the camera, or typed by the officer.

        Malformed text raises `mrz.MRZError` and changes nothing.
        """
        self._expect(State.WAITING, State.DOCUMENT)
        result = mrz.parse(lines, strict=source == "reader")
        self.traveller = Traveller(document=result, document_source=source)
        self.traveller.checks = document_checks(result, self.today(), self.policy.minor_age)
        self.state = State.DOCUMENT
        self._changed()
        return result

    def confirm_document(self, override_reason: str | None = None) -> None:
        """Go on to the face; a failed check needs the officer's reason."""
        self._expect(State.DOCUMENT)
        failed = [c.name for c in self.traveller.checks if not c.ok]
        if failed and not override_reason:
            raise PipelineError(f"{', '.join(failed)} failed: give an override reason to go on")
        if failed and override_reason:
            self._override("document", override_reason, checks=", ".join(failed))
        self._after_face()

    def _after_face(self) -> None:
        if self.state is State.DOCUMENT and self.policy.face:
            self.state = State.FACE
        elif self.policy.fingers:
            self.state = State.FINGERS
        else:
            self.state = State.REVIEW
        self._changed()

    def face_captured(
        self, portrait: bytes, quality: dict[str, Any], passed: bool, manual_reason: str | None
    ) -> None:
        """A portrait from auto-capture (passed) or the officer's manual capture."""
        self._expect(State.FACE)
        self.traveller.face_attempts += 1
        if not passed and not manual_reason:
            if self.traveller.face_attempts >= self.policy.face_attempts:
                raise PipelineError("face quality still failing: capture manually with a reason")
            self._changed()
            return
        self.traveller.portrait = portrait
        self.traveller.face_quality = quality
        if not passed and manual_reason:
            self.traveller.face_override = manual_reason
            self._override("face", manual_reason, failing=", ".join(quality.get("failing", [])))
        self._after_face()

    def face_exception(self, reason: str) -> None:
        """No portrait for this traveller (camera out of order, cannot be photographed):
        the officer's reason is recorded as an override and the capture goes on."""
        self._expect(State.FACE)
        if not reason:
            raise PipelineError("going on without a portrait needs a reason")
        self.traveller.portrait = None
        self.traveller.face_quality = {"capture": "none", "exception": reason}
        self.traveller.face_override = reason
        self._override("face", reason, portrait="none")
        self._after_face()

    def finger_captured(self, position: int, image: bytes, score: int) -> FingerCapture:
        """One attempt at a finger; the best attempt is kept."""
        self._expect(State.FINGERS)
        capture = self.traveller.fingers.setdefault(position, FingerCapture(position))
        capture.attempts += 1
        if capture.best_score is None or score > capture.best_score:
            capture.best_score, capture.image = score, image
        self._after_finger()
        return capture

    def finger_exception(self, position: int, reason: FingerException) -> None:
        self._expect(State.FINGERS)
        capture = self.traveller.fingers.setdefault(position, FingerCapture(position))
        capture.exception = reason
        self._after_finger()

    def accept_poor_finger(self, position: int, reason: str) -> None:
        self._expect(State.FINGERS)
        capture = self.traveller.fingers.get(position)
        if capture is None or capture.best_score is None:
            raise PipelineError(f"no capture of the {FINGER_NAMES[position]} to accept")
        capture.override = reason
        self._override("finger", reason, position=str(position))
        self._after_finger()

    def _after_finger(self) -> None:
        if not self.pending_fingers:
            self.state = State.REVIEW
        self._changed()

    def decide(self, decision: Decision, ground: tuple[str, str] | None = None) -> Saved:
        """Seal the record (the commit point) and get ready for the next traveller. A
        refusal states its ground, one of the policy's list (Schengen: Annex V part B)."""
        self._expect(State.REVIEW)
        if self.alert_check and self.traveller.alerts is None:
            raise PipelineError("the alert list check has not come back yet: a moment")
        unresolved_hits = self.unresolved_hits()
        if unresolved_hits:
            raise PipelineError(
                f"{len(unresolved_hits)} alert hit(s) to resolve first: confirmed or not the"
                " same person, with a reason"
            )
        if decision is Decision.ADMIT and self.deny_needs_supervisor():
            raise PipelineError("a confirmed deny hit: admitting needs a supervisor's PIN")
        if self.face_match_pending:
            raise PipelineError("the face comparison is still running: decide in a moment")
        unresolved = self.face_match_unresolved()
        if unresolved:
            raise PipelineError(f"{unresolved}: confirm with a reason before deciding")
        if decision is Decision.REFUSE and self.policy.refusal_grounds:
            if ground not in self.policy.refusal_grounds:
                raise PipelineError("a refusal needs one of the configured grounds")
        elif ground is not None:
            raise PipelineError("only a refusal has a ground")
        self.traveller.decision = decision
        self.traveller.refusal_ground = ground
        assert self.officer_id is not None
        record_id = self.sealer(
            "traveller", self.officer_id, self.direction.value, self.record_body()
        )
        saved = Saved(record_id, self.traveller.document, decision, self.direction, ground)
        self.last_saved = saved
        self.traveller = Traveller()
        self.state = State.WAITING
        self._changed()
        return saved

    def cancel(self, why: str = "cancelled by the officer") -> None:
        """Drop the traveller in progress: no traveller record, but an audit event that
        says at which step, why, and which document it was (in the encrypted body)."""
        if self.state in (State.LOGGED_OUT, State.WAITING):
            return
        document = self.traveller.document
        self._audit(
            "cancelled",
            step=self.state.name.lower(),
            reason=why,
            document=document_summary(document) if document else "",
        )
        self.traveller = Traveller()
        self.state = State.WAITING
        self._changed()

    def add_checks(self, checks: Sequence[DocumentCheck]) -> None:
        """Checks that come after the document was read (the chip, alert lists: see
        `kiosk.lane.capture.AfterDocument`); a failed one needs an override like any."""
        self._expect(State.DOCUMENT)
        self.traveller.checks.extend(checks)
        self._changed()

    def chip_read(self, record: dict[str, Any], portrait: bytes | None) -> None:
        """The chip step's result for the record, and its portrait (see `kiosk.lane.chip`)."""
        self._expect(State.DOCUMENT)
        self.traveller.chip = record
        self.traveller.chip_portrait = portrait

    def page_imaged(self, portrait: bytes) -> None:
        """The photo cut from an image of the data page (a document camera or page
        scanner): the face reference when the chip gave none."""
        self._expect(State.DOCUMENT)
        self.traveller.page_portrait = portrait
        self._changed()

    # -- alert lists ---------------------------------------------------------------------
    def alerts_checked(self, check: AlertCheck) -> None:
        """The alert list's answer for this traveller's document (kiosk.lane.alerts), at
        whichever step it arrives. A stale or missing list is recorded on the traveller."""
        self._expect(State.DOCUMENT, State.FACE, State.FINGERS, State.REVIEW)
        self.traveller.alerts = check
        self._changed()

    def unresolved_hits(self) -> list[AlertHit]:
        check = self.traveller.alerts
        return [h for h in check.hits if h.resolution is None] if check else []

    def resolve_hit(self, hit: AlertHit, resolution: str, reason: str) -> None:
        """The officer's verdict on one hit, with a reason (audited at once)."""
        self._expect(State.DOCUMENT, State.FACE, State.FINGERS, State.REVIEW)
        check = self.traveller.alerts
        if check is None or not any(h is hit for h in check.hits):
            raise PipelineError("no such alert hit on this traveller")
        if resolution not in HIT_RESOLUTIONS:
            raise PipelineError(f"a hit is {' or '.join(HIT_RESOLUTIONS)}, not {resolution!r}")
        if not reason:
            raise PipelineError("resolving an alert hit needs a reason")
        hit.resolution, hit.reason = resolution, reason
        self._audit(
            "alert hit",
            list_id=hit.list_id,
            reference=hit.reference,
            action=hit.action,
            resolution=resolution,
            reason=reason,
        )
        self._changed()

    def deny_needs_supervisor(self) -> bool:
        """A `deny` hit the officer confirmed: admitting needs a supervisor's approval."""
        check = self.traveller.alerts
        return bool(check) and any(
            h.action == "deny" and h.resolution == "confirmed" and h.supervisor is None
            for h in (check.hits if check else [])
        )

    def supervisor_approved(self, supervisor_id: str) -> None:
        """A supervisor (technician role, PIN checked by kiosk.lane.alerts) approves
        admitting despite the confirmed deny hits."""
        self._expect(State.REVIEW)
        if not self.deny_needs_supervisor():
            raise PipelineError("no confirmed deny hit needs a supervisor")
        check = self.traveller.alerts
        assert check is not None
        for hit in check.hits:
            if hit.action == "deny" and hit.resolution == "confirmed":
                hit.supervisor = supervisor_id
        self._audit("supervisor approval", supervisor=supervisor_id, decision="admit")
        self._changed()

    def supervisor_refused(self, attempted_id: str, reason: str) -> None:
        self._audit("supervisor refused", attempted_id=attempted_id, reason=reason)

    def _alerts_record(self) -> dict[str, Any] | None:
        check = self.traveller.alerts
        if check is None:
            return None
        return {
            "list_version": check.version,
            "entries": check.entries,
            "stale": check.stale,
            "hits": [hit.record() for hit in check.hits],
        }

    # -- the face against the document's portrait ----------------------------------------
    def face_reference(self) -> tuple[str, bytes] | None:
        """The portrait the live face is compared with: the chip's (DG2), else the data
        page's photo when the page was imaged; None: no reference."""
        t = self.traveller
        if t.chip_portrait:
            return "chip", t.chip_portrait
        if t.page_portrait:
            return "page", t.page_portrait
        return None

    @property
    def face_match_pending(self) -> bool:
        """A live portrait and a reference are there; the comparison is not in yet."""
        t = self.traveller
        return t.portrait is not None and t.face_match is None and self.face_reference() is not None

    def face_compared(self, result: dict[str, Any]) -> None:
        """The comparison of the captured portrait with the reference (from the capture
        controller, which runs it off the loop): "match", "no match", "no face" or "not
        compared" (the comparison failed), with the score and threshold in thousandths."""
        self._expect(State.FACE, State.FINGERS, State.REVIEW)
        if not self.face_match_pending:
            raise PipelineError("no face comparison is waited for")
        self.traveller.face_match = dict(result)
        self._changed()

    def face_match_unresolved(self) -> str | None:
        """What the officer must confirm with a reason before deciding: anything but a
        match, once compared (None: nothing to confirm)."""
        t = self.traveller
        found = t.face_match
        if found is None or t.face_match_reason or found.get("decision") == "match":
            return None
        decision = str(found.get("decision", ""))
        if decision == "no match":
            return "the face does NOT match the document portrait"
        why = found.get("reason") or decision
        return f"the face was not verified against the document portrait ({why})"

    def confirm_face(self, reason: str) -> None:
        """The officer has looked at both faces: their reason goes into the record (the
        comparison's result stays as it was)."""
        self._expect(State.FACE, State.FINGERS, State.REVIEW)
        unresolved = self.face_match_unresolved()
        if unresolved is None:
            raise PipelineError("no face comparison to confirm")
        if not reason:
            raise PipelineError("confirming the face needs a reason")
        self.traveller.face_match_reason = reason
        decision = str((self.traveller.face_match or {}).get("decision", ""))
        self._override("face match", reason, decision=decision)
        self._changed()

    def _face_match_record(self) -> dict[str, Any]:
        t = self.traveller
        reference = self.face_reference()
        if reference is None:
            return {"reference": "none", "decision": "no reference"}
        if t.portrait is None:
            return {
                "reference": reference[0],
                "decision": "not compared",
                "reason": "no live portrait",
            }
        found = t.face_match or {"decision": "not compared", "reason": "comparison not finished"}
        return {"reference": reference[0], **found, "officer_reason": t.face_match_reason}

    def _override(self, step: str, reason: str, **details: str) -> None:
        self.traveller.overrides.append({"step": step, "reason": reason, **details})
        self._audit("override", step=step, reason=reason, **details)

    def record_body(self) -> dict[str, Any]:
        """The encrypted body of the traveller record (docs/record.cddl)."""
        t = self.traveller
        document = t.document.to_dict() if t.document else None
        return {
            "document": document,
            "document_source": t.document_source,
            "document_checks": {c.name: c.ok for c in t.checks},
            "chip": t.chip,
            "alerts": self._alerts_record(),
            "portrait": t.portrait,
            "face_quality": t.face_quality,
            "face_match": self._face_match_record(),
            "fingers": [
                {
                    "position": c.position,
                    "image": c.image,
                    "score": c.best_score,
                    "attempts": c.attempts,
                    "exception": c.exception.value if c.exception else None,
                    "override": c.override,
                }
                for c in sorted(t.fingers.values(), key=lambda c: c.position)
            ],
            "overrides": t.overrides,
            "decision": t.decision.value if t.decision else None,
            "refusal_ground": (
                {"code": t.refusal_ground[0], "text": t.refusal_ground[1]}
                if t.refusal_ground
                else None
            ),
        }


@dataclass(frozen=True)
class Saved:
    """What the officer is shown after sealing: who, which document, what was decided."""

    record_id: str  # the dashed UUID, as `kiosk outbox list` and `kiosk verify` print it
    document: mrz.MRZResult | None
    decision: Decision
    direction: Direction
    ground: tuple[str, str] | None = None

    def line(self) -> str:
        """saved: ERIKSSON Anna Maria, P UTO L898902C3, ADMITTED (entry) · record 1f0e…"""
        decided = {"admit": "ADMITTED", "refuse": "REFUSED", "refer": "REFERRED"}
        what = decided[self.decision.value]
        if self.ground:
            what += f" on ground {self.ground[0]}"
        who = document_summary(self.document) if self.document else "no document"
        return f"saved: {who}, {what} ({self.direction.value}) · record {self.record_id[:8]}…"


def document_summary(document: mrz.MRZResult) -> str:
    """SURNAME Given Names, P UTO L898902C3: enough to know who it was at a glance."""
    given = " ".join(part.capitalize() for part in document.given_names.split())
    name = f"{document.surname} {given}".strip() or "(no name)"
    return f"{name}, {document.document_code} {document.issuing_state} {document.document_number}"
