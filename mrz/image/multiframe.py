"""Multi-frame reading for video: per-character votes across frames, reported when stable.

Why: a webcam frame may be blurred or glared; voting over frames, weighted by the classifier's
confidence, turns several imperfect reads into one, and the result is released only when the
same valid MRZ has won `stable` frames in a row.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from mrz.errors import MRZError
from mrz.image.classifier import Classifier
from mrz.image.reader import ImageRead, read_image
from mrz.parser import MRZResult, parse

log = logging.getLogger(__name__)


@dataclass
class MultiFrameReader:
    """Feed frames with `add`; it returns the MRZ once it is valid and stable.

    Not thread-safe: give each video stream its own reader (one worker thread feeds it).
    """

    stable: int = 3
    classifier: Classifier | None = None
    _votes: dict[tuple[int, int, int], dict[str, float]] = field(default_factory=dict)
    _last: list[str] | None = None
    _streak: int = 0
    frames: int = 0

    def reset(self) -> None:
        """Forget all votes (a new document was put down)."""
        self._votes.clear()
        self._last, self._streak, self.frames = None, 0, 0

    def add(self, frame: np.ndarray) -> MRZResult | None:
        """Read one frame; the voted MRZ when it is valid and stable, else None."""
        read = read_image(frame, classifier=self.classifier)
        self.frames += 1
        return self.add_read(read)

    def add_read(self, read: ImageRead) -> MRZResult | None:
        """Vote with a read made elsewhere (e.g. in a worker already calling read_image)."""
        if not read.lines:
            return None
        shape = (len(read.lines), len(read.lines[0]))
        for j, (line, conf) in enumerate(zip(read.lines, read.confidence, strict=True)):
            for i, (char, c) in enumerate(zip(line, conf, strict=True)):
                cell = self._votes.setdefault((shape[0], shape[1], j * 100 + i), defaultdict(float))
                cell[char] += c
        lines, candidates = self._voted(shape)
        try:
            result = parse(lines, candidates=candidates)
        except MRZError:
            return None
        if not result.valid:
            self._streak = 0
            return None
        if result.lines == self._last:
            self._streak += 1
        else:
            self._last, self._streak = list(result.lines), 1
        return result if self._streak >= self.stable else None

    def _voted(self, shape: tuple[int, int]) -> tuple[list[str], list[list[str]]]:
        lines, candidates = [], []
        for j in range(shape[0]):
            text, alts = [], []
            for i in range(shape[1]):
                cell = self._votes.get((shape[0], shape[1], j * 100 + i), {})
                ranked = sorted(cell, key=lambda ch: -cell[ch]) or ["<"]
                text.append(ranked[0])
                alts.append("".join(ranked[:3]))
            lines.append("".join(text))
            candidates.append(alts)
        return lines, candidates
