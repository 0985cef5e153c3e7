"""`kiosk mrz parse` through the real entry point, as a technician would type it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kiosk.test_cli import run_kiosk

TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
SPECIMENS = Path(__file__).parents[2] / "docs" / "specimens.mrz"
CONTRACT_KEYS = {
    "format",
    "document_code",
    "issuing_state",
    "document_number",
    "nationality",
    "birth_date",
    "sex",
    "expiry_date",
    "surname",
    "given_names",
    "optional_data",
    "optional_data_2",
    "valid",
    "checks",
    "corrections",
    "lines",
}


def test_parse_lines_as_arguments_json() -> None:
    result = run_kiosk("mrz", "parse", *TD3, "--json")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    record = json.loads(line)
    assert set(record) >= CONTRACT_KEYS
    assert record["valid"] is True
    assert record["birth_date"] == "1974-08-12"


def test_parse_stdin_many_mrzs_one_json_line_each() -> None:
    result = run_kiosk("mrz", "parse", "--json", stdin=SPECIMENS.read_text())
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["format"] for r in records] == ["TD3", "TD1", "TD2", "MRVA", "MRVB", "TD1", "TD3"]
    assert all(r["valid"] for r in records)
    assert records[-1]["corrections"]  # the OCR-damaged specimen was repaired


def test_parse_table_shows_checks_and_verdict() -> None:
    result = run_kiosk("mrz", "parse", *TD3)
    assert result.returncode == 0
    assert "TD3 passport: VALID" in result.stdout
    assert result.stdout.count("check ok") == 5


def test_strict_flag_reports_failed_checks() -> None:
    damaged = [TD3[0], TD3[1].replace("L898902C3", "L8989O2C3")]
    result = run_kiosk("mrz", "parse", "--strict", *damaged)
    assert result.returncode == 0
    assert "INVALID" in result.stdout and "check FAILED" in result.stdout


def test_bad_input_is_one_line_exit_1_and_keeps_the_good_ones() -> None:
    text = "\n".join(TD3) + "\n\nP<UTO\nGARBAGE\n\n" + "\n".join(TD3) + "\n"
    result = run_kiosk("mrz", "parse", "--json", stdin=text)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 2
    [error] = result.stderr.splitlines()
    assert error.startswith("kiosk: error: MRZ 2: line 1 has 5 characters")
    assert "Traceback" not in result.stderr


def test_empty_stdin_is_an_error() -> None:
    result = run_kiosk("mrz", "parse", stdin="")
    assert result.returncode == 1
    assert result.stderr.strip() == "kiosk: error: no MRZ text on standard input"
