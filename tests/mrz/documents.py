"""Hypothesis strategies for valid documents of every format, built with `mrz.compose`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import strategies as st

from mrz.formats import LAYOUTS

TODAY = dt.date(2026, 11, 23)
COUNTRIES = ["UTO", "D", "FRA", "NLD", "GBR", "GBD", "USA", "XXA", "CHE", "EUE", "KEN", "SWE"]
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = UPPER + "0123456789"


@dataclass(frozen=True)
class Document:
    format: str
    fields: dict[str, object]


def _word(max_size: int) -> st.SearchStrategy[str]:
    return st.text(UPPER, min_size=1, max_size=max_size)


@st.composite
def documents(draw: st.DrawFn, formats: tuple[str, ...] = tuple(LAYOUTS)) -> Document:
    fmt = draw(st.sampled_from(formats))
    layout = LAYOUTS[fmt]
    first = {"TD1": "IAC", "TD2": "IAC", "TD3": "P", "MRVA": "V", "MRVB": "V"}[fmt]
    code = draw(st.sampled_from(first)) + draw(st.sampled_from("<" + UPPER.replace("V", "")))
    long_allowed = fmt in ("TD1", "TD2")
    number = draw(st.text(ALNUM, min_size=1, max_size=14 if long_allowed else 9))
    name_width = layout.field("name").width
    surname = " ".join(draw(st.lists(_word(8), min_size=1, max_size=2)))
    given = " ".join(draw(st.lists(_word(7), min_size=0, max_size=3)))
    while len(surname.replace(" ", "<")) + 2 + len(given.replace(" ", "<")) > name_width:
        given = given.rsplit(" ", 1)[0] if " " in given else ""
        if not given and len(surname) + 2 > name_width:
            surname = surname[: name_width - 2]
    optional_width = layout.field("optional_data").width
    if len(number) > 9:
        optional_width -= len(number) - 9 + 2  # overflow, its check digit, a separator
    optional = ""
    if optional_width > 0:
        optional = draw(st.text(ALNUM + "<", max_size=optional_width).map(lambda s: s.strip("<")))
    fields: dict[str, object] = {
        "document_code": code,
        "issuing_state": draw(st.sampled_from(COUNTRIES)),
        "document_number": number,
        "nationality": draw(st.sampled_from(COUNTRIES)),
        "birth_date": draw(st.dates(TODAY - dt.timedelta(days=99 * 365), TODAY)),
        "sex": draw(st.sampled_from("MFX")),
        "expiry_date": draw(st.dates(dt.date(1980, 1, 1), dt.date(2075, 12, 31))),
        "surname": surname,
        "given_names": given,
        "optional_data": optional,
    }
    if fmt == "TD1":
        fields["optional_data_2"] = draw(
            st.text(ALNUM + "<", max_size=11).map(lambda s: s.strip("<"))
        )
    return Document(fmt, fields)
