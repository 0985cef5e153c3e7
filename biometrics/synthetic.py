"""Seeded synthetic fingerprints (orientation field + ridge frequency + Gabor filtering).

The kiosk simulator and the tests need fingerprint images without shipping real people's
fingers. The generator follows the usual SFinGe-style recipe: an orientation field built
from core/delta singularities (Sherlock-Monro zero-pole model), a ridge frequency map, and
iterated oriented Gabor filtering of seeded noise until ridges grow. Degradations imitate
what a scanner sees on a bad day (dry, wet, partial, smudged).
"""

from __future__ import annotations

import logging
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from biometrics import BiometricsError

log = logging.getLogger(__name__)

Gray = npt.NDArray[np.uint8]
Degradation = Literal["dry", "wet", "partial", "smudged"]
DEGRADATIONS: tuple[Degradation, ...] = ("dry", "wet", "partial", "smudged")

_N_ORIENT = 16


def orientation_field(height: int, width: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Ridge orientation (radians, modulo pi) from one core and one delta (zero-pole model)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    z = xx + 1j * yy
    core = complex(width * rng.uniform(0.4, 0.6), height * rng.uniform(0.35, 0.5))
    delta = complex(width * rng.uniform(0.3, 0.7), height * rng.uniform(0.8, 0.95))
    theta = 0.5 * (np.angle(z - core) - np.angle(z - delta))
    theta += rng.uniform(-0.3, 0.3)
    return np.mod(theta, np.pi)


def fingerprint(
    seed: int,
    width: int = 256,
    height: int = 320,
    ridge_period: float = 9.0,
) -> Gray:
    """A seeded synthetic fingerprint at ~500 ppi: dark ridges on a white background."""
    if width < 64 or height < 64:
        raise BiometricsError(f"synthetic fingerprint too small: {width}x{height} (min 64x64)")
    rng = np.random.default_rng(seed)
    theta = orientation_field(height, width, rng)
    period = ridge_period * rng.uniform(0.9, 1.1)
    sigma = period * 0.45
    ksize = int(period * 2) | 1
    # One Gabor kernel per quantised orientation; each pixel takes the response of its own.
    bins = np.round(theta / np.pi * _N_ORIENT).astype(np.int64) % _N_ORIENT
    kernels = [
        cv2.getGaborKernel((ksize, ksize), sigma, k * np.pi / _N_ORIENT + np.pi / 2, period, 1.0, 0)
        for k in range(_N_ORIENT)
    ]
    img = rng.standard_normal((height, width)).astype(np.float32)
    for _ in range(6):
        out = np.zeros_like(img)
        for k, kern in enumerate(kernels):
            mask = bins == k
            if mask.any():
                out[mask] = cv2.filter2D(img, cv2.CV_32F, kern.astype(np.float32))[mask]
        img = np.tanh(out / (np.std(out) + 1e-6) * 1.5)
    # Elliptic finger mask with a soft edge so the print sits on a white platen.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    cy, cx = height * 0.5, width * 0.5
    r = ((xx - cx) / (width * 0.42)) ** 2 + ((yy - cy) / (height * 0.46)) ** 2
    mask = np.clip((1.0 - r) * 6.0, 0.0, 1.0)
    pix = 255.0 - (img.astype(np.float64) * 0.5 + 0.5) * 230.0 * mask
    return np.clip(pix, 0, 255).astype(np.uint8)


def degrade(image: Gray, kind: Degradation, seed: int = 0, strength: float = 1.0) -> Gray:
    """Imitate a poor capture: dry (broken, faint ridges), wet (merged, dark), partial, smudged."""
    rng = np.random.default_rng(seed)
    img = image.astype(np.float64)
    h, w = img.shape
    s = float(np.clip(strength, 0.0, 1.0))
    if kind == "dry":
        # Ridges fade and break: lift ink towards white and punch random gaps.
        faint = 255.0 - (255.0 - img) * (1.0 - 0.65 * s)
        holes = rng.random((h // 4 + 1, w // 4 + 1)) < 0.45 * s
        holes_full = cv2.resize(holes.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
        out = np.where(holes_full > 0, 255.0 - (255.0 - faint) * 0.15, faint)
    elif kind == "wet":
        # Valleys fill in: darken and blur so neighbouring ridges merge.
        blurred = cv2.GaussianBlur(img, (0, 0), 1.0 + 2.5 * s)
        out = blurred - 90.0 * s
        out = np.where(image < 250, out, img)
    elif kind == "partial":
        # Only part of the finger touched the platen.
        out = img.copy()
        keep = int(h * (1.0 - 0.6 * s))
        out[keep:, :] = 255.0
        out[:, int(w * (1.0 - 0.35 * s)) :] = 255.0
    elif kind == "smudged":
        # Finger slid during the capture: motion blur along one direction, and a greasy
        # patch where ridges smear into a grey blot.
        length = max(3, int(4 + 12 * s))
        kern = np.zeros((length, length), np.float64)
        kern[length // 2, :] = 1.0 / length
        rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1)
        kern = np.asarray(cv2.warpAffine(kern, rot, (length, length)), dtype=np.float64)
        kern /= max(kern.sum(), 1e-9)
        out = cv2.filter2D(img, -1, kern)
        blot = np.zeros((h, w), np.float64)
        centre = (int(w * rng.uniform(0.35, 0.65)), int(h * rng.uniform(0.35, 0.65)))
        cv2.ellipse(
            blot, centre, (int(w * 0.3), int(h * 0.25)), rng.uniform(0, 180), 0, 360, 1.0, -1
        )
        weight = np.asarray(cv2.GaussianBlur(blot, (0, 0), 8), dtype=np.float64) * 0.8 * s
        smear = cv2.GaussianBlur(img, (0, 0), 6)
        out = out * (1 - weight) + smear * weight
    else:
        raise BiometricsError(f"unknown degradation {kind!r} (one of {', '.join(DEGRADATIONS)})")
    return np.clip(out, 0, 255).astype(np.uint8)
