"""The ICAO token portrait: rotate, crop and scale so the eyes sit where ISO/IEC 19794-5 says.

Token frame of width A: height A / 0.75 (3:4), eye midpoint at (A/2, 0.6 A) from the top-left,
inter-eye distance A/4. Pixels the camera did not see are padded by edge replication.
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np
import numpy.typing as npt

from biometrics import BiometricsError
from biometrics.face import Point

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]


def token_portrait(frame: Image, left_eye: Point, right_eye: Point, width: int = 480) -> Image:
    """A width x (width*4/3) frontal token image with level eyes placed per 19794-5."""
    if width < 120 or width % 4:
        raise BiometricsError(f"portrait width must be a multiple of 4 and >= 120, got {width}")
    dx, dy = right_eye[0] - left_eye[0], right_eye[1] - left_eye[1]
    ied = math.hypot(dx, dy)
    if ied < 8:
        raise BiometricsError(f"eyes too close together to cut a portrait ({ied:.1f} px)")
    height = width * 4 // 3
    scale = (width / 4) / ied
    angle = math.degrees(math.atan2(dy, dx))
    mid = ((left_eye[0] + right_eye[0]) / 2, (left_eye[1] + right_eye[1]) / 2)
    m = cv2.getRotationMatrix2D(mid, angle, scale)
    m[0, 2] += width / 2 - mid[0]
    m[1, 2] += 0.6 * width - mid[1]
    out = cv2.warpAffine(
        frame, m, (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(out, dtype=np.uint8)


def encode(portrait: Image, fmt: str = "jpeg", quality: int = 90) -> bytes:
    """JPEG (baseline) or JPEG 2000 (OpenCV's bundled OpenJPEG) bytes of a portrait."""
    if fmt == "jpeg":
        ok, buf = cv2.imencode(".jpg", portrait, [cv2.IMWRITE_JPEG_QUALITY, quality])
    elif fmt == "jp2":
        ok, buf = cv2.imencode(
            ".jp2", portrait, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, quality * 10]
        )
    else:
        raise BiometricsError(f"unknown portrait format {fmt!r} (jpeg or jp2)")
    if not ok:
        raise BiometricsError(f"could not encode the portrait as {fmt}")
    return buf.tobytes()
