"""The mrz package's one error base class."""


class MRZError(ValueError):
    """Input that cannot be read as an MRZ; the message names the problem precisely."""
