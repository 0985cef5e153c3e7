"""Build MRZ lines from field values, with every check digit computed.

The inverse of `mrz.parse`: tests generate documents with it, the image reader's synthetic
data renders what it returns, and the simulated counter hands its lines to the emulated
reader. It follows ICAO Doc 9303 layouts, including document numbers longer than nine
characters in TD1 and TD2.
"""

from __future__ import annotations

import datetime as dt
import re

from mrz.checkdigit import check_digit
from mrz.errors import MRZError
from mrz.formats import LAYOUTS, Layout

_NOT_NAME = re.compile(r"[^A-Z<]")


def name_field(surname: str, given_names: str, width: int) -> str:
    """Primary and secondary identifiers as the MRZ writes them, cut to `width`."""

    def encode(part: str) -> str:
        part = part.upper().replace("'", "").replace("-", " ").replace(",", " ")
        return "<".join(part.split())

    text = encode(surname)
    if given_names.strip():
        text += "<<" + encode(given_names)
    if _NOT_NAME.search(text):
        raise MRZError(f"name {text!r} has characters outside A-Z; transliterate it first")
    return text[:width].ljust(width, "<")


def _date(value: dt.date | str) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%y%m%d")
    if len(value) != 6:
        raise MRZError(f"date {value!r} must be a date or six characters YYMMDD")
    return value


def _pad(value: str, width: int, what: str) -> str:
    value = value.upper().replace(" ", "<")
    if len(value) > width:
        raise MRZError(f"{what} {value!r} is longer than its {width} positions")
    return value.ljust(width, "<")


def compose(
    format: str,
    *,
    document_code: str,
    issuing_state: str,
    document_number: str,
    nationality: str,
    birth_date: dt.date | str,
    sex: str,
    expiry_date: dt.date | str,
    surname: str,
    given_names: str = "",
    optional_data: str = "",
    optional_data_2: str = "",
    empty_optional_check: str = "<",
) -> list[str]:
    """The MRZ lines of a document in `format` (TD1, TD2, TD3, MRVA, MRVB).

    `sex` is M, F, X or `<` (X is written as `<`, the MRZ's "unspecified").
    `empty_optional_check` is what a TD3 writes as the check digit of an empty personal
    number: `<` or `0`, both allowed by Doc 9303.
    """
    layout: Layout | None = LAYOUTS.get(format)
    if layout is None:
        raise MRZError(f"unknown MRZ format {format!r}; use one of {', '.join(LAYOUTS)}")
    lines = [["<"] * layout.length for _ in range(layout.lines)]

    def put(name: str, value: str) -> None:
        field = layout.field(name)
        lines[field.line][field.start : field.stop] = list(_pad(value, field.width, name))
        if field.check is not None:
            lines[field.line][field.check] = check_digit(value.ljust(field.width, "<"))

    number = document_number.upper()
    optional = optional_data.upper()
    if len(number) > 9:
        if layout.overflow_field is None:
            raise MRZError(f"a {format} document number has at most 9 characters")
        head, rest = number[:9], number[9:]
        put("document_number", head)
        field = layout.field("document_number")
        lines[field.line][field.check or 0] = "<"
        optional = rest + check_digit(number) + ("<" + optional if optional else "")
    else:
        put("document_number", number)

    put("document_code", document_code)
    put("issuing_state", issuing_state)
    put("nationality", nationality)
    put("birth_date", _date(birth_date))
    put("expiry_date", _date(expiry_date))
    put("sex", "<" if sex.upper() == "X" else sex.upper())
    name = layout.field("name")
    lines[name.line][name.start : name.stop] = list(name_field(surname, given_names, name.width))
    put("optional_data", optional)
    if optional_data_2:
        put("optional_data_2", optional_data_2)
    if format == "TD3" and not optional.strip("<"):
        lines[1][42] = empty_optional_check
    if layout.composite is not None and layout.composite_at is not None:
        text = "".join("".join(lines[line][start:stop]) for line, start, stop in layout.composite)
        line, column = layout.composite_at
        lines[line][column] = check_digit(text)
    return ["".join(line) for line in lines]
