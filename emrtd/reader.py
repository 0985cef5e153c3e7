"""One whole read of a passport chip: access control, the data groups, every check.

`read_chip` is what the application calls with a `transceive` and the keys from the printed
MRZ (or a CAN); it returns a `ChipReport` whose `verdict` is what the officer sees.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emrtd import (
    AccessDenied,
    CardError,
    EMRTDError,
    MalformedData,
    NotSupported,
    active_auth,
    bac,
    chip_auth,
    pace,
    passive_auth,
    security_infos,
)
from emrtd.checks import FAIL, PASS, SKIPPED, Check
from emrtd.keys import AccessKey, MRZKey
from emrtd.lds import DATA_GROUPS, EF_COM, EF_SOD
from emrtd.lds.com import COMFile
from emrtd.lds.details import DG11File, DG12File
from emrtd.lds.dg1 import DG1File
from emrtd.lds.dg2 import DG2File, FaceImage
from emrtd.lds.dg7 import DG7File
from emrtd.lds.dg14 import DG14File
from emrtd.lds.dg15 import DG15File
from emrtd.lds.sod import SODFile
from emrtd.service import PassportService, Transceive
from emrtd.trust import TrustStore

#: Data groups read by default: the ones a border check uses and no EAC protects.
DEFAULT_GROUPS = (1, 2, 7, 11, 12, 14, 15)

GENUINE = "genuine"
NOT_GENUINE = "NOT GENUINE"


@dataclass
class ChipReport:
    access: str = ""  # "PACE (...)" | "BAC"
    files: dict[str, bytes] = field(default_factory=dict)  # "DG1", "EF.SOD", ... -> raw
    dg1_lines: tuple[str, ...] = ()
    faces: tuple[FaceImage, ...] = ()
    checks: list[Check] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    apdus: int = 0
    card_ms: float = 0.0
    problems: list[str] = field(default_factory=list)  # data groups that did not parse
    details: dict[str, Any] = field(default_factory=dict)  # DG11/DG12 fields, DG7 images

    @property
    def genuine(self) -> bool:
        names = {c.name for c in self.checks if c.status == PASS}
        return (
            not any(c.failed for c in self.checks)
            and "sod signature" in names
            and "ds chain" in names
        )

    @property
    def verdict(self) -> str:
        return GENUINE if self.genuine else NOT_GENUINE

    @property
    def reason(self) -> str:
        """Why it is not genuine: the first failed check (or the missing one)."""
        for check in self.checks:
            if check.failed:
                return f"{check.name}: {check.reason}"
        if self.genuine:
            return ""
        return "passive authentication did not complete"

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "access": self.access,
            "data_groups": sorted(self.files, key=_file_order),
            "dg1_lines": list(self.dg1_lines),
            "faces": [
                {"mime": f.mime, "width": f.width, "height": f.height, "bytes": len(f.data)}
                for f in self.faces
            ],
            "checks": [c.to_dict() for c in self.checks],
            "problems": list(self.problems),
            "details": {k: v for k, v in self.details.items() if k != "signatures"},
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "apdus": self.apdus,
            "card_ms": round(self.card_ms, 1),
        }


def _file_order(name: str) -> tuple[int, str]:
    """DG1 ... DG16 by number, then the EF files by name."""
    return (int(name[2:]), "") if name.startswith("DG") else (99, name)


class _Clock:
    def __init__(self, report: ChipReport) -> None:
        self.report = report
        self.start = time.perf_counter()
        self.last = self.start

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.report.timings_ms[name] = (now - self.last) * 1000
        self.last = now


def open_session(
    service: PassportService, key: AccessKey, report: ChipReport
) -> security_infos.SecurityInfos | None:
    """PACE when EF.CardAccess offers a PACE we support, else BAC; then the application."""
    infos = None
    card_access = service.read_card_access()
    if card_access is not None:
        infos = security_infos.parse(card_access, "EF.CardAccess")
        report.files["EF.CardAccess"] = card_access
    offered = [p for p in infos.pace if p.supported] if infos else []
    if offered:
        choice = offered[0]
        service.channel = pace.authenticate(service.raw, key, choice)
        report.access = f"PACE {choice.curve.name} {choice.suite.name}"
        service.select_applet()
        return infos
    if not isinstance(key, MRZKey):
        raise AccessDenied("this chip has no PACE we can use, and BAC needs the MRZ, not a CAN")
    try:
        service.select_applet()
    except CardError as exc:
        raise EMRTDError(f"no eMRTD application on this card ({exc})") from None
    service.channel = bac.authenticate(service.raw, key)
    report.access = "BAC"
    return infos


def read_chip(
    transceive: Transceive,
    key: AccessKey,
    *,
    trust: TrustStore | None,
    groups: tuple[int, ...] = DEFAULT_GROUPS,
    at: datetime | None = None,
    chunk: int | None = None,
) -> ChipReport:
    """Read and authenticate. Raises AccessDenied, CardRemoved or EMRTDError when the chip
    cannot be read at all; authentication failures are checks in the report."""
    report = ChipReport()
    service = (
        PassportService(transceive) if chunk is None else PassportService(transceive, chunk=chunk)
    )
    clock = _Clock(report)
    open_session(service, key, report)
    clock.lap("access")

    com = COMFile.parse(_read(service, report, EF_COM.name, EF_COM))
    # DG14 and DG15 carry the chip's keys: always read when present, whatever `groups` says,
    # or a cloned chip would pass as "chip authentication not offered".
    wanted = (*groups, *(n for n in (14, 15) if n not in groups))
    present = [n for n in wanted if n in com.data_groups]
    sod_raw = _read(service, report, EF_SOD.name, EF_SOD)
    clock.lap("com_sod")

    dg14 = None
    if 14 in present:
        raw14 = _read(service, report, "DG14", DATA_GROUPS[14])
        try:
            dg14 = DG14File.parse(raw14)
        except (MalformedData, NotSupported) as exc:
            report.problems.append(str(exc))
        if dg14 is not None:
            report.checks.append(chip_auth.authenticate(service, dg14.infos))
        clock.lap("chip_auth")
    else:
        report.checks.append(Check(chip_auth.NAME, SKIPPED, "not offered (no DG14)"))

    for number in present:
        if number == 14:
            continue
        ref = DATA_GROUPS[number]
        try:
            raw = _read(service, report, ref.name, ref)
        except CardError as exc:
            report.problems.append(f"{ref.name} not read: {exc}")
            continue
        try:
            if number == 1:
                report.dg1_lines = DG1File.parse(raw).lines
            elif number == 2:
                report.faces = DG2File.parse(raw).faces
            elif number == 7:
                report.details["signatures"] = list(DG7File.parse(raw).images)
                report.details["signature_images"] = len(report.details["signatures"])
            elif number == 11:
                report.details["dg11"] = DG11File.parse(raw).fields
            elif number == 12:
                dg12 = DG12File.parse(raw)
                report.details["dg12"] = dg12.fields
                if dg12.images:
                    report.details["dg12_images"] = sorted(dg12.images)
        except MalformedData as exc:
            report.problems.append(str(exc))
        clock.lap(ref.name.lower())

    if "DG15" in report.files:
        try:
            key15 = DG15File.parse(report.files["DG15"]).public_key()
            oid = ""
            if dg14 is not None and dg14.infos.active_auth:
                oid = dg14.infos.active_auth[0].signature_algorithm
            report.checks.append(active_auth.authenticate(service, key15, oid))
        except (MalformedData, NotSupported) as exc:
            report.checks.append(Check(active_auth.NAME, FAIL, str(exc)))
        clock.lap("active_auth")
    else:
        report.checks.append(Check(active_auth.NAME, SKIPPED, "not offered (no DG15)"))
    report.apdus = service.apdus
    report.card_ms = service.card_seconds * 1000

    passive_start = time.perf_counter()
    report.checks[:0] = passive_checks(report, sod_raw, trust, at or datetime.now(UTC))
    report.timings_ms["passive_auth"] = (time.perf_counter() - passive_start) * 1000
    report.timings_ms["total"] = (time.perf_counter() - clock.start) * 1000
    return report


def passive_checks(
    report: ChipReport, sod_raw: bytes, trust: TrustStore | None, at: datetime
) -> list[Check]:
    try:
        sod = SODFile.parse(sod_raw)
    except MalformedData as exc:
        return [Check("sod signature", FAIL, str(exc))]
    files = {
        number: report.files[ref.name]
        for number, ref in DATA_GROUPS.items()
        if ref.name in report.files
    }
    return passive_auth.verify(sod, files, trust, at)


def _read(service: PassportService, report: ChipReport, name: str, ref: Any) -> bytes:
    raw = service.read_file(ref)
    report.files[name] = raw
    return raw
