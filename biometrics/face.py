"""Face quality of camera frames, modelled on ISO/IEC 29794-5 (as in BSI's OFIQ).

Detection uses the Haar cascades that opencv-python-headless 4.x ships (face + open-eye),
so nothing is downloaded at run time. Each measure has a raw value, a 0-100 score and a
pass/fail against `FaceThresholds`; `instruction` is the one thing the officer says next.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from biometrics import BiometricsError
from biometrics.thresholds import FaceThresholds, thresholds_from_dict  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]
Point = tuple[float, float]

# Plain-words instructions, in the order they are given (first failing one wins).
INSTRUCTIONS: dict[str, str] = {
    "face_count": "step in front of the camera",
    "face_count_many": "only one person in front of the camera",
    "inter_eye_distance": "move closer",
    "head_size": "move closer",
    "head_size_big": "move back",
    "crop_margins": "centre your face in the frame",
    "centring_left": "move to your right",
    "centring_right": "move to your left",
    "roll": "keep your head straight",
    "yaw": "look straight at the camera",
    "pitch": "look straight at the camera",
    "pitch_down": "raise your chin",
    "pitch_up": "lower your chin",
    "under_exposure": "more light",
    "over_exposure": "less light",
    "dynamic_range": "more light",
    "illumination_uniformity": "light the face evenly",
    "eyes_open": "open your eyes",
    "sharpness": "hold still",
    "background_uniformity": "stand in front of a plain background",
}
ORDER = (
    "face_count",
    "inter_eye_distance",
    "head_size",
    "crop_margins",
    "centring",
    "roll",
    "yaw",
    "pitch",
    "under_exposure",
    "over_exposure",
    "dynamic_range",
    "illumination_uniformity",
    "eyes_open",
    "sharpness",
    "background_uniformity",
)
READY = "stay like that"
# Seen from the front, the eye line lies this far below the centre of the sphere that the
# head's width at eye level describes (hair included); measured on the test portrait.
FRONTAL_EYE_DROP_DEG = 8.7


@dataclass(frozen=True)
class Measure:
    value: float
    score: int
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": round(float(self.value), 3),
            "score": int(self.score),
            "pass": bool(self.passed),
        }


@dataclass
class FaceAssessment:
    """Every measure of one frame, the overall verdict and the officer's next instruction."""

    measures: dict[str, Measure]
    instruction: str
    faces: int
    face_box: Box | None = None
    eyes: tuple[Point, Point] | None = None
    eyes_detected: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.measures) and all(m.passed for m in self.measures.values())

    @property
    def total_score(self) -> int:
        return sum(m.score for m in self.measures.values())

    def failing(self) -> list[str]:
        return [k for k, m in self.measures.items() if not m.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "faces": self.faces,
            "face_box": [int(v) for v in self.face_box] if self.face_box else None,
            "eyes": [[round(float(v), 1) for v in e] for e in self.eyes] if self.eyes else None,
            "measures": {k: m.to_dict() for k, m in self.measures.items()},
            "verdict": "pass" if self.passed else "fail",
            "instruction": self.instruction,
        }


def _score_min(value: float, limit: float) -> int:
    """100 at or above twice the limit, 50 at the limit, 0 at zero."""
    return int(np.clip(value / (2 * limit) * 100, 0, 100)) if limit > 0 else 100


def _score_max(value: float, limit: float) -> int:
    """100 at zero, 50 at the limit, 0 at twice the limit."""
    return int(np.clip(100 - value / (2 * limit) * 100, 0, 100)) if limit > 0 else 0


def _measure_min(value: float, limit: float) -> Measure:
    return Measure(float(value), _score_min(value, limit), bool(value >= limit))


def _measure_max(value: float, limit: float) -> Measure:
    return Measure(float(value), _score_max(value, limit), bool(value <= limit))


def to_gray(frame: Image) -> Image:
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 3:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    raise BiometricsError(f"unsupported frame shape {frame.shape}")


