"""The OCR-B character classifier: HOG features and a small MLP run by OpenCV's `cv2.ml`.

Why: the MRZ has 37 symbols in one fixed-pitch font, so a few thousand weights trained on our
own renderings read a rectified cell in microseconds; no general OCR engine is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from mrz.errors import MRZError
from mrz.image.locate import CELL_H, PITCH

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
MODEL_PATH = Path(__file__).with_name("ocrb_mlp.json")


@cache
def _hog() -> cv2.HOGDescriptor:
    return cv2.HOGDescriptor((PITCH, CELL_H), (8, 8), (4, 4), (4, 4), 9)


def features(cells: np.ndarray) -> np.ndarray:
    """HOG vectors (float32 rows) of uint8 cells of shape (n, CELL_H, PITCH)."""
    hog = _hog()
    out = []
    for cell in cells:
        # Stretch contrast per cell: HOG then sees the same strokes under glare or shade.
        norm = cv2.normalize(cell, None, 0, 255, cv2.NORM_MINMAX)  # type: ignore[call-overload]
        out.append(np.asarray(hog.compute(norm)).ravel())
    return np.asarray(out, np.float32)


@dataclass
class Prediction:
    """Per cell: the best characters (most likely first) and their probabilities."""

    chars: list[str]  # the top choice per cell
    confidence: list[float]  # probability of the top choice
    alternatives: list[str]  # per cell, candidates whose probability is worth a check


class Classifier:
    """Loads the committed model once; `predict` classifies a batch of cells."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        if not path.exists():
            raise MRZError(
                f"the OCR-B model {path} is missing; build it with python -m mrz.image.train"
            )
        self.model = cv2.ml.ANN_MLP_load(str(path))  # type: ignore[attr-defined]

    def probabilities(self, cells: np.ndarray) -> np.ndarray:
        """Softmax over the network's outputs, one row per cell."""
        _, out = self.model.predict(features(cells))
        z = out * 6.0
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def predict(self, cells: np.ndarray, keep: float = 0.02) -> Prediction:
        probs = self.probabilities(cells)
        order = np.argsort(-probs, axis=1)
        chars, conf, alts = [], [], []
        for row, idx in zip(probs, order, strict=True):
            chars.append(ALPHABET[idx[0]])
            conf.append(float(row[idx[0]]))
            alts.append("".join(ALPHABET[i] for i in idx[:4] if row[i] >= keep))
        return Prediction(chars, conf, alts)


@cache
def default_classifier() -> Classifier:
    """The committed model, loaded on first use (thread-safe to call: loading is idempotent)."""
    return Classifier()
