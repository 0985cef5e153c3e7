"""Parse and validate an MRZ (ICAO Doc 9303 Parts 3-7) into an `MRZResult`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from mrz.checkdigit import values_of
from mrz.correct import (
    LETTERS,
    CheckedSpan,
    Correction,
    Grid,
    allowed_chars,
    fix_classes,
    search,
)
from mrz.countries import known_codes
from mrz.formats import LAYOUTS, Kind, Layout
from mrz.names import split_name
from mrz.normalize import fit_layout, split_lines

_KIND_PATTERN = {
    Kind.CODE: "[A-Z][A-Z<]",
    Kind.COUNTRY: "[A-Z<]",
    Kind.NAME: "[A-Z<]",
    Kind.ALNUM: "[A-Z0-9<]",
    Kind.DATE: "[0-9<]",
    Kind.SEX: "[MFX<]",
}
_SEX = {"M": "M", "F": "F", "X": "X", "<": "X"}
_DOCUMENT_TYPES = {"TD1": "ACI", "TD2": "ACI", "TD3": "P", "MRVA": "V", "MRVB": "V"}


@dataclass(frozen=True, slots=True)
class Warning:
    """A finding that does not stop the MRZ being read (unknown code, odd date, ...)."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(slots=True)
class MRZResult:
    format: str
    document_code: str
    issuing_state: str
    document_number: str
    nationality: str
    birth_date: dt.date | None
    birth_date_raw: str
    sex: str | None
    expiry_date: dt.date | None
    expiry_date_raw: str
    surname: str
    given_names: str
    optional_data: str
    optional_data_2: str
    valid: bool
    checks: dict[str, bool]
    lines: list[str]
    corrections: list[Correction] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    name_truncated: bool = False

    def to_dict(self) -> dict[str, object]:
        """The JSON object of DESIGN.md's contract."""
        return {
            "format": self.format,
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "birth_date_raw": self.birth_date_raw,
            "sex": self.sex,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "expiry_date_raw": self.expiry_date_raw,
            "surname": self.surname,
            "given_names": self.given_names,
            "optional_data": self.optional_data,
            "optional_data_2": self.optional_data_2,
            "name_truncated": self.name_truncated,
            "valid": self.valid,
            "checks": dict(self.checks),
            "corrections": [c.to_dict() for c in self.corrections],
            "warnings": [w.to_dict() for w in self.warnings],
            "lines": list(self.lines),
        }


def parse(
    source: str | Sequence[str],
    *,
    strict: bool = False,
    candidates: Sequence[Sequence[str]] | None = None,
    today: dt.date | None = None,
) -> MRZResult:
    """Read one MRZ: its lines as a string or a sequence of strings.

    Lenient mode (the default, for OCR input) corrects confusions under the rules in
    `mrz.correct`; strict mode changes nothing that was read. `candidates` gives, per line
    and column, alternative characters an image reader considered (most likely first).
    Raises `MRZError` when the text cannot be an MRZ at all; a readable MRZ whose checks
    fail comes back with `valid` false.
    """
    lines = split_lines(source)
    layout, lines, repairs = fit_layout(lines, lenient=not strict)
    spans = _checked_spans(layout, lines)
    corrections = [
        Correction(f"line {r.line}", r.line, len(r.now), r.was, r.now, r.reason) for r in repairs
    ]
    structure_ok = _pattern(layout).fullmatch("".join(lines)) is not None
    values = [values_of(line) for line in lines]
    checks = {span.name: span.holds(lines, values) for span in spans}
    if not strict and not (structure_ok and all(checks.values())):
        grid = Grid(lines, candidates)
        fix_classes(grid, layout, spans)
        spans = _checked_spans(layout, grid.lines())
        composite = spans[-1] if layout.composite else None
        allowed = _allowed(layout.name)
        locked: set[tuple[int, int]] = set()
        for span in spans:
            if span is not composite and search(grid, span, allowed):
                locked.update(span.positions)
                locked.add(span.check)
        if composite is not None:
            search(grid, composite, allowed, frozenset(locked))
        corrections += sorted(grid.corrections, key=lambda c: (c.line, c.column))
        lines = grid.lines()
        spans = _checked_spans(layout, lines)
        structure_ok = _pattern(layout).fullmatch("".join(lines)) is not None
        checks = {span.name: span.holds(lines) for span in spans}
    return _extract(
        layout, lines, spans, checks, structure_ok, corrections, today or dt.date.today()
    )


def _pattern(layout: Layout) -> re.Pattern[str]:
    return _pattern_named(layout.name)


@cache
def _pattern_named(name: str) -> re.Pattern[str]:
    """A regex that a structurally clean MRZ (all lines joined) matches."""
    layout = LAYOUTS[name]
    cells = [["[A-Z0-9<]"] * layout.length for _ in range(layout.lines)]
    for f in layout.fields:
        for column in range(f.start, f.stop):
            cells[f.line][column] = _KIND_PATTERN[f.kind]
        if f.kind is Kind.CODE:
            cells[f.line][f.start] = "[A-Z]"
            cells[f.line][f.start + 1] = "[A-Z<]"
        if f.check is not None:
            cells[f.line][f.check] = "[0-9<]"
    if layout.composite_at is not None:
        line, column = layout.composite_at
        cells[line][column] = "[0-9]"
    return re.compile("".join("".join(row) for row in cells))


@cache
def _allowed(name: str) -> dict[tuple[int, int], frozenset[str]]:
    return allowed_chars(LAYOUTS[name])


