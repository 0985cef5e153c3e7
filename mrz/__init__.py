"""ICAO Doc 9303 machine-readable zones: parse, validate and correct MRZ text;
find and read the MRZ in an image."""

from mrz.errors import MRZError

__all__ = ["MRZError"]
