"""ICAO Doc 9303 specimens, national quirks, and every rule of the text engine."""

from __future__ import annotations

import datetime as dt

import pytest

import mrz

TODAY = dt.date(2026, 11, 23)

TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]
TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]
MRVA = [
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
]
MRVB = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<"]


def td3(**fields: object) -> list[str]:
    """A UTO passport, number X1, of Mr DOE, with `fields` changed."""
    values: dict[str, object] = {
        "document_code": "P",
        "issuing_state": "UTO",
        "document_number": "X1",
        "nationality": "UTO",
        "sex": "M",
        "surname": "DOE",
    }
    return mrz.compose("TD3", **(values | fields))  # type: ignore[arg-type]


def parse(lines: list[str] | str, **kwargs: object) -> dict[str, object]:
    return mrz.parse(lines, today=TODAY, **kwargs).to_dict()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lines", "fmt", "number", "checks"),
    [
        (TD3, "TD3", "L898902C3", 5),
        (TD1, "TD1", "D23145890", 4),
        (TD2, "TD2", "D23145890", 4),
        (MRVA, "MRVA", "L8988901C", 3),
        (MRVB, "MRVB", "L8988901C", 3),
    ],
)
def test_icao_specimens(lines: list[str], fmt: str, number: str, checks: int) -> None:
    result = parse(lines, strict=True)
    assert result["format"] == fmt
    assert result["valid"] is True
    assert result["document_number"] == number
    assert result["surname"] == "ERIKSSON"
    assert result["given_names"] == "ANNA MARIA"
    assert len(result["checks"]) == checks  # type: ignore[arg-type]
    assert "composite" in result["checks"] or fmt.startswith("MRV")  # type: ignore[operator]


def test_td3_specimen_fields() -> None:
    result = parse(TD3)
    assert result["document_code"] == "P"
    assert result["issuing_state"] == "UTO"
    assert result["birth_date"] == "1974-08-12"
    assert result["expiry_date"] == "2012-04-15"
    assert result["sex"] == "F"
    assert result["optional_data"] == "ZE184226B"
    assert result["optional_data_2"] == ""


def test_specimen_with_broken_check_digit_is_invalid_in_both_modes() -> None:
    broken = [TD3[0], TD3[1][:27] + "8" + TD3[1][28:]]  # expiry check 9 -> 8
    for strict in (True, False):
        result = parse(broken, strict=strict)
        assert result["valid"] is False
        assert result["checks"]["expiry_date"] is False  # type: ignore[index]


def test_long_td1_document_number() -> None:
    lines = ["I<UTOD23145890<7349<<<<<<<<<<<", TD1[1], TD1[2]]
    result = parse(lines, strict=True)
    assert result["valid"] is True
    assert result["document_number"] == "D23145890734"
    assert result["optional_data"] == ""


def test_long_td1_document_number_followed_by_optional_data() -> None:
    lines = mrz.compose(
        "TD1",
        document_code="I",
        issuing_state="UTO",
        document_number="D23145890734",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="120415",
        surname="ERIKSSON",
        given_names="ANNA MARIA",
        optional_data="AB<12",
    )
    assert lines[0] == "I<UTOD23145890<7349<AB<12<<<<<"
    result = parse(lines, strict=True)
    assert result["valid"] is True
    assert result["document_number"] == "D23145890734"
    assert result["optional_data"] == "AB<12"


def test_long_td2_document_number() -> None:
    lines = mrz.compose(
        "TD2",
        document_code="I",
        issuing_state="UTO",
        document_number="D2314589073",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="120415",
        surname="ERIKSSON",
        given_names="ANNA",
    )
    result = parse(lines, strict=True)
    assert result["valid"] is True
    assert result["document_number"] == "D2314589073"


def test_long_number_marker_without_continuation_fails_the_check() -> None:
    lines = ["I<UTOD23145890<<<<<<<<<<<<<<<<", TD1[1], TD1[2]]
    result = parse(lines, strict=True)
    assert result["valid"] is False
    assert result["checks"]["document_number"] is False  # type: ignore[index]


@pytest.mark.parametrize("check", ["<", "0"])
def test_empty_personal_number_check_may_be_filler_or_zero(check: str) -> None:
    lines = mrz.compose(
        "TD3",
        document_code="P",
        issuing_state="UTO",
        document_number="L898902C3",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="120415",
        surname="ERIKSSON",
        empty_optional_check=check,
    )
    assert lines[1][42] == check
    result = parse(lines, strict=True)
    assert result["valid"] is True
    assert result["optional_data"] == ""


