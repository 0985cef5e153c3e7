"""Face-quality pass limits, apart from the measuring code: reading or checking them
(configuration validation, `kiosk provision init`) needs neither OpenCV nor numpy."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from biometrics import BiometricsError


@dataclass(frozen=True)
class FaceThresholds:
    """Pass limits and the camera's orientation; defaults suit a 640x480 webcam at a
    counter. All configurable ([quality.face])."""

    min_inter_eye_px: float = 45.0
    min_head_ratio: float = 0.25  # detector box height (brows to chin) / frame height
    max_head_ratio: float = 0.80
    max_centre_offset: float = 0.12  # eye midpoint offset / frame width
    max_roll_deg: float = 8.0
    max_yaw_deg: float = 12.0
    max_pitch_deg: float = 15.0
    min_sharpness: float = 0.42  # 1 - blur effect (Crete-Roffet), face scaled to 128 px
    min_brightness: float = 70.0  # mean face luminance (0-255)
    max_saturated: float = 0.05  # fraction of face pixels at >= 250
    min_dynamic_range: float = 70.0  # 95th - 5th percentile of face luminance
    min_uniformity: float = 0.65  # darker half / brighter half of the face
    max_background_std: float = 45.0
    min_eyes_open: int = 2
    # A mirrored camera (image flipped like a mirror) swaps left and right in instructions.
    mirrored: bool = False


def thresholds_from_dict(values: dict[str, Any]) -> FaceThresholds:
    """Build thresholds from configuration, naming any unknown key."""
    known = asdict(FaceThresholds())
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise BiometricsError(f"unknown face threshold(s): {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key, value in values.items():
        kind = type(known[key])
        if kind is bool:
            # 0/1 too: callers that pass the section on as numbers (float(True) == 1.0).
            if not isinstance(value, bool) and value not in (0, 1):
                raise BiometricsError(f"{key} must be true or false, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise BiometricsError(f"{key} must be a number, got {value!r}")
        out[key] = kind(value)
    return FaceThresholds(**out)
