"""Train the OCR-B classifier from the seeded synthetic renderer: `python -m mrz.image.train`.

Why from our own pipeline: cells are cut by the same locator and rectifier that reads real
images, so the network learns the crops, residual misalignment and damage it will meet.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from pathlib import Path

import cv2
import numpy as np

from mrz import synthetic
from mrz.image.classifier import ALPHABET, MODEL_PATH, features
from mrz.image.locate import locate, rotate_grid

log = logging.getLogger(__name__)


def collect(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells and labels from `count` rendered documents (those the locator found)."""
    cells: list[np.ndarray] = []
    labels: list[int] = []
    for sample in synthetic.iter_dataset(count, seed):
        truth = "".join(sample.lines)
        for grid in locate(sample.image, max_candidates=1):
            if grid.lines * grid.columns != len(truth) or grid.columns != len(sample.lines[0]):
                continue
            if sample.degradation.flip:
                grid = rotate_grid(grid)
            cells.append(grid.cells)
            labels.extend(ALPHABET.index(c) for c in truth)
    return np.concatenate(cells), np.array(labels)


def balance(
    x: np.ndarray, y: np.ndarray, cap: int, rng: random.Random
) -> tuple[np.ndarray, np.ndarray]:
    """At most `cap` samples per class: fillers would otherwise swamp the letters."""
    keep: list[int] = []
    for c in range(len(ALPHABET)):
        idx = [int(i) for i in np.flatnonzero(y == c)]
        rng.shuffle(idx)
        keep.extend(idx[:cap])
    keep.sort()
    return x[keep], y[keep]


def jitter(cells: np.ndarray, rng: random.Random) -> np.ndarray:
    """Copies shifted and scaled by about a pixel: the rectifier's residual misalignment."""
    out = []
    h, w = cells.shape[1:]
    for cell in cells:
        scale = rng.uniform(0.94, 1.06)
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-2, 2), scale)
        matrix[:, 2] += np.array([rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)])
        out.append(cv2.warpAffine(cell, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE))
    return np.stack(out)


def train(count: int, seed: int, out: Path, hidden: int, iterations: int) -> float:
    """Train, save to `out`, return accuracy on a held-out seeded set."""
    t0 = time.perf_counter()
    cells, labels = collect(count, seed)
    rng = random.Random(seed)
    cells, labels = balance(cells, labels, 1200, rng)
    cells = np.concatenate([cells, jitter(cells, rng)])
    labels = np.concatenate([labels, labels])
    x = features(cells)
    y = -np.ones((len(labels), len(ALPHABET)), np.float32)
    y[np.arange(len(labels)), labels] = 1.0
    log.info("%d training cells from %d images in %.1fs", len(x), count, time.perf_counter() - t0)
    net = cv2.ml.ANN_MLP_create()  # type: ignore[attr-defined]
    net.setLayerSizes(np.array([x.shape[1], hidden, len(ALPHABET)]))
    net.setActivationFunction(cv2.ml.ANN_MLP_SIGMOID_SYM)
    net.setTrainMethod(cv2.ml.ANN_MLP_BACKPROP, 0.001, 0.1)
    net.setTermCriteria((cv2.TERM_CRITERIA_MAX_ITER, iterations, 0))
    net.train(x, cv2.ml.ROW_SAMPLE, y)
    net.save(str(out))
    test_cells, test_labels = collect(max(20, count // 5), seed + 1)
    _, pred = net.predict(features(test_cells))
    accuracy = float(np.mean(pred.argmax(axis=1) == test_labels))
    log.info("held-out cell accuracy %.4f; trained in %.1fs", accuracy, time.perf_counter() - t0)
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=700)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=120)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train(args.images, args.seed, args.out, args.hidden, args.iterations)


if __name__ == "__main__":
    main()
