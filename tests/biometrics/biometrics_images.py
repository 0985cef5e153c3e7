"""Test frames built from the astronaut portrait that scikit-image ships (no downloads)."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]

BACKGROUND = 185
# Head of the astronaut in skimage.data.astronaut() (x0, y0, x1, y1), found by eye once.
_HEAD = (140, 20, 310, 205)


def head() -> Image:
    """The astronaut's head as a BGR crop."""
    from skimage import data

    rgb = data.astronaut()
    x0, y0, x1, y1 = _HEAD
    return np.ascontiguousarray(cv2.cvtColor(rgb[y0:y1, x0:x1], cv2.COLOR_RGB2BGR))


def frame(
    scale: float = 2.0,
    dx: int = 0,
    dy: int = 0,
    size: tuple[int, int] = (640, 480),
    heads: int = 1,
    angle: float = 0.0,
) -> Image:
    """A 640x480 BGR frame: the head (oval cut-out) on a plain grey wall."""
    w, h = size
    canvas = np.full((h, w, 3), BACKGROUND, np.uint8)
    src = head()
    src = cv2.resize(src, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    sh, sw = src.shape[:2]
    mask = np.zeros((sh, sw), np.float32)
    cv2.ellipse(mask, (sw // 2, sh // 2), (int(sw * 0.46), int(sh * 0.5)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 3)[..., None]
    if heads == 1:
        centres = [(w // 2 + dx, h // 2 + dy)]
    else:
        centres = [(w // 4 + dx, h // 2 + dy), (3 * w // 4 + dx, h // 2 + dy)]
    for cx, cy in centres:
        x0, y0 = cx - sw // 2, cy - sh // 2
        xa, ya = max(x0, 0), max(y0, 0)
        xb, yb = min(x0 + sw, w), min(y0 + sh, h)
        part = src[ya - y0 : yb - y0, xa - x0 : xb - x0].astype(np.float32)
        m = mask[ya - y0 : yb - y0, xa - x0 : xb - x0]
        bg = canvas[ya:yb, xa:xb].astype(np.float32)
        canvas[ya:yb, xa:xb] = (part * m + bg * (1 - m)).astype(np.uint8)
    if angle:
        rot = cv2.getRotationMatrix2D((w / 2 + dx, h / 2 + dy), angle, 1.0)
        canvas = cv2.warpAffine(canvas, rot, (w, h), borderValue=(BACKGROUND,) * 3)
    return canvas


def uneven(image: Image, box: tuple[int, int, int, int]) -> Image:
    """Side light: the face and head darken from full to 30% across the face box."""
    x, _y, w, _h = box
    width = image.shape[1]
    ramp = np.ones(width)
    ramp[x : x + w] = np.linspace(1.0, 0.3, w)
    ramp[x + w :] = 0.3
    person = ~np.all(image == BACKGROUND, axis=2)
    gain = np.where(person[..., None], ramp[None, :, None], 1.0)
    return (image.astype(np.float64) * gain).astype(np.uint8)


def busy_background(image: Image, seed: int = 0) -> Image:
    """Replace the plain wall with random clutter."""
    out = image.copy()
    wall = np.all(image == BACKGROUND, axis=2)
    out[wall] = np.random.default_rng(seed).integers(0, 255, (int(wall.sum()), 3))
    return out


def eyes_closed(image: Image, eyes: tuple[tuple[float, float], tuple[float, float]]) -> Image:
    """Paint skin over each eye and draw a closed lid line."""
    out = image.copy()
    for ex, ey in eyes:
        x, y = int(ex), int(ey)
        skin = np.median(out[y + 30 : y + 50, x - 20 : x + 20].reshape(-1, 3), axis=0)
        out[y - 22 : y + 22, x - 30 : x + 30] = skin.astype(np.uint8)
        cv2.line(out, (x - 22, y), (x + 22, y + 2), (40, 40, 60), 3)
    return out


def turned(image: Image, box: tuple[int, int, int, int], shift: float) -> Image:
    """Imitate a head turn: features slide sideways inside a head outline that stays put."""
    return _slide_features(image, box, shift, axis=1)


def nodded(image: Image, box: tuple[int, int, int, int], shift: float) -> Image:
    """Imitate a nod: features slide up or down inside a head outline that stays put
    (positive `shift` moves them down: the chin is lowered)."""
    return _slide_features(image, box, shift, axis=0)


def _slide_features(image: Image, box: tuple[int, int, int, int], shift: float, axis: int) -> Image:
    """Move the face's middle by `shift` px along `axis` (0: down, 1: right), fading to
    nothing at the edge of the head so that its outline does not move."""
    h, w = image.shape[:2]
    x, y, bw, bh = box
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    reach_x, reach_y = (0.75, 0.8) if axis == 1 else (0.8, 0.75)
    u = np.clip((xx - (x + bw / 2)) / (bw * reach_x), -1, 1)
    v = np.clip((yy - (y + bh / 2)) / (bh * reach_y), -1, 1)
    envelope = np.cos(u * np.pi / 2) * np.cos(v * np.pi / 2) * ((np.abs(u) < 1) & (np.abs(v) < 1))
    moved = ((xx - shift * envelope) if axis == 1 else (yy - shift * envelope)).astype(np.float32)
    map_x, map_y = (moved, yy) if axis == 1 else (xx, moved)
    return np.asarray(
        cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
        dtype=np.uint8,
    )