class FaceAssessor:
    """Loads the cascades once; `assess(frame)` is safe to call from one worker thread."""

    DETECT_WIDTH = 320

    def __init__(self, thresholds: FaceThresholds | None = None) -> None:
        self.t = thresholds or FaceThresholds()
        base = cv2.data.haarcascades  # type: ignore[attr-defined]
        self._face = cv2.CascadeClassifier(base + "haarcascade_frontalface_default.xml")
        self._eye = cv2.CascadeClassifier(base + "haarcascade_eye.xml")
        if self._face.empty() or self._eye.empty():
            raise BiometricsError(f"OpenCV's Haar cascades are missing under {base}")

    # -- detection ----------------------------------------------------------------------
    def detect_faces(self, gray: Image) -> list[Box]:
        scale = self.DETECT_WIDTH / gray.shape[1]
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        # Faces under ~1/6 of the frame height are too far to capture anyway.
        found = self._face.detectMultiScale(small, 1.15, 4, minSize=(40, 40))
        boxes: list[Box] = [
            (round(a / scale), round(b / scale), round(c / scale), round(d / scale))
            for a, b, c, d in found
        ]
        return sorted(boxes, key=lambda box: -box[2] * box[3])

    def detect_eyes(self, gray: Image, box: Box) -> tuple[tuple[Point, Point], bool]:
        """Eye centres (image-left first); estimated from the face box when not found."""
        x, y, w, h = box
        roi = gray[y : y + int(h * 0.6), x : x + w]
        scale = 160.0 / max(w, 1)
        roi_s = cv2.resize(roi, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        found = self._eye.detectMultiScale(roi_s, 1.1, 4, minSize=(18, 18), maxSize=(48, 48))
        left = [e for e in found if e[0] + e[2] / 2 < roi_s.shape[1] / 2]
        right = [e for e in found if e[0] + e[2] / 2 >= roi_s.shape[1] / 2]
        if left and right:
            le = max(left, key=lambda e: e[2])
            re = max(right, key=lambda e: e[2])
            pts = [(x + (e[0] + e[2] / 2) / scale, y + (e[1] + e[3] / 2) / scale) for e in (le, re)]
            return (pts[0], pts[1]), True
        # Typical eye positions inside a Haar frontal face box.
        return ((x + 0.3 * w, y + 0.38 * h), (x + 0.7 * w, y + 0.38 * h)), False

    # -- assessment ---------------------------------------------------------------------
    def assess(self, frame: Image) -> FaceAssessment:
        """All measures of one frame (BGR or grey), with timings per step in milliseconds."""
        if frame.size == 0 or frame.dtype != np.uint8:
            raise BiometricsError("frame must be a non-empty 8-bit image")
        timings: dict[str, float] = {}
        t0 = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal t0
            now = time.perf_counter()
            timings[name] = round((now - t0) * 1000, 3)
            t0 = now

        gray = to_gray(frame)
        fh, fw = gray.shape
        faces = self.detect_faces(gray)
        lap("detection")
        measures: dict[str, Measure] = {}
        n = len(faces)
        measures["face_count"] = Measure(float(n), 100 if n == 1 else 0, n == 1)
        if n == 0:
            return FaceAssessment(measures, INSTRUCTIONS["face_count"], 0, timings_ms=timings)
        box = faces[0]
        (le, re), eyes_found = self.detect_eyes(gray, box)
        lap("eyes")
        x, y, w, h = box
        t = self.t

        ied = math.hypot(re[0] - le[0], re[1] - le[1])
        measures["inter_eye_distance"] = _measure_min(ied, t.min_inter_eye_px)
        lap("inter_eye_distance")

        ratio = h / fh
        lo, hi = t.min_head_ratio, t.max_head_ratio
        centre = (lo + hi) / 2
        measures["head_size"] = Measure(
            ratio,
            int(np.clip(100 - abs(ratio - centre) / (hi - lo) * 100, 0, 100)),
            lo <= ratio <= hi,
        )
        lap("head_size")

        mid = ((le[0] + re[0]) / 2, (le[1] + re[1]) / 2)
        region = head_region(le, re)
        margin = min(
            region[0], region[1], fw - (region[0] + region[2]), fh - (region[1] + region[3])
        )
        rel = margin / max(region[2], 1)
        measures["crop_margins"] = Measure(rel, int(np.clip(50 + rel * 250, 0, 100)), rel >= 0)
        too_big = region[2] > fw or region[3] > fh
        lap("crop_margins")

        offset = (mid[0] - fw / 2) / fw
        measures["centring"] = _measure_max(abs(offset), t.max_centre_offset)
        lap("centring")

        roll = math.degrees(math.atan2(re[1] - le[1], re[0] - le[0]))
        measures["roll"] = _measure_max(abs(roll), t.max_roll_deg)
        lap("roll")

        # Yaw and pitch from where the eyes sit inside the head. With a plain background the
        # head's silhouette is found (the outline stays put while the features move as the
        # head turns or nods) and the head is taken as a sphere whose radius is its half
        # width at eye level; otherwise the Haar face box stands in for it (a frontal face
        # has the eye midpoint on the box's axis at ~38% of its height).
        span = _head_span(gray, box, int(mid[1]))
        crown = _head_top(gray, mid[0], int(mid[1]), w) if span is not None else None
        if span is not None:
            half = (span[1] - span[0]) / 2
            shift = (mid[0] - (span[0] + span[1]) / 2) / max(half, 1.0)
        else:
            shift = 2 * (mid[0] - (x + w / 2)) / w
        yaw = math.degrees(math.asin(float(np.clip(shift, -1, 1))))
        measures["yaw"] = _measure_max(abs(yaw), t.max_yaw_deg)
        # A crown within a fifth of the face box's height above it is the forehead against
        # a wall as bright as the hair (fair hair, over-exposure): the box is used instead.
        if span is not None and crown is not None and crown < y - 0.2 * h:
            drop = (mid[1] - crown) / max(half, 1.0) - 1  # sine of the eyes' latitude
            pitch = math.degrees(math.asin(float(np.clip(drop, -1, 1)))) - FRONTAL_EYE_DROP_DEG
        else:
            pitch = math.degrees(math.asin(float(np.clip(2 * ((mid[1] - y) / h - 0.38), -1, 1))))
        measures["pitch"] = _measure_max(abs(pitch), t.max_pitch_deg)
        lap("yaw_pitch")

        face = gray[y : y + h, x : x + w]
        face_s = cv2.resize(face, (128, int(128 * h / max(w, 1))), interpolation=cv2.INTER_AREA)
        inner = face_s[int(face_s.shape[0] * 0.15) : int(face_s.shape[0] * 0.9), 16:112]
        # Laplacian energy relative to the face's own contrast, so that dim or flat light
        # reads as an exposure problem and not as blur.
        sharp = 100.0 * float(cv2.Laplacian(inner, cv2.CV_64F).var()) / max(float(inner.var()), 1.0)
        measures["sharpness"] = _measure_min(sharp, t.min_sharpness)
        lap("sharpness")

        mean = float(inner.mean())
        measures["under_exposure"] = _measure_min(mean, t.min_brightness)
        saturated = float((inner >= 250).mean())
        measures["over_exposure"] = _measure_max(saturated, t.max_saturated)
        p5, p95 = np.percentile(inner, (5, 95))
        measures["dynamic_range"] = _measure_min(float(p95 - p5), t.min_dynamic_range)
        lap("exposure")

        half = inner.shape[1] // 2
        a, b = float(inner[:, :half].mean()), float(inner[:, half:].mean())
        uniform = min(a, b) / max(a, b, 1e-6)
        measures["illumination_uniformity"] = _measure_min(uniform, t.min_uniformity)
        lap("illumination_uniformity")

        measures["background_uniformity"] = _measure_max(
            _background_std(gray, box), t.max_background_std
        )
        lap("background_uniformity")

        eyes_open = 2.0 if eyes_found else 0.0
        measures["eyes_open"] = Measure(
            eyes_open, int(eyes_open * 50), eyes_open >= t.min_eyes_open
        )
        lap("eyes_open")

        instruction = self._instruction(measures, n, offset, ratio, too_big, pitch)
        return FaceAssessment(
            measures, instruction, n, box, (le, re), eyes_found, timings_ms=timings
        )

    def _instruction(
        self,
        measures: dict[str, Measure],
        n: int,
        offset: float,
        ratio: float,
        too_big: bool,
        pitch: float,
    ) -> str:
        """The first failing measure in ORDER decides; one instruction at a time."""
        for name in ORDER:
            m = measures.get(name)
            if m is None or m.passed:
                continue
            if name == "face_count":
                return INSTRUCTIONS["face_count_many" if n > 1 else "face_count"]
            if (name == "head_size" and ratio > self.t.max_head_ratio) or (
                name == "crop_margins" and too_big
            ):
                return INSTRUCTIONS["head_size_big"]
            if name == "centring":
                # Camera image is not mirrored: image-left is the traveller's right.
                return INSTRUCTIONS["centring_left" if offset < 0 else "centring_right"]
            if name == "pitch":
                # Positive pitch: the eyes sit low in the head, the chin is down.
                return INSTRUCTIONS["pitch_down" if pitch > 0 else "pitch_up"]
            return INSTRUCTIONS[name]
        return READY


def _head_span(gray: Image, box: Box, row: int) -> tuple[float, float] | None:
    """Left and right edge of the head on one row, found against a plain background.

    None when the background beside the head is not plain enough to tell the head from it.
    """
    fw = gray.shape[1]
    x, _y, w, _h = box
    lo, hi = max(0, x - w), min(fw, x + 2 * w)
    band = gray[max(0, row - 2) : row + 3, lo:hi].astype(np.float64).mean(axis=0)
    if band.size < 16:
        return None
    idx = _off_wall(band, np.concatenate([band[:6], band[-6:]]))
    if idx is None or idx.size < w // 2:
        return None
    return float(lo + idx[0]), float(lo + idx[-1])


def _head_top(gray: Image, column: float, eye_row: int, face_width: int) -> float | None:
    """The first row of the head above the eyes, in a band of columns around `column`.

    None when the head touches the top of the frame or the wall above it is not plain.
    """
    half = max(int(face_width * 0.15), 2)
    c = int(column)
    band = gray[:eye_row, max(0, c - half) : c + half].astype(np.float64).mean(axis=1)
    if band.size < 16:
        return None
    idx = _off_wall(band, band[:6])
    if idx is None or idx.size == 0 or idx[0] < 6:
        return None
    return float(idx[0])


def _off_wall(
    band: npt.NDArray[np.float64], wall: npt.NDArray[np.float64]
) -> npt.NDArray[Any] | None:
    """Indices of `band` whose grey level is not the wall's; None when the `wall` samples
    are not plain enough to tell the head from it."""
    if wall.std() > 12:
        return None
    return np.flatnonzero(np.abs(band - np.median(wall)) > 20)


def _background_std(gray: Image, box: Box) -> float:
    """Luminance spread in the strips beside and above the head (outside a widened box)."""
    fw = gray.shape[1]
    x, y, w, h = box
    x0, x1 = max(0, x - w // 2), min(fw, x + w + w // 2)
    y0 = max(0, y - h // 2)
    strips = []
    if x0 > 8:
        strips.append(gray[y0 : y + h, :x0].ravel())
    if fw - x1 > 8:
        strips.append(gray[y0 : y + h, x1:].ravel())
    if y0 > 8:
        strips.append(gray[:y0, x0:x1].ravel())
    if not strips:
        return 0.0
    pixels = np.concatenate(strips)[::4]
    return float(pixels.std())


def portrait_rect(left_eye: Point, right_eye: Point) -> Box:
    """The ISO/IEC 19794-5 token frame around two eyes: width A = 4 x IED, height A / 0.75,
    eye midpoint at (A/2, 0.6 A) from the top-left corner."""
    ied = max(math.hypot(right_eye[0] - left_eye[0], right_eye[1] - left_eye[1]), 1.0)
    a = 4.0 * ied
    mx, my = (left_eye[0] + right_eye[0]) / 2, (left_eye[1] + right_eye[1]) / 2
    return (round(mx - a / 2), round(my - 0.6 * a), round(a), round(a / 0.75))


def head_region(left_eye: Point, right_eye: Point) -> Box:
    """The part of the token frame that must be real pixels: the whole head with a margin
    (1.6 IED either side of the eyes, 2.0 IED above them, 2.6 IED below). The rest of the
    token frame may be padded from the background when the portrait is cut."""
    ied = max(math.hypot(right_eye[0] - left_eye[0], right_eye[1] - left_eye[1]), 1.0)
    mx, my = (left_eye[0] + right_eye[0]) / 2, (left_eye[1] + right_eye[1]) / 2
    return (int(mx - 1.6 * ied), int(my - 2.0 * ied), int(3.2 * ied), int(4.6 * ied))
