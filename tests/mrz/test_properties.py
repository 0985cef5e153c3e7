"""Property tests: every generated document parses back; one OCR confusion is either
undone or makes the result invalid, never valid-and-different; no input raises anything
but MRZError."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import mrz
from mrz.checkdigit import neutral_pair
from mrz.correct import LETTER_FOR_DIGIT
from mrz.formats import LAYOUTS, Kind, Layout
from tests.mrz.documents import TODAY, Document, documents

# The confusions named in issue #2, both ways.
PAIRS = [("0", "O"), ("1", "I"), ("2", "Z"), ("5", "S"), ("6", "G"), ("8", "B"), ("K", "<")]
SWAP = {a: b for a, b in PAIRS} | {b: a for a, b in PAIRS}


def _expected(document: Document) -> dict[str, object]:
    fields = dict(document.fields)
    birth = fields.pop("birth_date")
    expiry = fields.pop("expiry_date")
    assert isinstance(birth, dt.date) and isinstance(expiry, dt.date)
    fields["birth_date"] = birth.isoformat()
    fields["expiry_date"] = expiry.isoformat()
    fields["document_code"] = str(fields["document_code"]).replace("<", "")
    fields["format"] = document.format
    return fields


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_documents_parse_back(document: Document) -> None:
    lines = mrz.compose(document.format, **document.fields)  # type: ignore[arg-type]
    for strict in (True, False):
        result = mrz.parse(lines, strict=strict, today=TODAY).to_dict()
        assert result["valid"], result
        assert result["corrections"] == []
        for key, value in _expected(document).items():
            assert result[key] == value, (key, result)
        assert result["lines"] == lines


def _covered(layout: Layout, lines: list[str]) -> set[tuple[int, int]]:
    from mrz.parser import _checked_spans

    covered: set[tuple[int, int]] = set()
    for span in _checked_spans(layout, lines):
        covered.update(span.positions)
        covered.add(span.check)
    return covered


def _detectable(layout: Layout, lines: list[str], line: int, column: int, new: str) -> bool:
    """Whether any reader of the text alone could notice this swap.

    Names and codes carry no check digit, so only a digit where a letter must be is
    noticeable there; in letters-and-digits fields only a check digit can notice, and
    not for pairs whose values differ by a multiple of 10 (6/G, K/<).
    """
    old = lines[line][column]
    field = next((f for f in layout.fields if f.line == line and f.start <= column < f.stop), None)
    if field is None or field.kind is Kind.DATE:  # check digits and dates: digits only
        return new not in "0123456789<"
    if field.kind in (Kind.NAME, Kind.CODE, Kind.COUNTRY):
        return new.isdigit()
    if field.kind is Kind.SEX:
        return new == "K"
    return (line, column) in _covered(layout, lines) and not neutral_pair(old, new)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.data())
def test_one_confusion_is_undone_or_invalid(document: Document, data: st.DataObject) -> None:
    lines = mrz.compose(document.format, **document.fields)  # type: ignore[arg-type]
    layout = LAYOUTS[document.format]
    spots = [(i, j) for i, line in enumerate(lines) for j, char in enumerate(line) if char in SWAP]
    assume(spots)
    line, column = data.draw(st.sampled_from(spots))
    new = SWAP[lines[line][column]]
    assume(_detectable(layout, lines, line, column, new))
    damaged = list(lines)
    damaged[line] = damaged[line][:column] + new + damaged[line][column + 1 :]
    result = mrz.parse(damaged, today=TODAY)
    if result.valid:
        assert result.lines == lines, (damaged, result.lines)
        assert result.corrections, "a change was made, so it must be listed"


@settings(max_examples=300)
@given(documents())
def test_letter_for_digit_in_names_is_undone(document: Document) -> None:
    """The issue's pairs are undone in names (no check digit: the class decides)."""
    lines = mrz.compose(document.format, **document.fields)  # type: ignore[arg-type]
    name = LAYOUTS[document.format].field("name")
    text = lines[name.line]
    digit_for = {letter: digit for digit, letter in LETTER_FOR_DIGIT.items()}
    spots = [c for c in range(name.start, name.stop) if text[c] in digit_for]
    assume(spots)
    column = spots[0]
    damaged = list(lines)
    damaged[name.line] = text[:column] + digit_for[text[column]] + text[column + 1 :]
    result = mrz.parse(damaged, today=TODAY)
    assert result.valid and result.lines == lines


@settings(max_examples=500)
@given(st.text(max_size=200) | st.lists(st.text(max_size=60), max_size=5))
def test_arbitrary_text_raises_only_mrz_error(source: str | list[str]) -> None:
    try:
        result = mrz.parse(source)
    except mrz.MRZError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert result.format in LAYOUTS


@settings(max_examples=300)
@given(documents(), st.data())
def test_damaged_mrz_raises_only_mrz_error(document: Document, data: st.DataObject) -> None:
    lines = mrz.compose(document.format, **document.fields)  # type: ignore[arg-type]
    text = "\n".join(lines)
    position = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.text(max_size=3))
    with contextlib.suppress(mrz.MRZError):
        mrz.parse(text[:position] + junk + text[position + 1 :])


@pytest.mark.parametrize("strict", [True, False])
def test_confusion_counts_are_listed(strict: bool) -> None:
    lines = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8989O2C36UTO7408122F1204159ZE184226B<<<<<10",
    ]
    result = mrz.parse(lines, strict=strict)
    assert result.valid is not strict
    assert len(result.corrections) == (0 if strict else 1)
