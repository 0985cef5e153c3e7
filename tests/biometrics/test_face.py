"""Face measures: each test image is built to fail one measure (from skimage's astronaut),
and every instruction on several real people (tests/biometrics/people.py)."""

from __future__ import annotations

import math

import biometrics_images as images
import cv2
import numpy as np
import people as P
import pytest

from biometrics import BiometricsError, landmarks
from biometrics.face import (
    ORDER,
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


def test_off_centre_follows_the_cameras_mirroring(assessor: FaceAssessor) -> None:
    result = assessor.assess(images.frame(dx=150))
    assert result.failing() == ["centring"]
    # Unmirrored camera: a face on the image's right stands to the traveller's left, so
    # they move to their right.
    assert result.instruction == "move to your right"
    assert assessor.assess(images.frame(dx=-150)).instruction == "move to your left"
    mirrored = FaceAssessor(FaceThresholds(mirrored=True))
    assert mirrored.assess(images.frame(dx=150)).instruction == "move to your left"
    assert mirrored.assess(images.frame(dx=-150)).instruction == "move to your right"


@pytest.mark.parametrize("angle", [15, 30])
def test_rolled_head_is_told_to_hold_it_straight(assessor: FaceAssessor, angle: float) -> None:
    result = assessor.assess(images.frame(angle=angle))
    _check(result, "roll", "hold your head straight")
    assert abs(result.measures["roll"].value - angle) < 4


@pytest.mark.parametrize(("yaw", "pitch"), [(0, 0), (20, 0), (-20, 0), (0, 20), (0, -20)])
def test_pose_angles_come_back_from_landmarks(yaw: float, pitch: float) -> None:
    """Project the mean-face points at a known yaw/pitch; the angles are recovered."""
    y, p = math.radians(yaw), math.radians(pitch)

    def project(x: float, down: float, depth: float) -> tuple[float, float]:
        # Rotate about the vertical axis (yaw), then the horizontal one (pitch).
        x1, z1 = x * math.cos(y) + depth * math.sin(y), -x * math.sin(y) + depth * math.cos(y)
        d1 = down * math.cos(p) + z1 * math.sin(p)
        return 300 + 80 * x1, 200 + 80 * d1

    pose = landmarks.pose(
        project(-0.5, 0, 0), project(0.5, 0, 0),
        project(0, landmarks.NOSE_DROP, landmarks.NOSE_DEPTH),
    )  # fmt: skip
    assert abs(pose.roll) < 0.5
    assert abs(pose.yaw - yaw) < 3
    assert abs(pose.pitch - pitch) < 3


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
    assert thresholds_from_dict({"mirrored": True}).mirrored
    with pytest.raises(BiometricsError, match="mirrored must be true or false"):
        thresholds_from_dict({"mirrored": "yes"})
    assert FaceThresholds().min_inter_eye_px < 200


def test_grey_frames_and_bad_frames(assessor: FaceAssessor) -> None:
    grey = cv2.cvtColor(images.frame(), cv2.COLOR_BGR2GRAY)
    assert assessor.assess(grey).passed
    with pytest.raises(BiometricsError):
        assessor.assess(np.zeros((0, 0), np.uint8))
    with pytest.raises(BiometricsError):
        assessor.assess(np.zeros((10, 10), np.float32).astype(np.float32))  # type: ignore[arg-type]


REAL = P.people(include_ref=False)


@pytest.fixture(scope="module")
def sources() -> list[tuple[P.Person, np.ndarray, tuple]]:
    out = []
    for person in REAL:
        img = person.image()
        out.append((person, img, P.landmarks(img)))
    return out


@pytest.mark.parametrize("degradation", P.DEGRADATIONS, ids=lambda d: d.name)
def test_every_instruction_is_right_for_every_person(
    assessor: FaceAssessor,
    sources: list[tuple[P.Person, np.ndarray, tuple]],
    degradation: P.Degradation,
) -> None:
    """Astronaut, Grace Hopper (cap, glasses), Luis Pedro Coelho (head turned in his photo):
    each degraded counter frame gets the instruction its real fault calls for."""
    assert len(sources) >= 3, "scikit-image, matplotlib and mahotas ship the portraits"
    wrong = []
    for k, (person, img, eyes) in enumerate(sources):
        other = sources[(k + 1) % len(sources)]
        got = assessor.assess(degradation.make(img, eyes, [(other[1], other[2])])).instruction
        if got != P.expected(person, degradation):
            wrong.append((person.name, got, P.expected(person, degradation)))
    assert wrong == []


def test_glasses_and_a_cap_do_not_fail_a_good_portrait(
    assessor: FaceAssessor, sources: list[tuple[P.Person, np.ndarray, tuple]]
) -> None:
    hopper = next(s for s in sources if s[0].name == "grace_hopper")
    result = assessor.assess(P.DEGRADATIONS[0].make(hopper[1], hopper[2], []))
    assert result.passed, result.failing()
    assert result.eyes_detected


def test_hold_still_comes_before_open_your_eyes() -> None:
    assert ORDER.index("sharpness") < ORDER.index("eyes_open")
