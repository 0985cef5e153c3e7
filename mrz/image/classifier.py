"""The OCR-B character classifier: HOG features and a small MLP run by OpenCV's `cv2.dnn`.

Why: the MRZ has 37 symbols in one fixed-pitch font, so a few hundred thousand weights trained
on our own renderings read a rectified cell in microseconds; no general OCR engine is needed.
The weights (`ocrb_mlp.npz`, built by `python -m mrz.image.train`) are handed to `cv2.dnn` as
a Darknet network of fully connected layers and a softmax, so inference is OpenCV's code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from mrz.errors import MRZError
from mrz.image.locate import CELL_H, PITCH

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
MODEL_PATH = Path(__file__).with_name("ocrb_mlp.npz")


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


def darknet(layers: list[tuple[np.ndarray, np.ndarray]]) -> tuple[bytes, bytes]:
    """A Darknet cfg and weights file for fully connected `layers` (weight (out, in), bias).

    Hidden layers use ReLU, the last is linear and followed by a softmax: the network the
    training script fits. The weights file is Darknet's: a version header (major, minor,
    revision, images seen), then per layer its biases and its row-major weights.
    """
    cfg = ["[net]", "batch=1", "width=1", "height=1", f"channels={layers[0][0].shape[1]}", ""]
    weights = [np.array([0, 2, 0], np.int32).tobytes(), np.array([0], np.int64).tobytes()]
    for i, (w, b) in enumerate(layers):
        activation = "linear" if i == len(layers) - 1 else "relu"
        cfg += ["[connected]", f"output={w.shape[0]}", f"activation={activation}", ""]
        weights += [np.asarray(b, np.float32).tobytes(), np.asarray(w, np.float32).tobytes()]
    cfg += ["[softmax]", "groups=1", ""]
    return "\n".join(cfg).encode(), b"".join(weights)


def load_layers(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (weight, bias) pairs stored by the training script, input layer first."""
    with np.load(path) as data:
        count = sum(1 for name in data.files if name.startswith("w"))
        return [(data[f"w{i}"], data[f"b{i}"]) for i in range(count)]


@dataclass
class Prediction:
    """Per cell: the best characters (most likely first) and their probabilities."""

    chars: list[str]  # the top choice per cell
    confidence: list[float]  # probability of the top choice
    alternatives: list[str]  # per cell, candidates whose probability is worth a check
    probs: np.ndarray | None = None  # (cells, len(ALPHABET)) softmax, columns in ALPHABET order


class Classifier:
    """Loads the committed model once; `predict` classifies a batch of cells."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        if not path.exists():
            raise MRZError(
                f"the OCR-B model {path} is missing; build it with python -m mrz.image.train"
            )
        cfg, weights = darknet(load_layers(path))
        self.net = cv2.dnn.readNetFromDarknet(
            np.frombuffer(cfg, np.uint8), np.frombuffer(weights, np.uint8)
        )
        # One network object: setInput/forward pairs must not interleave across threads.
        self._lock = threading.Lock()

    def probabilities(self, cells: np.ndarray) -> np.ndarray:
        """Class probabilities (softmax), one row per cell."""
        x = features(cells)
        with self._lock:
            self.net.setInput(x.reshape(len(x), x.shape[1], 1, 1))
            out = self.net.forward()
        return np.asarray(out, np.float64).reshape(len(x), len(ALPHABET))

    def predict(self, cells: np.ndarray, keep: float = 0.02) -> Prediction:
        probs = self.probabilities(cells)
        order = np.argsort(-probs, axis=1)
        chars, conf, alts = [], [], []
        for row, idx in zip(probs, order, strict=True):
            chars.append(ALPHABET[idx[0]])
            conf.append(float(row[idx[0]]))
            alts.append("".join(ALPHABET[i] for i in idx[:4] if row[i] >= keep))
        return Prediction(chars, conf, alts, probs)


@cache
def default_classifier() -> Classifier:
    """The committed model, loaded on first use (thread-safe to call: loading is idempotent)."""
    return Classifier()
