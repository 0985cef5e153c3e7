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

    Speed: most frames are assessed with the quick face search (`FaceAssessor.assess(...,
    quick=True)`, a quarter of the detector's work), which can miss a second, smaller face
    beside the traveller's. So a full search is made every `full_every` frames, whenever
    the quick search sees fewer faces than the last full search did, and on the frame that
    would complete a run of `stable` passing frames: nothing is captured on quick searches
    alone. The kept capture's assessment always comes from a full search.
    """

    def __init__(
        self, assessor: FaceAssessor, window: int = 15, stable: int = 3, full_every: int = 10
    ) -> None:
        if window < 1 or stable < 1 or stable > window:
            raise BiometricsError("need 1 <= stable <= window")
        if full_every < 1:
            raise BiometricsError("need full_every >= 1")
        self.assessor = assessor
        self.stable = stable
        self.full_every = full_every
        self._window: deque[tuple[Image, FaceAssessment, bool]] = deque(maxlen=window)
        self._passing = 0
        self._frames = 0
        self._next_full = 0  # index of the frame due for a full search
        self._near: tuple[int, int, int, int] | None = None
        self._seen = 0  # faces in the last full search
        self.captured: Capture | None = None

    def feed(self, frame: Image) -> StreamUpdate:
        quick = self._frames < self._next_full
        assessment = self.assessor.assess(frame, quick=quick, near=self._near)
        completes_run = (
            self.captured is None and assessment.passed and self._passing + 1 >= self.stable
        )
        if quick and (completes_run or assessment.faces < self._seen):
            # A capture is decided on a full search; and fewer faces than the last full
            # search saw may be the quick search missing someone small.
            assessment = self.assessor.assess(frame)
            quick = False
        if not quick:
            self._next_full = self._frames + self.full_every
            self._seen = assessment.faces
        self._frames += 1
        # One face: next frame's quick search looks around it first.
        self._near = assessment.face_box if assessment.faces == 1 else None
        self._window.append((frame, assessment, quick))
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
        self._frames = 0
        self._next_full = 0
        self._near = None
        self._seen = 0
        self.captured = None

    def _best(self, manual: bool) -> Capture:
        # Passing frames first, then the sharpest (landmark jitter of a degree or two moves
        # the pose scores more than a still frame differs from a moving one), then the sum.
        def rank(fa: tuple[Image, FaceAssessment, bool]) -> tuple[bool, float, int]:
            sharp = fa[1].measures.get("sharpness")
            return fa[1].passed, sharp.value if sharp else 0.0, fa[1].total_score

        frame, assessment, quick = max(self._window, key=rank)
        if quick:  # the record's assessment comes from a full search
            assessment = self.assessor.assess(frame)
            if not manual and not assessment.passed:
                # Not what the quick search said: keep the frame whose full search passed.
                frame, assessment, _quick = self._window[-1]
        return Capture(frame, assessment, manual)
