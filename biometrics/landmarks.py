"""Faces and their 5 landmarks, and head pose from them (dlib, models from a PyPI package).

The detector is dlib's HOG frontal-face detector (built into dlib, no model file). The 5-point
landmarks (two corners of each eye, the base of the nose) come from dlib's
`shape_predictor_5_face_landmarks.dat`, which PyPI's `face-recognition-models` ships; the
file is found inside the installed package and checked against its SHA-256 before it is
loaded, so nothing is downloaded and no other file (in particular not the 68-point model,
whose training data forbids commercial use) can be loaded by mistake.

Landmarks, not eye detectors: the eye corners and nose are found by a regression from the
whole face, so glasses, a cap or a headscarf do not move them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from biometrics import BiometricsError

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]
Point = tuple[float, float]

MODEL_PACKAGE = "face_recognition_models"
MODELS_5 = "shape_predictor_5_face_landmarks.dat"
# The only model files we load, by SHA-256 (face-recognition-models 0.3.0). Their licences
# are in docs/biometrics.md.
MODELS: dict[str, str] = {
    MODELS_5: ("c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"),
    "dlib_face_recognition_resnet_model_v1.dat": (
        "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
    ),
    "mmod_human_face_detector.dat": (
        "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6"
    ),
}

# Mean-face geometry in units of the eye-centre distance (IED), from adult anthropometric
# averages (pupils ~63 mm apart; the base of the nose ~45 mm below the eye line and ~22 mm
# in front of the eye centres). Used only to turn landmark offsets into angles; person-to-
# person spread of these proportions is the limit of 5-point pose (docs/biometrics.md).
NOSE_DROP = 0.72
NOSE_DEPTH = 0.35


def model_path(name: str) -> Path:
    """The path of one model file inside the installed `face-recognition-models`, verified."""
    if name not in MODELS:
        raise BiometricsError(f"{name} is not a model this kiosk may load")
    return _verified(name)


@cache
def _verified(name: str) -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BiometricsError(
            "the face models are missing: install the PyPI package face-recognition-models"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise BiometricsError(f"cannot read the face model {path}: {exc.strerror}") from exc
    if digest != MODELS[name]:
        raise BiometricsError(f"{path} is not the expected model file (SHA-256 {digest[:12]}...)")
    return path


def _dlib() -> Any:
    try:
        import dlib
    except ImportError as exc:  # pragma: no cover - dlib-bin is a declared dependency
        raise BiometricsError(f"dlib is not installed ({exc}); install dlib-bin") from exc
    return dlib


@dataclass(frozen=True)
class Landmarks:
    """One face: its detector box and 5 points in image pixels.

    `points`: outer and inner corner of the image-right eye, outer and inner corner of the
    image-left eye, base of the nose (dlib's 5-point order). `left_eye` is the eye on the
    image's left (the traveller's right eye on an unmirrored camera).
    """

    box: Box
    points: tuple[Point, Point, Point, Point, Point]
    detector_score: float
    shape: Any = None  # dlib's full_object_detection, for the face descriptor

    @property
    def left_eye(self) -> Point:
        (ax, ay), (bx, by) = self.points[2], self.points[3]
        return ((ax + bx) / 2, (ay + by) / 2)

    @property
    def right_eye(self) -> Point:
        (ax, ay), (bx, by) = self.points[0], self.points[1]
        return ((ax + bx) / 2, (ay + by) / 2)

    @property
    def nose(self) -> Point:
        return self.points[4]

    @property
    def eye_distance(self) -> float:
        return math.dist(self.left_eye, self.right_eye)

    def pose(self) -> Pose:
        return pose(self.left_eye, self.right_eye, self.nose)


@dataclass(frozen=True)
class Pose:
    """Head angles in degrees. roll > 0: the image-right eye is lower; yaw > 0: the nose
    points to the image's right; pitch > 0: the chin is down."""

    roll: float
    yaw: float
    pitch: float


def pose(left_eye: Point, right_eye: Point, nose: Point) -> Pose:
    """Roll from the eye line; yaw and pitch from where the base of the nose sits relative to
    the eyes, in the head's own frame (roll removed), on the mean-face model above."""
    dx, dy = right_eye[0] - left_eye[0], right_eye[1] - left_eye[1]
    ied = max(math.hypot(dx, dy), 1.0)
    roll = math.atan2(dy, dx)
    mid = ((left_eye[0] + right_eye[0]) / 2, (left_eye[1] + right_eye[1]) / 2)
    vx, vy = nose[0] - mid[0], nose[1] - mid[1]
    c, s = math.cos(-roll), math.sin(-roll)
    across, down = (vx * c - vy * s) / ied, (vx * s + vy * c) / ied
    # Turning by yaw moves the nose (NOSE_DEPTH in front of the eyes) sideways by
    # NOSE_DEPTH sin(yaw) while the eye distance shrinks by cos(yaw): solve for yaw.
    yaw = math.atan2(across, NOSE_DEPTH)
    # Nodding by pitch: the nose base drops NOSE_DROP cos(p) + NOSE_DEPTH sin(p) below the
    # eye line; the eye distance is unchanged.
    radius = math.hypot(NOSE_DROP, NOSE_DEPTH)
    ratio = float(np.clip(down * math.cos(yaw) / radius, -1.0, 1.0))
    pitch = math.asin(ratio) - math.atan2(NOSE_DROP, NOSE_DEPTH)
    return Pose(math.degrees(roll), math.degrees(yaw), math.degrees(pitch))


