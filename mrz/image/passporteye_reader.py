"""The PassportEye baseline (`--reader passporteye`): same output shape as our reader.

Why keep it: the benchmark compares both readers on the same images, and it is a fallback
for documents our model was never trained on. It needs the `bench` extra (passporteye,
scikit-image) and Debian's tesseract; our own reader needs neither.
"""

from __future__ import annotations

import logging
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from mrz.errors import MRZError
from mrz.image.reader import ImageRead
from mrz.parser import MRZResult, parse

log = logging.getLogger(__name__)


def read_image_passporteye(image: np.ndarray | str | Path) -> ImageRead:
    """Read with PassportEye + tesseract, then parse its text with our lenient parser."""
    start = time.perf_counter()
    try:
        from passporteye import read_mrz
    except ImportError as exc:
        raise MRZError(
            "the passporteye reader needs the bench extra: pip install 'border-kiosk[bench]'"
        ) from exc
    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(image, np.ndarray):
            import cv2

            path = Path(tmp) / "frame.png"
            cv2.imwrite(str(path), image)
        else:
            path = Path(image)
        with warnings.catch_warnings():
            # scikit-image deprecations inside PassportEye: not ours to fix, noise in our logs.
            warnings.simplefilter("ignore", FutureWarning)
            found = read_mrz(str(path))
    elapsed = (time.perf_counter() - start) * 1000
    if found is None:
        return ImageRead(False, elapsed_ms=elapsed, reader="passporteye")
    raw = str(found.aux.get("raw_text", ""))
    lines = [line for line in raw.splitlines() if line.strip()]
    result: MRZResult | None
    try:
        result = parse(lines)
    except MRZError:
        result = None
    quad: list[list[float]] = []
    box = found.aux.get("box")
    if box is not None:
        quad = [[float(x), float(y)] for y, x in np.asarray(box.points)]
    return ImageRead(
        found=result is not None,
        result=result,
        lines=lines,
        quad=quad,
        elapsed_ms=elapsed,
        reader="passporteye",
    )
