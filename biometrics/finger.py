"""Fingerprint quality with NIST's NFIQ 2 (through `nbis-py`) and the capture policy.

NFIQ 2 is the score border systems expect; `nbis-py` bundles NIST's NBIS and NFIQ 2 (with
its embedded random-forest model) so no model is fetched at run time. We never substitute a
home-made score for it: if the binding is missing, assessment raises BiometricsError.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from biometrics import BiometricsError
from biometrics.native import quiet_stderr

log = logging.getLogger(__name__)

Gray = npt.NDArray[np.uint8]


class FingerPosition(enum.IntEnum):
    """ANSI/NIST-ITL finger position codes (Table 8)."""

    UNKNOWN = 0
    RIGHT_THUMB = 1
    RIGHT_INDEX = 2
    RIGHT_MIDDLE = 3
    RIGHT_RING = 4
    RIGHT_LITTLE = 5
    LEFT_THUMB = 6
    LEFT_INDEX = 7
    LEFT_MIDDLE = 8
    LEFT_RING = 9
    LEFT_LITTLE = 10
    PLAIN_RIGHT_FOUR = 13
    PLAIN_LEFT_FOUR = 14
    PLAIN_THUMBS = 15


class FingerException(enum.Enum):
    """Why a finger could not be captured; kept as data in the record, not as a failure."""

    AMPUTATED = "amputated"
    BANDAGED = "bandaged"
    UNABLE = "unable"

    @property
    def ansi_code(self) -> str:
        """ANSI/NIST-ITL amputated-or-bandaged code (field 14.018): XX amputated, UP otherwise."""
        return "XX" if self is FingerException.AMPUTATED else "UP"


@dataclass(frozen=True)
class FingerQuality:
    """NFIQ 2 result of one image: the 0-100 score, pass/fail and NFIQ 2's actionable hints."""

    score: int
    threshold: int
    actionable: dict[str, float]
    minutiae: int
    seconds: float

    @property
    def passed(self) -> bool:
        return self.score >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "measures": {
                "nfiq2": {"value": self.score, "score": self.score, "pass": self.passed},
                "minutiae": {
                    "value": self.minutiae,
                    "score": min(100, self.minutiae * 100 // 40),
                    "pass": self.minutiae >= 12,
                },
            },
            "nfiq2_actionable": self.actionable,
            "verdict": "pass" if self.passed else "fail",
            "nfiq2_seconds": round(self.seconds, 4),
        }


def _extractor(ppi: float) -> Any:
    try:
        import nbis
    except ImportError as exc:  # pragma: no cover - nbis-py is a declared dependency
        raise BiometricsError(f"NFIQ 2 is unavailable: nbis-py is not installed ({exc})") from exc
    # NFIQ 2's own fingerprint check on: a face photo or a coffee cup scores 0, not 30.
    settings = nbis.NbisExtractorSettings(
        min_quality=0.0, get_center=False, check_fingerprint=True, compute_nfiq2=True, ppi=ppi
    )
    return nbis.new_nbis_extractor(settings)


class FingerAssessor:
    """Runs NFIQ 2 on grey images; one instance reuses NIST's extractor between images."""

    def __init__(self, threshold: int = 40, ppi: float = 500.0) -> None:
        if not 0 <= threshold <= 100:
            raise BiometricsError(f"NFIQ 2 threshold must be 0-100, got {threshold}")
        self.threshold = threshold
        self.ppi = ppi
        self._ex = _extractor(ppi)

    def assess(self, image: Gray) -> FingerQuality:
        """NFIQ 2 of an 8-bit grey fingerprint image (dark ridges on light background)."""
        if image.ndim != 2 or image.dtype != np.uint8:
            raise BiometricsError("fingerprint image must be 8-bit greyscale")
        if min(image.shape) < 64:
            raise BiometricsError(f"fingerprint image too small: {image.shape[1]}x{image.shape[0]}")
        ok, png = cv2.imencode(".png", image)
        if not ok:
            raise BiometricsError("could not encode the fingerprint image for NFIQ 2")
        start = time.perf_counter()
        try:
            with quiet_stderr():
                minutiae = self._ex.extract_minutiae(png.tobytes())
                result = minutiae.quality()
                count = len(minutiae.get())
        except Exception as exc:  # nbis raises its own hierarchy of Rust-side errors
            if type(exc).__module__.startswith("nbis"):
                # NFIQ 2 refuses blank/uniform images; that is a score of 0, not a crash.
                log.info("NFIQ 2 refused the image: %s", type(exc).__name__)
                return FingerQuality(0, self.threshold, {"refused": 1.0}, 0, 0.0)
            raise
        seconds = time.perf_counter() - start
        actionable = {v.name: float(v.value) for v in result.actionable}
        return FingerQuality(int(result.score), self.threshold, actionable, count, seconds)


@dataclass
class FingerCapture:
    """Outcome of the capture policy for one finger position."""

    position: FingerPosition
    best_image: Gray | None = None
    best: FingerQuality | None = None
    attempts: int = 0
    exception: FingerException | None = None
    scores: list[int] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.exception is not None or (self.best is not None and self.best.passed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": int(self.position),
            "position_name": self.position.name.lower(),
            "attempts": self.attempts,
            "scores": self.scores,
            "best_score": self.best.score if self.best else None,
            "passed": bool(self.best and self.best.passed),
            "exception": self.exception.value if self.exception else None,
            "exception_code": self.exception.ansi_code if self.exception else None,
        }


class CapturePolicy:
    """Up to `max_attempts` per finger, keeping the best NFIQ 2; stop early once it passes."""

    def __init__(self, assessor: FingerAssessor, max_attempts: int = 3) -> None:
        if max_attempts < 1:
            raise BiometricsError(f"max_attempts must be at least 1, got {max_attempts}")
        self.assessor = assessor
        self.max_attempts = max_attempts
        self._captures: dict[FingerPosition, FingerCapture] = {}

    def capture(self, position: FingerPosition) -> FingerCapture:
        return self._captures.setdefault(position, FingerCapture(position))

    def offer(self, position: FingerPosition, image: Gray) -> FingerCapture:
        """Score one attempt; returns the capture state (check `.done` / `.attempts`)."""
        cap = self.capture(position)
        if cap.exception is not None:
            raise BiometricsError(f"{position.name.lower()} is recorded as {cap.exception.name}")
        if cap.attempts >= self.max_attempts:
            raise BiometricsError(
                f"{position.name.lower()}: all {self.max_attempts} attempts used; "
                "keep the best or record an exception"
            )
        quality = self.assessor.assess(image)
        cap.attempts += 1
        cap.scores.append(quality.score)
        if cap.best is None or quality.score > cap.best.score:
            cap.best, cap.best_image = quality, image
        return cap

    def exhausted(self, position: FingerPosition) -> bool:
        cap = self.capture(position)
        return cap.attempts >= self.max_attempts and not cap.done

    def record_exception(self, position: FingerPosition, reason: FingerException) -> FingerCapture:
        """Amputated, bandaged or unable: kept as data in the record, not as a failure."""
        cap = self.capture(position)
        cap.exception = reason
        return cap

    def results(self) -> list[FingerCapture]:
        return [self._captures[p] for p in sorted(self._captures)]
