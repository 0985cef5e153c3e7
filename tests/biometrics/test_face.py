"""Face measures: each test image is built to fail one measure (from skimage's astronaut)."""

from __future__ import annotations

import biometrics_images as images
import cv2
import numpy as np
import pytest

from biometrics import BiometricsError
from biometrics.face import (
    READY,
    FaceAssessment,
    FaceAssessor,
    FaceThresholds,
    thresholds_from_dict,
)


@pytest.fixture(scope="module")
def assessor() -> FaceAssessor:
    return FaceAssessor()


@pytest.fixture(scope="module")
def good(assessor: FaceAssessor) -> tuple[np.ndarray, FaceAssessment]:
    frame = images.frame()
    return frame, assessor.assess(frame)


def test_good_frame_passes_every_measure(good: tuple[np.ndarray, FaceAssessment]) -> None:
    _frame, result = good
    assert result.faces == 1
    assert result.eyes_detected
    assert result.failing() == []
    assert result.passed
    assert result.instruction == READY
    expected = {
        "face_count", "inter_eye_distance", "head_size", "crop_margins", "centring", "roll",
        "yaw", "pitch", "sharpness", "under_exposure", "over_exposure", "dynamic_range",
        "illumination_uniformity", "background_uniformity", "eyes_open",
    }  # fmt: skip
    assert set(result.measures) == expected
    for m in result.measures.values():
        assert 0 <= m.score <= 100


def _check(result: FaceAssessment, measure: str, instruction: str) -> None:
    assert measure in result.failing(), result.to_dict()
    assert result.instruction == instruction


def test_no_face(assessor: FaceAssessor) -> None:
    blank = np.full((480, 640, 3), images.BACKGROUND, np.uint8)
    result = assessor.assess(blank)
    assert result.faces == 0
    _check(result, "face_count", "step in front of the camera")
    assert not result.passed


def test_two_faces(assessor: FaceAssessor) -> None:
    result = assessor.assess(images.frame(scale=1.3, heads=2))
    assert result.faces == 2
    _check(result, "face_count", "only one person in front of the camera")


def test_too_dark(assessor: FaceAssessor, good: tuple[np.ndarray, FaceAssessment]) -> None:
    dark = (good[0] * 0.22).astype(np.uint8)
    result = assessor.assess(dark)
    _check(result, "under_exposure", "more light")
    assert result.measures["sharpness"].passed  # dim light is not mistaken for blur


def test_over_exposed(assessor: FaceAssessor, good: tuple[np.ndarray, FaceAssessment]) -> None:
    bright = np.clip(good[0].astype(np.int16) + 110, 0, 255).astype(np.uint8)
    _check(assessor.assess(bright), "over_exposure", "less light")


def test_blurred(assessor: FaceAssessor, good: tuple[np.ndarray, FaceAssessment]) -> None:
    result = assessor.assess(cv2.GaussianBlur(good[0], (0, 0), 3.5))
    assert result.failing() == ["sharpness"]
    assert result.instruction == "hold still"


def test_low_contrast(assessor: FaceAssessor, good: tuple[np.ndarray, FaceAssessment]) -> None:
    flat = np.clip((good[0].astype(np.float64) - 150) * 0.35 + 150, 0, 255).astype(np.uint8)
    result = assessor.assess(flat)
    assert "dynamic_range" in result.failing()
    assert result.measures["dynamic_range"].value < good[1].measures["dynamic_range"].value / 2
    assert result.instruction == "more light"


def test_off_centre(assessor: FaceAssessor) -> None:
    result = assessor.assess(images.frame(dx=150))
    assert result.failing() == ["centring"]
    # The camera does not mirror: a face on the image's right stands to the traveller's left.
    assert result.instruction == "move to your left"
    result = assessor.assess(images.frame(dx=-150))
    assert result.instruction == "move to your right"


def test_rolled(assessor: FaceAssessor) -> None:
    result = assessor.assess(images.frame(angle=20))
    _check(result, "roll", "keep your head straight")
    assert result.measures["roll"].value > 12


@pytest.mark.parametrize("shift", [60, -60])
def test_turned_head(
    assessor: FaceAssessor, good: tuple[np.ndarray, FaceAssessment], shift: float
) -> None:
    frame, result = good
    assert result.face_box is not None
    turned = assessor.assess(images.turned(frame, result.face_box, shift))
    assert turned.failing() == ["yaw"]
    assert turned.instruction == "look straight at the camera"
    assert turned.measures["yaw"].value > 12


@pytest.mark.parametrize(
    ("shift", "instruction"), [(-50, "lower your chin"), (40, "raise your chin")]
)
def test_nodded_head(assessor: FaceAssessor, shift: float, instruction: str) -> None:
    frame = images.frame(scale=1.8)
    level = assessor.assess(frame)
    assert level.face_box is not None
    assert level.measures["pitch"].value < 5
    nodded = assessor.assess(images.nodded(frame, level.face_box, shift))
    assert nodded.failing() == ["pitch"]
    assert nodded.instruction == instruction
    assert nodded.measures["pitch"].value > 12


def test_too_far(assessor: FaceAssessor) -> None:
    _check(assessor.assess(images.frame(scale=1.0)), "head_size", "move closer")


def test_too_close(assessor: FaceAssessor) -> None:
    _check(assessor.assess(images.frame(scale=3.2)), "crop_margins", "move back")


def test_uneven_light(assessor: FaceAssessor, good: tuple[np.ndarray, FaceAssessment]) -> None:
    frame, result = good
    assert result.face_box is not None
    side_lit = images.uneven(frame, result.face_box)
    _check(assessor.assess(side_lit), "illumination_uniformity", "light the face evenly")


def test_busy_background(assessor: FaceAssessor, good: tuple[np.ndarray, FaceAssessment]) -> None:
    result = assessor.assess(images.busy_background(good[0]))
    _check(result, "background_uniformity", "stand in front of a plain background")


def test_eyes_closed(assessor: FaceAssessor, good: tuple[np.ndarray, FaceAssessment]) -> None:
    frame, result = good
    assert result.eyes is not None
    _check(assessor.assess(images.eyes_closed(frame, result.eyes)), "eyes_open", "open your eyes")


def test_thresholds_are_configurable(good: tuple[np.ndarray, FaceAssessment]) -> None:
    strict = FaceAssessor(thresholds_from_dict({"min_inter_eye_px": 200}))
    result = strict.assess(good[0])
    _check(result, "inter_eye_distance", "move closer")
    with pytest.raises(BiometricsError, match="unknown face threshold"):
        thresholds_from_dict({"min_iris": 3})
    assert FaceThresholds().min_inter_eye_px < 200


def test_grey_frames_and_bad_frames(assessor: FaceAssessor) -> None:
    grey = cv2.cvtColor(images.frame(), cv2.COLOR_BGR2GRAY)
    assert assessor.assess(grey).passed
    with pytest.raises(BiometricsError):
        assessor.assess(np.zeros((0, 0), np.uint8))
    with pytest.raises(BiometricsError):
        assessor.assess(np.zeros((10, 10), np.float32).astype(np.float32))  # type: ignore[arg-type]
