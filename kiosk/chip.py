"""Chip reading for the application: keys from the printed MRZ, the read with its retries, and
what the officer and the record get (issue #17).

`emrtd` does the protocol over a reader's `transceive`; this module is where `mrz`, `drivers`
and `emrtd` meet: the CLI (`kiosk chip read`) uses it today, the lane's capture controller
plugs it in next.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emrtd import AccessDenied, CardRemoved, EMRTDError
from emrtd.keys import AccessKey, MRZKey
from emrtd.reader import ChipReport, read_chip
from emrtd.trust import TrustStore

#: Reads tried when the passport leaves the reader mid-read.
ATTEMPTS = 3
GENUINE, NOT_GENUINE, NOT_READ, NO_CHIP = "genuine", "NOT GENUINE", "not read", "no chip"
DG1_FIELDS = (
    "document_code", "issuing_state", "document_number", "nationality", "birth_date",
    "sex", "expiry_date", "surname", "given_names", "optional_data",
)  # fmt: skip


def mrz_key(printed: Any) -> MRZKey:
    """The chip's access key from a parsed MRZ (`mrz.parse` result); EMRTDError if unusable."""
    if not printed.checks.get("document_number", False):
        raise EMRTDError("the document number fails its check digit: retype the MRZ")
    if not (printed.birth_date_raw and printed.expiry_date_raw):
        raise EMRTDError("birth and expiry dates are needed for the chip key")
    return MRZKey(printed.document_number, printed.birth_date_raw, printed.expiry_date_raw)


def dg1_differences(printed: Any, chip_lines: tuple[str, ...]) -> list[str]:
    """Fields where the chip's MRZ differs from the printed one (empty: identical)."""
    import mrz

    try:
        chip = mrz.parse(list(chip_lines), strict=True)
    except mrz.MRZError as exc:
        return [f"chip DG1 does not parse: {exc}"]
    a, b = printed.to_dict(), chip.to_dict()
    return [f"{f}: printed {a[f]!r}, chip {b[f]!r}" for f in DG1_FIELDS if a.get(f) != b.get(f)]


@dataclass
class ChipOutcome:
    """What one attempt to read a document's chip came to."""

    state: str  # genuine | NOT GENUINE | not read | no chip
    reason: str = ""
    report: ChipReport | None = None
    differences: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        """The officer's one line: `chip: genuine`, `chip: NOT GENUINE (reason)`, ..."""
        if self.state == NO_CHIP:
            return NO_CHIP
        return f"chip: {self.state}" + (f" ({self.reason})" if self.reason else "")

    def record(self) -> dict[str, Any]:
        """For the record body: verdict, DG1, DG2's image, the SOD, every check's result."""
        body: dict[str, Any] = {"verdict": self.state, "reason": self.reason}
        if self.report is not None:
            report = self.report
            body.update(
                access=report.access,
                dg1=list(report.dg1_lines),
                sod=report.files.get("EF.SOD", b""),
                checks=[c.to_dict() for c in report.checks],
                differences=list(self.differences),
            )
            if report.faces:
                body["portrait"] = {"mime": report.faces[0].mime, "data": report.faces[0].data}
        return body

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = self.report.to_dict() if self.report else {}
        result.update(verdict=self.state, reason=self.reason)
        if self.report is not None and self.report.dg1_lines:
            result["dg1_differences"] = self.differences
        return result


def read_document(
    reader: Any,
    key: AccessKey,
    *,
    trust: TrustStore,
    printed: Any = None,
    timeout: float = 30.0,
    on_retry: Callable[[str], None] = lambda message: None,
) -> ChipOutcome:
    """Wait for the card on a `drivers.pcsc.PCSCReader`, read it, retry when it is pulled away."""
    from drivers import DeviceTimeout

    reason = ""
    try:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                reader.wait_for_card(timeout)
            except DeviceTimeout as exc:
                return ChipOutcome(NO_CHIP, str(exc))
            try:
                report = read_chip(reader.transceive, key, trust=trust)
            except CardRemoved as exc:
                reason = str(exc)
                on_retry(f"{CardRemoved()} (attempt {attempt} of {ATTEMPTS})")
                reader.disconnect()
                reader.wait_for_removal(2.0)
                continue
            except (AccessDenied, EMRTDError) as exc:
                return ChipOutcome(NOT_READ, str(exc))
            differences = (
                dg1_differences(printed, report.dg1_lines)
                if printed is not None and report.dg1_lines
                else []
            )
            state = GENUINE if report.genuine else NOT_GENUINE
            return ChipOutcome(state, report.reason, report, differences)
    finally:
        reader.disconnect()
    return ChipOutcome(NOT_READ, reason)


def encode_for_json(body: dict[str, Any]) -> dict[str, Any]:
    """Bytes as base64, for printing a record body."""
    return {k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in body.items()}
