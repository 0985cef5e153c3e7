"""`kiosk biometrics face|finger`: JSON Lines per image, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import biometrics_images as images
import cv2
import pytest

from biometrics import formats, synthetic


def run_kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bio")
    out = {
        "good": d / "good.png",
        "far": d / "far.jpg",
        "finger": d / "finger.png",
        "finger_wsq": d / "finger.wsq",
        "junk": d / "junk.png",
    }
    cv2.imwrite(str(out["good"]), images.frame())
    cv2.imwrite(str(out["far"]), images.frame(scale=1.0))
    fp = synthetic.fingerprint(11)
    cv2.imwrite(str(out["finger"]), fp)
    out["finger_wsq"].write_bytes(formats.wsq_encode(fp))
    out["junk"].write_bytes(b"not an image at all")
    return out


def test_face_json_lines(files: dict[str, Path], tmp_path: Path) -> None:
    result = run_kiosk(
        "biometrics", "face", str(files["good"]), str(files["far"]), "--json",
        "--portrait", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(files["good"]), str(files["far"])]
    good, far = lines
    assert good["verdict"] == "pass" and far["verdict"] == "fail"
    assert far["instruction"] == "move closer"
    for measure in good["measures"].values():
        assert set(measure) == {"value", "score", "pass"}
    portrait = cv2.imread(good["portrait"])
    assert portrait is not None and portrait.shape == (640, 480, 3)


def test_face_human_output(files: dict[str, Path]) -> None:
    result = run_kiosk("biometrics", "face", str(files["far"]))
    assert result.returncode == 0
    assert result.stdout.strip().endswith("fail - move closer (failing: head_size)")


def test_finger_json_png_and_wsq(files: dict[str, Path]) -> None:
    result = run_kiosk(
        "biometrics", "finger", str(files["finger"]), str(files["finger_wsq"]), "--json"
    )
    assert result.returncode == 0, result.stderr
    png, wsq = (json.loads(line) for line in result.stdout.splitlines())
    assert 0 < png["measures"]["nfiq2"]["value"] <= 100
    assert abs(png["measures"]["nfiq2"]["value"] - wsq["measures"]["nfiq2"]["value"]) <= 15
    assert png["verdict"] in ("pass", "fail")
    strict = run_kiosk("biometrics", "finger", str(files["finger"]), "--threshold", "100")
    assert "fail - NFIQ 2" in strict.stdout


@pytest.mark.parametrize("command", ["face", "finger"])
def test_unreadable_images_are_one_line_errors(files: dict[str, Path], command: str) -> None:
    good = files["good"] if command == "face" else files["finger"]
    result = run_kiosk(
        "biometrics", command, str(files["junk"]), "/nonexistent/x.png", str(good), "--json"
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert all(e.startswith("kiosk: error: ") for e in errors)
    assert str(files["junk"]) in errors[0] and "/nonexistent/x.png" in errors[1]
    # The readable image is still reported: nothing lost.
    assert len(result.stdout.splitlines()) == 1


def test_finger_bad_threshold_is_one_line() -> None:
    result = run_kiosk("biometrics", "finger", "x.png", "--threshold", "500")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "threshold" in result.stderr