def test_german_id_card_quirks() -> None:
    """German cards: issuing state and nationality `D<<`, sex often `<`."""
    lines = mrz.compose(
        "TD1",
        document_code="ID",
        issuing_state="D",
        document_number="T22000129",
        nationality="D",
        birth_date="640812",
        sex="<",
        expiry_date="310331",
        surname="MUSTERMANN",
        given_names="ERIKA",
    )
    assert lines[0].startswith("IDD<<T22000129")
    result = parse(lines, strict=True)
    assert result["valid"] is True
    assert (result["issuing_state"], result["nationality"]) == ("D", "D")
    assert result["sex"] == "X"
    assert result["warnings"] == []


def test_unknown_country_code_is_reported_not_fatal() -> None:
    lines = [TD3[0].replace("UTO", "QQQ", 1), TD3[1]]
    result = parse(lines)
    assert result["valid"] is True
    assert result["issuing_state"] == "QQQ"
    assert {"field": "issuing_state", "message": "unknown country code 'QQQ'"} in result["warnings"]  # type: ignore[operator]


@pytest.mark.parametrize("code", ["GBD", "RKS", "EUE", "XXA", "XOM", "UNK"])
def test_icao_own_codes_are_known(code: str) -> None:
    lines = td3(issuing_state=code, nationality=code, birth_date="900101", expiry_date="300101")
    assert parse(lines)["warnings"] == []


def test_century_inference() -> None:
    # born after TODAY: must be 1926; 2075 is within 50 years
    lines = td3(birth_date="261231", expiry_date="751231")
    result = parse(lines)
    assert result["birth_date"] == "1926-12-31"
    assert result["expiry_date"] == "2075-12-31"
    # born before TODAY: 2026; 2085 is too far: 1985
    lines = td3(birth_date="260101", expiry_date="851231")
    result = parse(lines)
    assert result["birth_date"] == "2026-01-01"
    assert result["expiry_date"] == "1985-12-31"


@pytest.mark.parametrize("raw", ["74<<<<", "7408<<"])
def test_unknown_day_or_month_kept_raw(raw: str) -> None:
    lines = td3(birth_date=raw, expiry_date="300101")
    result = parse(lines)
    assert result["valid"] is True
    assert result["birth_date"] is None
    assert result["birth_date_raw"] == raw
    assert result["warnings"] == []


def test_invalid_calendar_date_is_reported() -> None:
    lines = td3(birth_date="740231", expiry_date="300101")
    result = parse(lines)
    assert result["birth_date"] is None
    assert result["birth_date_raw"] == "740231"
    assert any("not a calendar date" in w["message"] for w in result["warnings"])  # type: ignore[index, union-attr]


@pytest.mark.parametrize(
    ("field", "surname", "given", "truncated"),
    [
        ("MADONNA<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "MADONNA", "", False),
        ("<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<<<<<<<", "", "ANNA MARIA", False),
        ("VAN<DER<BERG<<JAN<<<<<<<<<<<<<<<<<<<<<", "VAN DER BERG", "JAN", False),
        (
            "ABCDEFGHIJKLMNOPQRSTU<<VWXYZABCDEFGHIJK",
            "ABCDEFGHIJKLMNOPQRSTU",
            "VWXYZABCDEFGHIJK",
            True,
        ),
    ],
)
def test_names(field: str, surname: str, given: str, truncated: bool) -> None:
    lines = [f"P<UTO{field}", TD3[1]]
    result = parse(lines)
    assert (result["surname"], result["given_names"]) == (surname, given)
    assert result["name_truncated"] is truncated
    assert any(w["field"] == "name" for w in result["warnings"]) is truncated  # type: ignore[index, union-attr]


def test_sex_filler_is_reported_as_x() -> None:
    lines = [TD3[0], TD3[1][:20] + "<" + TD3[1][21:]]
    assert parse(lines)["sex"] == "X"


def test_document_codes() -> None:
    crew = ["AC" + TD1[0][2:], TD1[1], TD1[2]]
    assert parse(crew)["document_code"] == "AC"
    assert parse(crew)["warnings"] == []
    wrong = ["P<" + TD1[0][2:], TD1[1], TD1[2]]
    assert any(w["field"] == "document_code" for w in parse(wrong)["warnings"])  # type: ignore[index, union-attr]
    visa_letter = ["IV" + TD1[0][2:], TD1[1], TD1[2]]
    assert any(w["field"] == "document_code" for w in parse(visa_letter)["warnings"])  # type: ignore[index, union-attr]


def test_normalisation_of_reader_and_ocr_text() -> None:
    messy = (
        "\x02 p<uto eriksson«anna‹maria<<<<<<<<<<<<<<<<<<< \r\n"
        "L898902C36 UTO7408122F1204159ZE184226B<<<<<10.\x03\n"
    )
    result = parse(messy, strict=True)
    assert result["valid"] is True
    assert result["lines"] == TD3
    assert result["corrections"] == []


def test_whole_mrz_on_one_line_is_split() -> None:
    assert parse("".join(TD3))["lines"] == TD3


def test_lenient_mode_repairs_trailing_fillers_strict_mode_does_not() -> None:
    lines = [TD3[0] + "<<", TD3[1]]
    assert parse(lines)["valid"] is True
    assert parse(lines)["corrections"][0]["reason"].startswith("trailing fillers")  # type: ignore[index]
    with pytest.raises(mrz.MRZError, match="line 1 has 46 characters; TD3 lines have 44"):
        parse(lines, strict=True)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "no MRZ text found"),
        (TD3[1][:-1] + "\n" + TD3[1], "line 1 has 43 characters; TD3 lines have 44"),
        ("\n".join([*TD1, TD1[0]]), "found 4 lines"),
        (TD3[0] + "\n" + TD3[1][:10] + "é" + TD3[1][11:], "line 2, column 11: 'É'"),
        (MRVB[0] + "\n" + MRVB[1][:-10], "line 2 has 26 characters; MRV-B lines have 36"),
    ],
)
def test_malformed_input_names_the_problem(source: str, message: str) -> None:
    with pytest.raises(mrz.MRZError, match=message):
        mrz.parse(source)