@cache
def _shape_predictor() -> Any:
    """The 5-point model, loaded once per process (12 MB resident): the assessor's and the
    matcher's finders share it (dlib's predictor is read-only once loaded)."""
    return _dlib().shape_predictor(str(model_path(MODELS_5)))


class FaceFinder:
    """dlib's HOG detector plus the 5-point landmark model; one instance per thread.

    Frames wider than `detect_width` are searched on a copy scaled down to it (the HOG
    detector finds faces from ~80 px wide, i.e. an eye distance from ~30 px at 640 px).
    """

    def __init__(self, detect_width: int = 640) -> None:
        dlib = _dlib()
        self.detect_width = detect_width
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = _shape_predictor()
        self._rect = dlib.rectangle
        self._lock = threading.Lock()

    def find(
        self, gray: Image, upsample: int = 0, quick: bool = False, near: Box | None = None
    ) -> list[Landmarks]:
        """Every face in a grey image, largest first, each with its 5 landmarks.

        `quick`: search a half-size copy first (a quarter of the work), and the full size
        only when nothing is found there. The half-size search finds faces from ~160 px
        (an eye distance from ~60 px at 640 px wide), so a smaller face *beside* a larger
        one is missed: live streams (`biometrics.stream`) alternate it with full searches.
        With `near` (the face's box in the previous frame of a stream), a quick search
        that found nothing at half size looks around that box before searching the whole
        frame at full size: a far traveller (too small for the half-size search) is then
        found at a small fixed cost, the region scaled so the face is ~110 px wide (the
        detector's window is 80).
        """
        if gray.ndim != 2 or gray.dtype != np.uint8:
            raise BiometricsError("face detection needs an 8-bit grey image")
        scale = min(1.0, self.detect_width / gray.shape[1])
        if quick and upsample == 0:
            found = self._find(gray, scale / 2)
            if not found and near is not None:
                found = self._find_near(gray, near)
            if found:
                return found
        return self._find(gray, scale, upsample)

    def _find_near(self, gray: Image, box: Box) -> list[Landmarks]:
        x, y, w, h = box
        side = max(w, h, 1)
        cx, cy = x + w / 2, y + h / 2
        # 0.4 of the face's size on each side: room for a frame's movement and the
        # detector's context around the face.
        reach = 0.9 * side
        x0, y0 = max(0, int(cx - reach)), max(0, int(cy - reach))
        x1, y1 = min(gray.shape[1], int(cx + reach)), min(gray.shape[0], int(cy + reach))
        if x1 - x0 < 0.8 * side or y1 - y0 < 0.8 * side:
            return []
        return self._find(gray, min(1.0, 110.0 / side), region=(x0, y0, x1, y1))

    def _find(
        self,
        gray: Image,
        scale: float,
        upsample: int = 0,
        region: tuple[int, int, int, int] | None = None,
    ) -> list[Landmarks]:
        """Faces found in `gray` (or its `region`: x0, y0, x1, y1) scaled by `scale`;
        landmarks always fitted on the full-resolution image."""
        x0, y0, x1, y1 = region or (0, 0, gray.shape[1], gray.shape[0])
        part = gray[y0:y1, x0:x1]
        small = (
            part
            if scale == 1.0
            else cv2.resize(part, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        with self._lock:
            rects, scores, _kinds = self._detector.run(np.ascontiguousarray(small), upsample, 0.0)
            found = []
            for rect, score in zip(rects, scores, strict=True):
                full = self._rect(
                    x0 + round(rect.left() / scale),
                    y0 + round(rect.top() / scale),
                    x0 + round(rect.right() / scale),
                    y0 + round(rect.bottom() / scale),
                )
                shape = self._predictor(gray, full)
                pts = tuple((float(p.x), float(p.y)) for p in shape.parts())
                box = (full.left(), full.top(), full.width(), full.height())
                found.append(Landmarks(box, pts, float(score), shape))  # type: ignore[arg-type]
        return sorted(found, key=lambda f: -f.box[2] * f.box[3])