@cache
def _slots(name: str) -> tuple[tuple[str, int, int, int], ...]:
    return tuple((f.name, f.line, f.start, f.stop) for f in LAYOUTS[name].fields)


def _checked_spans(layout: Layout, lines: Sequence[str]) -> list[CheckedSpan]:
    """Every check digit with what it covers; the composite, if any, comes last."""
    overflow = 0
    if layout.overflow_field:
        number = layout.field("document_number")
        if lines[number.line][number.check or 0] == "<":
            field = layout.field(layout.overflow_field)
            tail = lines[field.line][field.start : field.stop].split("<", 1)[0]
            overflow = len(tail) if len(tail) >= 2 else 0
    return _spans_for(layout.name, overflow)


@cache
def _spans_for(name: str, overflow: int) -> list[CheckedSpan]:
    """The spans of a layout when a long document number continues over `overflow`
    characters of the optional data (the last of them its check digit)."""
    layout = LAYOUTS[name]
    spans: list[CheckedSpan] = []
    for f in layout.fields:
        if f.check is None:
            continue
        positions = tuple((f.line, c) for c in range(f.start, f.stop))
        check = (f.line, f.check)
        if f.name == "document_number" and overflow and layout.overflow_field:
            field = layout.field(layout.overflow_field)
            positions += tuple((field.line, field.start + i) for i in range(overflow - 1))
            check = (field.line, field.start + overflow - 1)
        spans.append(CheckedSpan(f.name, positions, check, empty_check=f.name == "optional_data"))
    if layout.composite and layout.composite_at:
        positions = tuple(
            (line, column)
            for line, start, stop in layout.composite
            for column in range(start, stop)
        )
        spans.append(CheckedSpan("composite", positions, layout.composite_at))
    return spans


def _extract(
    layout: Layout,
    lines: list[str],
    spans: list[CheckedSpan],
    checks: dict[str, bool],
    structure_ok: bool,
    corrections: list[Correction],
    today: dt.date,
) -> MRZResult:
    values = {name: lines[line][start:stop] for name, line, start, stop in _slots(layout.name)}
    warnings: list[Warning] = []

    number = values["document_number"]
    optional = values["optional_data"]
    number_span = spans[0]  # the document number's check comes first in every layout
    if len(number_span.positions) > 9:
        number = "".join(lines[line][column] for line, column in number_span.positions)
        optional = optional[len(number_span.positions) - 9 + 1 :].lstrip("<")
    elif (
        layout.overflow_field
        and lines[number_span.check[0]][number_span.check[1]] == "<"
        and number.strip("<")
    ):
        warnings.append(
            Warning("document_number", "check digit is '<' but no continuation was found")
        )
        checks["document_number"] = False

    name = split_name(values["name"])
    if name.truncated:
        warnings.append(Warning("name", "the name fills the field and may be truncated"))
    code = values["document_code"]
    if code[0] not in _DOCUMENT_TYPES[layout.name]:
        warnings.append(
            Warning(
                "document_code",
                f"{code[0]!r} is not a {layout.name} document type "
                f"(expected {' or '.join(_DOCUMENT_TYPES[layout.name])})",
            )
        )
    elif layout.name in ("TD1", "TD2") and code[1] == "V":
        warnings.append(Warning("document_code", "V is not allowed as the second letter"))
    codes = known_codes()
    for key in ("issuing_state", "nationality"):
        value = values[key].replace("<", "")
        if value not in codes and value and not set(value) - LETTERS:
            warnings.append(Warning(key, f"unknown country code {value!r}"))
    sex_char = values["sex"]
    sex = _SEX.get(sex_char)
    if sex is None:
        warnings.append(Warning("sex", f"{sex_char!r} is not M, F, X or <"))
    birth = _date(values["birth_date"], "birth_date", today, warnings)
    expiry = _date(values["expiry_date"], "expiry_date", today, warnings)
    if not structure_ok:
        warnings.append(Warning("lines", "characters remain that are impossible for their field"))
    return MRZResult(
        format=layout.name,
        document_code=code.replace("<", ""),
        issuing_state=values["issuing_state"].replace("<", ""),
        document_number=number.rstrip("<"),
        nationality=values["nationality"].replace("<", ""),
        birth_date=birth,
        birth_date_raw=values["birth_date"],
        sex=sex,
        expiry_date=expiry,
        expiry_date_raw=values["expiry_date"],
        surname=name.surname,
        given_names=name.given_names,
        optional_data=optional.rstrip("<"),
        optional_data_2=values.get("optional_data_2", "").rstrip("<"),
        valid=structure_ok and all(checks.values()),
        checks=checks,
        lines=lines,
        corrections=corrections,
        warnings=warnings,
        name_truncated=name.truncated,
    )


def _date(raw: str, key: str, today: dt.date, warnings: list[Warning]) -> dt.date | None:
    """ISO date with the century inferred: births never in the future, expiries within
    50 years from today; `<` in the day or month means unknown (no ISO date)."""
    if not raw.isdigit():  # `<` for an unknown part (lines are ASCII by now)
        return None
    yy, month, day = int(raw[:2]), int(raw[2:4]), int(raw[4:])
    year = 2000 + yy
    if key == "expiry_date" and year > today.year + 50:
        year -= 100
    try:
        value = dt.date(year, month, day)
        if key == "birth_date" and value > today:
            value = dt.date(year - 100, month, day)
    except ValueError:
        warnings.append(Warning(key, f"{raw} is not a calendar date"))
        return None
    return value