def test_ocr_confusions_corrected_and_listed() -> None:
    ocr = [
        "P<UT0ERIKSS0N<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<",
        "L8989O2C36UTO74O8122F12O4159ZE184226B<<<<<1O",
    ]
    result = parse(ocr)
    assert result["valid"] is True
    assert result["lines"] == TD3
    changed = {(c["line"], c["column"], c["from"], c["to"]) for c in result["corrections"]}  # type: ignore[index, union-attr]
    assert (2, 6, "O", "0") in changed  # document number, decided by its check digit
    assert (1, 5, "0", "O") in changed  # issuing state, decided by the code list
    assert (1, 24, "1", "I") in changed  # name
    assert len(changed) == 7


def test_strict_mode_changes_nothing() -> None:
    ocr = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8989O2C36UTO7408122F1204159ZE184226B<<<<<10",
    ]
    result = parse(ocr, strict=True)
    assert result["valid"] is False
    assert result["lines"] == ocr
    assert result["corrections"] == []


def test_ambiguous_correction_stays_invalid() -> None:
    """With check digit 5, both Z->2 and 1->I would satisfy it: neither is chosen;
    with 4, only O->0 does, and it is made."""
    lines = mrz.compose(
        "TD3",
        document_code="P",
        issuing_state="UTO",
        document_number="B8O5SZ2I1",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="300101",
        surname="DOE",
    )

    def with_check(digit: str) -> list[str]:
        return [lines[0], lines[1][:9] + digit + lines[1][10:]]

    ambiguous = mrz.parse(with_check("5"), today=TODAY)
    assert ambiguous.valid is False
    assert ambiguous.document_number == "B8O5SZ2I1"
    assert ambiguous.corrections == []
    unique = mrz.parse(with_check("4"), today=TODAY)
    assert unique.document_number == "B805SZ2I1"
    assert unique.checks["document_number"] is True


def test_neutral_swaps_are_never_made_on_check_digit_evidence() -> None:
    """6/G differ by 10 in value: the check digit cannot choose, so G stays G."""
    lines = mrz.compose(
        "TD3",
        document_code="P",
        issuing_state="UTO",
        document_number="AG1234567",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="300101",
        surname="DOE",
    )
    result = parse(lines)
    assert result["document_number"] == "AG1234567"
    assert result["corrections"] == []


def test_reader_candidates_resolve_a_digit_confusion() -> None:
    """An image reader's second choice is used when only it satisfies the check digit."""
    wrong = TD3[1][:16] + "3" + TD3[1][17:]  # birth date 740812 read as 740312
    candidates: list[list[str]] = [[""] * 44, [""] * 44]
    candidates[1][15] = "38"  # alternatives at the wrong column do not help
    result = mrz.parse([TD3[0], wrong], candidates=candidates, today=TODAY)
    assert result.valid is False
    candidates[1][15] = ""
    candidates[1][16] = "38"
    result = mrz.parse([TD3[0], wrong], candidates=candidates, today=TODAY)
    assert result.valid is True
    assert result.lines == TD3
    assert result.birth_date == dt.date(1974, 8, 12)
