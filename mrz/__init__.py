"""ICAO Doc 9303 machine-readable zones: parse, validate and correct MRZ text;
find and read the MRZ in an image.

    >>> import mrz
    >>> result = mrz.parse(lines)          # lenient: corrects OCR confusions it can prove
    >>> result.valid, result.to_dict()

Importing this package is cheap: nothing heavy is loaded until it is used.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from mrz.checkdigit import check_digit
from mrz.compose import compose
from mrz.errors import MRZError
from mrz.parser import MRZResult, parse

if TYPE_CHECKING:
    import numpy as np

    from mrz.image.reader import ImageRead

__all__ = ["MRZError", "MRZResult", "check_digit", "compose", "parse", "read_image"]


def read_image(image: "np.ndarray | str | Path") -> "ImageRead":
    """Find and read the MRZ in an image (BGR/grey array or file path): `mrz.image.ImageRead`.

    A thin lazy wrapper so that `import mrz` does not load OpenCV and numpy (issue #3).
    """
    from mrz.image.reader import read_image as read

    return read(image)
