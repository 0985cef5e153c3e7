"""`kiosk biometrics face|finger`: JSON Lines per image, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import biometrics_images as images
import cv2
import numpy as np
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
    assert result.stdout.strip().endswith(
        "fail - move closer (failing: inter_eye_distance, head_size)"
    )


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


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("broken")
    wsq = formats.wsq_encode(synthetic.fingerprint(5))
    out = {
        "truncated": d / "truncated.wsq",
        "zero": d / "zero.png",
        "garbage": d / "garbage.bin",
        "face": d / "face.png",
        "coffee": d / "coffee.png",
    }
    out["truncated"].write_bytes(wsq[: len(wsq) // 2])
    out["zero"].write_bytes(b"")
    out["garbage"].write_bytes(b"\x00\x01garbage" * 64)
    from skimage import data

    cv2.imwrite(str(out["face"]), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(out["coffee"]), cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR))
    return out


def test_non_prints_score_zero(broken: dict[str, Path], files: dict[str, Path]) -> None:
    result = run_kiosk(
        "biometrics", "finger", str(broken["face"]), str(broken["coffee"]), str(files["finger"]),
        "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    face, coffee, finger = (json.loads(line) for line in result.stdout.splitlines())
    assert face["measures"]["nfiq2"]["value"] == 0
    assert coffee["measures"]["nfiq2"]["value"] == 0
    assert finger["measures"]["nfiq2"]["value"] > 20


@pytest.mark.parametrize("command", ["face", "finger"])
def test_broken_files_are_one_line_each_and_the_rest_is_scored(
    broken: dict[str, Path], files: dict[str, Path], command: str
) -> None:
    good = files["good"] if command == "face" else files["finger"]
    bad = [broken["truncated"], broken["zero"], broken["garbage"]]
    result = run_kiosk("biometrics", command, *map(str, bad), str(good))
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    # Nothing but our lines: no traceback, no C library's own complaint.
    assert len(errors) == 3, result.stderr
    for path, line in zip(bad, errors, strict=True):
        assert line.startswith(f"kiosk: error: {path}: "), line
    assert "empty file" in errors[1]
    assert result.stdout.startswith(f"{good}: ")


def test_match_json_lines_per_probe(files: dict[str, Path], tmp_path: Path) -> None:
    import people as P

    hopper = next(p for p in P.people(include_ref=False) if p.name == "grace_hopper")
    reference = tmp_path / "dg2.jpg"
    cv2.imwrite(str(reference), hopper.image(), [cv2.IMWRITE_JPEG_QUALITY, 60])
    live = tmp_path / "live.png"
    cv2.imwrite(str(live), cv2.resize(hopper.image(), None, fx=0.7, fy=0.7))
    wall = tmp_path / "wall.png"
    cv2.imwrite(str(wall), np.full((480, 640, 3), 185, np.uint8))
    result = run_kiosk(
        "biometrics", "match", str(reference), str(live), str(files["good"]), str(wall),
        str(files["junk"]), "--json",
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        result.stderr.strip() == f"kiosk: error: {files['junk']}: cannot read image (not an image)"
    )
    same, other, empty = (json.loads(line) for line in result.stdout.splitlines())
    assert same["decision"] == "match" and same["score"] > same["threshold"]
    assert other["decision"] == "no match" and other["score"] < other["threshold"]
    assert empty["decision"] == "no face" and empty["score"] is None
    for line in (same, other, empty):
        assert line["threshold"] == 0.4
        assert "LFW" in line["operating_point"]["source"]
    human = run_kiosk("biometrics", "match", str(reference), str(live))
    assert human.returncode == 0
    assert human.stdout.startswith(f"{live}: match - score 0.")
    assert "false-match rate" in human.stdout


def test_match_without_a_face_in_the_reference_is_one_line(files: dict[str, Path]) -> None:
    result = run_kiosk("biometrics", "match", str(files["finger"]), str(files["good"]))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"kiosk: error: {files['finger']}: no face found in the reference portrait"
    )
