"""Face and fingerprint quality, landmarks, 1:1 face verification, the ICAO portrait crop,
image and record formats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from biometrics.verify import MatchResult


class BiometricsError(Exception):
    """Base class of biometrics errors (unreadable image, unsupported format, ...)."""


def match(reference: Any, probe: Any) -> MatchResult:
    """1:1 face verification of `probe` against `reference` (images or encoded bytes):
    score, threshold and decision; see `biometrics.verify`. Pure CPU work (~60-120 ms of
    CPU for two images): run it off the UI loop."""
    from biometrics.verify import match as _match

    return _match(reference, probe)
