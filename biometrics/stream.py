"""Live feedback over a stream of frames: one instruction, best-frame window, auto-capture."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics import BiometricsError
from biometrics.face import FaceAssessment, FaceAssessor

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Capture:
    """The frame kept for the record; `manual` marks an officer override of failing checks."""

    frame: Image
    assessment: FaceAssessment
    manual: bool

    @property
    def failing(self) -> list[str]:
        return self.assessment.failing()


@dataclass(frozen=True)
class StreamUpdate:
    assessment: FaceAssessment
    instruction: str
    capture: Capture | None


class FaceStream:
    """Feed frames in; auto-captures the best frame once `stable` consecutive frames pass.

    Keeps the last `window` frames so a manual capture can still pick the best of them.
    """

    def __init__(self, assessor: FaceAssessor, window: int = 15, stable: int = 3) -> None:
        if window < 1 or stable < 1 or stable > window:
            raise BiometricsError("need 1 <= stable <= window")
        self.assessor = assessor
        self.stable = stable
        self._window: deque[tuple[Image, FaceAssessment]] = deque(maxlen=window)
        self._passing = 0
        self.captured: Capture | None = None

    def feed(self, frame: Image) -> StreamUpdate:
        assessment = self.assessor.assess(frame)
        self._window.append((frame, assessment))
        self._passing = self._passing + 1 if assessment.passed else 0
        capture = None
        if self.captured is None and self._passing >= self.stable:
            capture = self._best(manual=False)
            self.captured = capture
            log.info("auto-capture after %d passing frames", self._passing)
        return StreamUpdate(assessment, assessment.instruction, capture)

    def manual_capture(self) -> Capture:
        """Officer override: best frame of the window, flagged manual with what failed."""
        if not self._window:
            raise BiometricsError("no frame seen yet: nothing to capture")
        self.captured = self._best(manual=True)
        return self.captured

    def reset(self) -> None:
        self._window.clear()
        self._passing = 0
        self.captured = None

    def _best(self, manual: bool) -> Capture:
        # Passing frames first, then the sharpest (landmark jitter of a degree or two moves
        # the pose scores more than a still frame differs from a moving one), then the sum.
        def rank(fa: tuple[Image, FaceAssessment]) -> tuple[bool, float, int]:
            sharp = fa[1].measures.get("sharpness")
            return fa[1].passed, sharp.value if sharp else 0.0, fa[1].total_score

        frame, assessment = max(self._window, key=rank)
        return Capture(frame, assessment, manual)
