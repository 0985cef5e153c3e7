"""The lane's chip step (issue #17): after the MRZ is read, the passport's chip is read with
the MRZ's keys, off the event loop, and its verdict becomes document checks.

`kiosk.chip.read_document` does the read; this module turns its `ChipOutcome` into what the
officer sees (one check line, plus one for DG1 differing from the printed MRZ) and what the
pipeline keeps (the record's chip section, the chip portrait as the face reference).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import mrz
from kiosk.config import Config
from kiosk.lane.devices import DeviceSpec
from kiosk.lane.pipeline import DocumentCheck, Pipeline, State

#: Seconds to wait for the chip once the MRZ is read: the passport lies on the reader by then.
CARD_WAIT = 5.0


def outcome_checks(outcome: Any) -> list[DocumentCheck]:
    """`chip` passes when genuine or when the document has no chip (shown, not a failure);
    NOT GENUINE and not read need the officer's override like any failed check."""
    from kiosk.chip import GENUINE, NO_CHIP

    checks = [DocumentCheck("chip", outcome.state in (GENUINE, NO_CHIP), outcome.line)]
    if outcome.differences:
        checks.append(
            DocumentCheck(
                "chip DG1",
                False,
                "chip DG1 differs from the printed MRZ: " + "; ".join(outcome.differences),
            )
        )
    return checks


class ChipStep:
    """An `AfterDocument` step: `reader()` gives the PC/SC reader (a fresh one per read: the
    hub's own instance watches the reader's health in its thread), `trust()` the CSCA store."""

    def __init__(
        self,
        pipeline: Pipeline,
        reader: Callable[[], Any],
        trust: Callable[[], Any],
        timeout: float = CARD_WAIT,
    ) -> None:
        self.pipeline = pipeline
        self.reader = reader
        self.trust = trust
        self.timeout = timeout

    def read(self, document: mrz.MRZResult) -> Any:
        """The blocking read (in a thread): every failure becomes an outcome, never raises."""
        from drivers import DeviceError
        from emrtd import EMRTDError
        from kiosk.chip import NOT_READ, ChipOutcome, mrz_key, read_document

        try:
            key = mrz_key(document)
        except EMRTDError as exc:
            return ChipOutcome(NOT_READ, str(exc))
        try:
            return read_document(
                self.reader(), key, trust=self.trust(), printed=document, timeout=self.timeout
            )
        except (DeviceError, OSError, EMRTDError) as exc:
            return ChipOutcome(NOT_READ, str(exc) or type(exc).__name__)

    async def __call__(self, document: mrz.MRZResult) -> list[DocumentCheck]:
        outcome = await asyncio.to_thread(self.read, document)
        pipeline = self.pipeline
        if pipeline.state is State.DOCUMENT and pipeline.traveller.document is document:
            faces = outcome.report.faces if outcome.report is not None else []
            pipeline.chip_read(outcome.record(), faces[0].data if faces else None)
        return outcome_checks(outcome)


def chip_step(config: Config, pipeline: Pipeline, spec: DeviceSpec) -> ChipStep:
    """The step for the lane's [devices.chip] (driver "pcsc", port = the reader's PC/SC
    name): the chip is read after every MRZ, checked against the CSCA trust store in
    STATE_DIR/csca (`kiosk provision csca`)."""

    def reader() -> Any:
        from drivers.registry import driver_class

        return driver_class(spec.driver)(spec.port)

    def trust() -> Any:
        from emrtd.trust import TrustStore

        directory = config.state_dir / "csca"
        return TrustStore.load(directory) if directory.is_dir() else TrustStore()

    return ChipStep(pipeline, reader, trust, CARD_WAIT)
