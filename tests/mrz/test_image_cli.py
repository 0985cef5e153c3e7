"""`kiosk mrz scan`: JSON lines per image, no-MRZ is not an error, unreadable files are."""

from __future__ import annotations

import json
import random
from pathlib import Path

import cv2
import pytest

from kiosk.cli import main
from mrz import synthetic


def _write(path: Path, lines: list[str], seed: int) -> Path:
    sample = synthetic.render(lines, synthetic.Degradation(char_height=24, rotation=5), seed)
    cv2.imwrite(str(path), sample.image)
    return path


def test_scan_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = synthetic.random_mrz(random.Random(2), "TD2")
    doc = _write(tmp_path / "doc.png", lines, 2)
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), synthetic.blank(3))
    assert main(["mrz", "scan", "--json", str(doc), str(blank)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["found"] is True and out[0]["valid"] is True
    assert out[0]["lines"] == lines and out[0]["format"] == "TD2"
    assert set(out[0]["ocr"]) == {"lines", "confidence", "quad", "elapsed_ms", "reader"}
    assert out[1]["found"] is False and out[1]["image"] == str(blank)


def test_scan_unreadable_file_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 truncated")
    lines = synthetic.random_mrz(random.Random(4), "TD1")
    good = _write(tmp_path / "ok.png", lines, 4)
    assert main(["mrz", "scan", str(bad), str(tmp_path / "missing.png"), str(good)]) == 1
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("kiosk: error: ") for e in errors)
    assert errors[1] == f"kiosk: error: {tmp_path / 'missing.png'}: No such file or directory"
    assert "Traceback" not in captured.err
    assert "TD1" in captured.out and "valid" in captured.out


def test_scan_with_passporteye_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("passporteye")
    lines = synthetic.random_mrz(random.Random(6), "TD3")
    doc = _write(tmp_path / "p.png", lines, 6)
    assert main(["mrz", "scan", "--json", "--reader", "passporteye", str(doc)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ocr"]["reader"] == "passporteye"
    assert "found" in out
