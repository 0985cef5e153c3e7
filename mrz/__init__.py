"""ICAO Doc 9303 machine-readable zones: parse, validate and correct MRZ text;
find and read the MRZ in an image.

    >>> import mrz
    >>> result = mrz.parse(lines)          # lenient: corrects OCR confusions it can prove
    >>> result.valid, result.to_dict()

Importing this package is cheap: nothing heavy is loaded until it is used.
"""

from mrz.checkdigit import check_digit
from mrz.compose import compose
from mrz.errors import MRZError
from mrz.parser import MRZResult, parse

__all__ = ["MRZError", "MRZResult", "check_digit", "compose", "parse"]
