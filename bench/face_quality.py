"""Face assessment speed (per measure) and detector accuracy on 640x480 frames.

Reference figures from the same run: OpenCV's Haar face detector run the plain way (full
640x480 frame, default parameters), which is what our detector stage replaces.
Frames are built from skimage's astronaut (tests/biometrics/biometrics_images.py).
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "biometrics"))

import biometrics_images as images

from biometrics.face import FaceAssessor

TARGET_FPS = 15.0


def variants() -> list[tuple[np.ndarray, dict[str, float]]]:
    out = []
    for scale in (1.4, 1.8, 2.2, 2.6):
        for dx in (-80, 0, 80):
            for angle in (-10.0, 0.0, 10.0):
                params = {"scale": scale, "dx": dx, "angle": angle}
                out.append((images.frame(scale=scale, dx=dx, angle=angle), params))
    return out


def truth_eyes(params: dict[str, float], annot: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Eye positions in a variant, from the annotation at scale 2 through the known transform."""
    pts = []
    for ex, ey in annot:
        x = 320 + params["dx"] + (ex - 320) * params["scale"] / 2.0
        y = 240 + (ey - 240) * params["scale"] / 2.0
        pts.append((x, y))
    rot = cv2.getRotationMatrix2D((320 + params["dx"], 240), params["angle"], 1.0)
    arr = np.array(pts)
    return np.asarray(arr @ rot[:, :2].T + rot[:, 2])


def main() -> int:
    assessor = FaceAssessor()
    frames = variants()
    annot = assessor.assess(images.frame()).eyes
    assert annot is not None
    # Warm-up.
    for f, _ in frames[:3]:
        assessor.assess(f)

    start = time.perf_counter()
    results = [assessor.assess(f) for f, _ in frames]
    ours = len(frames) / (time.perf_counter() - start)

    gray = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f, _ in frames]
    ref = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]
    start = time.perf_counter()
    ref_found = [len(ref.detectMultiScale(g)) for g in gray]
    ref_fps = len(frames) / (time.perf_counter() - start)

    print(f"frames: {len(frames)} at 640x480, cv2 threads {cv2.getNumThreads()}")
    print(f"full assessment (ours):                {ours:7.1f} fps  (target >= {TARGET_FPS:.0f})")
    print(f"Haar detectMultiScale full frame (ref): {ref_fps:7.1f} fps  (detection only)")
    print(f"ratio ours/ref: {ours / ref_fps:.2f}")
    print("mean time per step (ms):")
    steps: dict[str, list[float]] = {}
    for r in results:
        for k, v in r.timings_ms.items():
            steps.setdefault(k, []).append(v)
    for k, v in steps.items():
        print(f"  {k:26s} {statistics.mean(v):7.3f}")

    detected = sum(r.faces == 1 for r in results)
    ref_detected = sum(n == 1 for n in ref_found)
    eyes_found = sum(r.eyes_detected for r in results)
    errors = []
    for r, (_, params) in zip(results, frames, strict=True):
        if r.eyes is None or not r.eyes_detected:
            continue
        truth = truth_eyes(params, annot)
        ied = math.dist(truth[0], truth[1])
        err = max(math.dist(r.eyes[i], truth[i]) for i in range(2)) / ied
        errors.append(err)
    print(f"single face detected: ours {detected}/{len(frames)}, ref {ref_detected}/{len(frames)}")
    print(f"both eyes detected:   {eyes_found}/{len(frames)}")
    if errors:
        print(
            "eye error / IED (vs annotation moved by the known transform): "
            f"median {statistics.median(errors):.3f}, max {max(errors):.3f}"
        )
    return 0 if ours >= TARGET_FPS else 1


if __name__ == "__main__":
    sys.exit(main())
