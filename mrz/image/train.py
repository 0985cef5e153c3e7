"""Train the OCR-B classifier from the seeded synthetic renderer: `python -m mrz.image.train`.

Why from our own pipeline: cells are cut by the same locator and rectifier that reads real
images, so the network learns the crops, residual misalignment and damage it will meet.
Besides the ordinary mix of damage, a second set is all small print (cap height 14-20 px),
mostly blurred: there M, R, H and W blur into each other, and the ordinary mix has few such
cells. The network is fitted with scikit-learn (the `train` extra) and stored as plain
arrays; reading runs it through `cv2.dnn` and does not need scikit-learn. Options add
renderings in random print styles, stronger jitter and the permitted real images (see
docs/mrz-images.md, which also says why the committed model does not use them yet).
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
from mrz.image.evaluate import REAL_DIR, load_truth
from mrz.image.locate import ink, locate, rotate_grid, to_gray

# Real images whose licence allows training on them (see ../shared/data/mrz-real/README.md):
# the Apache-2.0 and MIT groups. Every other group there is for evaluation only.
TRAINABLE = {"docsaid_": "Apache-2.0", "vk1996_": "Apache-2.0", "imagejs_": "MIT"}

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


def jitter(cells: np.ndarray, rng: random.Random, strong: bool = False) -> np.ndarray:
    """Copies shifted and scaled by about a pixel: the rectifier's residual misalignment.

    `strong`: shifted by up to 3.5 px, scaled and turned more, a third of them faded (a
    character off its cell, print of low contrast).
    """
    out = []
    h, w = cells.shape[1:]
    shift, grow, turn = (3.5, 0.1, 3.0) if strong else (1.5, 0.06, 2.0)
    for cell in cells:
        scale = rng.uniform(1 - grow, 1 + grow)
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-turn, turn), scale)
        matrix[:, 2] += np.array([rng.uniform(-shift, shift), rng.uniform(-shift, shift)])
        moved = cv2.warpAffine(cell, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
        if strong and rng.random() < 0.3:
            level = rng.uniform(0.3, 0.8)
            moved = (moved * level + 255 * (1 - level)).astype(np.uint8)
        out.append(moved)
    return np.stack(out)


def real_grids(root: Path = REAL_DIR) -> list[tuple[np.ndarray, list[str]]]:
    """Cells and truth of the trainable real images whose located grid has the truth's
    shape, read upright and the other way up (the caller keeps the way that agrees)."""
    from mrz.image.reader import load

    if not (root / "truth.json").exists():
        log.info("no real images at %s: training on renderings only", root)
        return []
    out = []
    for entry in load_truth(root):
        prefix = next((p for p in TRAINABLE if entry.name.startswith(p)), None)
        if prefix is None or entry.licence != TRAINABLE[prefix] or not entry.lines:
            continue
        image = load(entry.path)
        shape = (len(entry.lines), len(entry.lines[0]))
        for view in (to_gray, ink):
            for grid in locate(view(image), max_candidates=2):
                if (grid.lines, grid.columns) == shape:
                    for oriented in (grid, rotate_grid(grid)):
                        out.append((oriented.cells, entry.lines))
    return out


def agreeing_real_cells(
    model: Classifier, grids: list[tuple[np.ndarray, list[str]]], least: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """Cells of the real grids that a first model reads mostly as their truth says: a grid
    that is a column off (or the wrong way up) would teach wrong labels."""
    cells: list[np.ndarray] = []
    labels: list[int] = []
    for grid_cells, lines in grids:
        truth = "".join(lines)
        pred = model.probabilities(grid_cells).argmax(axis=1)
        agree = float(np.mean([ALPHABET[k] == c for k, c in zip(pred, truth, strict=True)]))
        if agree >= least:
            cells.append(grid_cells)
            labels.extend(ALPHABET.index(c) for c in truth)
    log.info("%d real grids agree with their truth", len(cells))
    if not cells:
        return np.zeros((0, *grids[0][0].shape[1:]) if grids else (0, 24, 16), np.uint8), np.array(
            [], int
        )
    return np.concatenate(cells), np.array(labels)


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
    count: int,
    hard: int,
    printed: int,
    seed: int,
    out: Path,
    hidden: int,
    iterations: int,
    real: bool = False,
    strong: bool = False,
) -> dict[str, float]:
    """Train, save to `out`, return per-cell accuracy on held-out seeded sets.

    With `real`, two stages with one network: first on renderings alone, then, with the
    permitted real images' cells that this first network reads mostly right (a check of
    their alignment), on both. Everything is seeded, so the same command gives the same
    weights.
    """
    from sklearn.exceptions import ConvergenceWarning  # the `train` extra
    from sklearn.neural_network import MLPClassifier

    t0 = time.perf_counter()
    sets = [
        collect(synthetic.iter_dataset(count, seed)),
        collect(synthetic.iter_small_print(hard, seed + 1)),
    ]
    if printed:
        sets.append(collect(synthetic.iter_printed(printed, seed + 4)))
    rng = random.Random(seed)
    cells, labels = balance(
        np.concatenate([x for x, _ in sets]), np.concatenate([y for _, y in sets]), 3000, rng
    )
    cells = np.concatenate([cells, jitter(cells, rng, strong=strong)])
    labels = np.concatenate([labels, labels])
    x = features(cells)
    log.info("%d training cells in %.1fs", len(x), time.perf_counter() - t0)
    net = MLPClassifier(
        (hidden,),
        alpha=1e-4,
        batch_size=256,
        max_iter=iterations,
        random_state=seed,
        warm_start=True,
    )
    with warnings.catch_warnings():
        # A fixed epoch budget is the point: the held-out accuracy below is the judge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(x, labels)
        save(out, [(w.T, b) for w, b in zip(net.coefs_, net.intercepts_, strict=True)])
        grids = real_grids() if real else []
        if grids:
            real_x, real_y = agreeing_real_cells(Classifier(out), grids)
            if len(real_y):
                # Few cells: repeat them with jitter so they weigh like a class's worth.
                copies = [real_x] + [jitter(real_x, rng, strong=True) for _ in range(5)]
                x = np.concatenate([x, features(np.concatenate(copies))])
                labels = np.concatenate([labels] + [real_y] * len(copies))
                net.max_iter = max(1, iterations // 2)
                net.fit(x, labels)
    save(out, [(w.T, b) for w, b in zip(net.coefs_, net.intercepts_, strict=True)])
    model = Classifier(out)
    scores = {}
    for name, samples in (
        ("ordinary", synthetic.iter_dataset(max(20, count // 5), seed + 2)),
        ("small print", synthetic.iter_small_print(max(20, hard // 5), seed + 3)),
        ("printed", synthetic.iter_printed(max(20, printed // 5), seed + 5)),
    ):
        if name == "printed" and not printed:
            continue
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
    parser.add_argument(
        "--printed-images",
        type=int,
        default=0,
        help="also train on N renderings in random print styles (try: 700)",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="second stage with the permitted real images (Apache-2.0 / MIT groups)",
    )
    parser.add_argument(
        "--strong-jitter", action="store_true", help="jitter by up to 3.5 px, fade some cells"
    )
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train(
        args.images,
        args.hard_images,
        args.printed_images,
        args.seed,
        args.out,
        args.hidden,
        args.iterations,
        real=args.real,
        strong=args.strong_jitter,
    )


if __name__ == "__main__":
    main()
