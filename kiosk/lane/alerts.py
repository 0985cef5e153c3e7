"""The lane's alert-list step (issue #18): every document is checked against the kiosk's
local alert list the moment it is read, off the event loop. The list's state (its
version, stale or missing) and every hit go to the pipeline, which decides what the
officer must do about them: mark each hit `confirmed` or `not the same person` with a
reason, and, for a confirmed `deny`, a supervisor's PIN before an admission.

`kiosk.alerting` holds the glue to the `alerts` library (settings, MRZ -> traveller).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
from pathlib import Path
from typing import Any

import mrz
from kiosk.lane.pipeline import AlertCheck, AlertHit, DocumentCheck, Pipeline, PipelineError, State
from kiosk.officers import LoginError, OfficerStore, Role


def hit_from(hit: Any) -> AlertHit:
    """An `alerts.Hit` as the lane keeps it (whole-number score: records carry no floats)."""
    entry = hit.entry
    return AlertHit(
        list_id=entry.list_id,
        reference=entry.reference,
        kind=hit.kind,
        action=entry.action,
        score=round(hit.score),
        reasons=list(hit.reasons),
        note=entry.note,
        entry={k: v for k, v in entry.to_dict().items() if v},
    )


class AlertStep:
    """An `AfterDocument` step: the store is opened (and the matcher built) once, in the
    first check's thread, and reused; checks take milliseconds, but SQLite I/O stays off
    the loop."""

    def __init__(
        self, pipeline: Pipeline, store: Path, thresholds: Any, max_age: dt.timedelta
    ) -> None:
        self.pipeline = pipeline
        self.store_path = store
        self.thresholds = thresholds
        self.max_age = max_age
        self._matcher: Any = None
        self._lock = threading.Lock()
        pipeline.alert_check = True  # every traveller's decision waits for the check

    def check(self, document: mrz.MRZResult) -> AlertCheck:
        """The blocking check (in a thread): an unusable store is a stale list, never raises."""
        from alerts import AlertsError, Matcher, Store
        from kiosk.alerting import traveller_from_mrz

        try:
            with self._lock:
                if self._matcher is None:
                    self._matcher = Matcher(Store(self.store_path), self.thresholds)
                status = self._matcher.store.status(self.max_age)
                hits = []
                if status.version is not None:
                    hits = self._matcher.check(traveller_from_mrz(document))
        except (AlertsError, sqlite3.Error, OSError) as exc:
            self._matcher = None  # opened again for the next traveller
            return AlertCheck(None, 0, f"the alert list cannot be read: {exc}", [])
        return AlertCheck(status.version, status.entries, status.stale, [hit_from(h) for h in hits])

    async def __call__(self, document: mrz.MRZResult) -> list[DocumentCheck]:
        result = await asyncio.to_thread(self.check, document)
        pipeline = self.pipeline
        if pipeline.state is not State.LOGGED_OUT and pipeline.traveller.document is document:
            pipeline.alerts_checked(result)
        return []  # hits are resolved one by one (`Pipeline.resolve_hit`), not overridden


def alert_step(config: Any, pipeline: Pipeline) -> AlertStep:
    """The step for this kiosk's list ([alerts] store, thresholds, max_age_hours)."""
    from kiosk.alerting import settings

    opts = settings(config)
    return AlertStep(pipeline, opts.store, opts.thresholds, opts.max_age)


async def supervisor_approval(
    officers: OfficerStore, pipeline: Pipeline, officer_id: str, pin: str
) -> str:
    """A supervisor (technician role) approves admitting a traveller with a confirmed
    `deny` hit. The PIN is checked off the loop and counts like a login's (lockouts
    included); a refusal is audited and raises PipelineError with the reason."""
    try:
        officer = await asyncio.to_thread(officers.login, officer_id, pin)
    except LoginError as exc:
        pipeline.supervisor_refused(officer_id[:64], exc.event.value)
        raise PipelineError(f"not approved: {exc}") from None
    if officer.role is not Role.TECHNICIAN:
        pipeline.supervisor_refused(officer_id[:64], "not a supervisor (technician role)")
        raise PipelineError(f"not approved: {officer_id} is not a supervisor (technician role)")
    pipeline.supervisor_approved(officer.officer_id)
    return officer.officer_id
