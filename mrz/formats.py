"""Where every field sits in each MRZ format (ICAO Doc 9303 Parts 4-7, 8th edition).

Positions are zero-based `(line, start, stop)` slices. The parser, the composer and the
image reader's check-digit decoder all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """What characters a field may hold, which decides how OCR confusions are corrected."""

    CODE = "code"  # document code: letters and `<`
    COUNTRY = "country"  # three letters, `<` as trailing filler (D<<)
    NAME = "name"  # letters and `<`
    ALNUM = "alnum"  # document number, optional data: letters, digits, `<`
    DATE = "date"  # YYMMDD, digits (or `<` for an unknown day/month)
    SEX = "sex"  # M, F, X or `<`
    DIGIT = "digit"  # a check digit: a digit (or `<` where the field may be empty)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    line: int
    start: int
    stop: int
    kind: Kind
    check: int | None = None  # column of this field's check digit, on the same line

    @property
    def width(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True, slots=True)
class Layout:
    name: str  # TD1, TD2, TD3, MRVA, MRVB
    lines: int
    length: int
    fields: tuple[Field, ...]
    # Check-digit-bearing composite: the spans it covers and where it sits, or None (visas).
    composite: tuple[tuple[int, int, int], ...] | None = None
    composite_at: tuple[int, int] | None = None
    # Where a document number longer than 9 characters continues (TD1 and TD2 only).
    overflow_field: str | None = None

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


def _two_line(name: str, length: int, optional_stop: int, composite: bool) -> Layout:
    """TD2, TD3 and both visa formats share the same second-line skeleton."""
    fields = (
        Field("document_code", 0, 0, 2, Kind.CODE),
        Field("issuing_state", 0, 2, 5, Kind.COUNTRY),
        Field("name", 0, 5, length, Kind.NAME),
        Field("document_number", 1, 0, 9, Kind.ALNUM, check=9),
        Field("nationality", 1, 10, 13, Kind.COUNTRY),
        Field("birth_date", 1, 13, 19, Kind.DATE, check=19),
        Field("sex", 1, 20, 21, Kind.SEX),
        Field("expiry_date", 1, 21, 27, Kind.DATE, check=27),
        Field(
            "optional_data",
            1,
            28,
            optional_stop,
            Kind.ALNUM,
            check=optional_stop if name == "TD3" else None,
        ),
    )
    return Layout(
        name=name,
        lines=2,
        length=length,
        fields=fields,
        composite=((1, 0, 10), (1, 13, 20), (1, 21, length - 1)) if composite else None,
        composite_at=(1, length - 1) if composite else None,
        overflow_field="optional_data" if name == "TD2" else None,
    )


TD3 = _two_line("TD3", 44, 42, composite=True)
TD2 = _two_line("TD2", 36, 35, composite=True)
MRVA = _two_line("MRVA", 44, 44, composite=False)
MRVB = _two_line("MRVB", 36, 36, composite=False)
TD1 = Layout(
    name="TD1",
    lines=3,
    length=30,
    fields=(
        Field("document_code", 0, 0, 2, Kind.CODE),
        Field("issuing_state", 0, 2, 5, Kind.COUNTRY),
        Field("document_number", 0, 5, 14, Kind.ALNUM, check=14),
        Field("optional_data", 0, 15, 30, Kind.ALNUM),
        Field("birth_date", 1, 0, 6, Kind.DATE, check=6),
        Field("sex", 1, 7, 8, Kind.SEX),
        Field("expiry_date", 1, 8, 14, Kind.DATE, check=14),
        Field("nationality", 1, 15, 18, Kind.COUNTRY),
        Field("optional_data_2", 1, 18, 29, Kind.ALNUM),
        Field("name", 2, 0, 30, Kind.NAME),
    ),
    composite=((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)),
    composite_at=(1, 29),
    overflow_field="optional_data",
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (TD1, TD2, TD3, MRVA, MRVB)}


def layout_for(line_count: int, length: int, first_char: str) -> Layout | None:
    """The layout for lines of this shape; visas are told apart by their `V` code."""
    if line_count == 3 and length == 30:
        return TD1
    if line_count == 2 and length == 44:
        return MRVA if first_char == "V" else TD3
    if line_count == 2 and length == 36:
        return MRVB if first_char == "V" else TD2
    return None
