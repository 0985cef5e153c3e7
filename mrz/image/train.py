"""Train the OCR-B classifier from the seeded synthetic renderer: `python -m mrz.image.train`.

Why from our own pipeline: cells are cut by the same locator and rectifier that reads real
images, so the network learns the crops, residual misalignment and damage it will meet.
Besides the ordinary mix of damage, a second set is all small print (cap height 14-20 px),
mostly blurred: there M, R, H and W blur into each other, and the ordinary mix has few such
cells. The network is fitted with scikit-learn (the `train` extra) and stored as plain
arrays; reading runs it through `cv2.dnn` and does not need scikit-learn.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from mrz import synthetic
from mrz.image.classifier import ALPHABET, MODEL_PATH, Classifier, features
from mrz.image.locate import locate, rotate_grid

log = logging.getLogger(__name__)


def collect(samples: Iterable[synthetic.Sample]) -> tuple[np.ndarray, np.ndarray]:
    """Cells and labels from rendered documents (those the locator found whole)."""
    cells: list[np.ndarray] = []
    labels: list[int] = []
    for sample in samples:
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


def save(path: Path, layers: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Weights as (out, in) float32 matrices and biases, the layout `cv2.dnn` loads."""
    arrays: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(layers):
        arrays[f"w{i}"] = np.ascontiguousarray(w, np.float32)
        arrays[f"b{i}"] = np.asarray(b, np.float32)
    with path.open("wb") as f:
        # numpy's stub reads the keyword arrays as its allow_pickle flag.
        np.savez_compressed(f, **arrays)  # type: ignore[arg-type]


def train(
    count: int, hard: int, seed: int, out: Path, hidden: int, iterations: int
) -> dict[str, float]:
    """Train, save to `out`, return per-cell accuracy on held-out seeded sets."""
    from sklearn.exceptions import ConvergenceWarning  # the `train` extra
    from sklearn.neural_network import MLPClassifier

    t0 = time.perf_counter()
    x1, y1 = collect(synthetic.iter_dataset(count, seed))
    x2, y2 = collect(synthetic.iter_small_print(hard, seed + 1))
    rng = random.Random(seed)
    cells, labels = balance(np.concatenate([x1, x2]), np.concatenate([y1, y2]), 3000, rng)
    cells = np.concatenate([cells, jitter(cells, rng)])
    labels = np.concatenate([labels, labels])
    x = features(cells)
    log.info("%d training cells in %.1fs", len(x), time.perf_counter() - t0)
    net = MLPClassifier(
        (hidden,), alpha=1e-4, batch_size=256, max_iter=iterations, random_state=seed
    )
    with warnings.catch_warnings():
        # A fixed epoch budget is the point: the held-out accuracy below is the judge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(x, labels)
    save(out, [(w.T, b) for w, b in zip(net.coefs_, net.intercepts_, strict=True)])
    model = Classifier(out)
    scores = {}
    for name, samples in (
        ("ordinary", synthetic.iter_dataset(max(20, count // 5), seed + 2)),
        ("small print", synthetic.iter_small_print(max(20, hard // 5), seed + 3)),
    ):
        test_cells, test_labels = collect(samples)
        pred = model.probabilities(test_cells).argmax(axis=1)
        scores[name] = float(np.mean(pred == test_labels))
        log.info("held-out cell accuracy, %s: %.5f", name, scores[name])
    log.info("trained in %.1fs", time.perf_counter() - t0)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=800)
    parser.add_argument("--hard-images", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train(args.images, args.hard_images, args.seed, args.out, args.hidden, args.iterations)


if __name__ == "__main__":
    main()
