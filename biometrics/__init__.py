"""Face and fingerprint quality, the ICAO portrait crop, image and record formats."""


class BiometricsError(Exception):
    """Base class of biometrics errors (unreadable image, unsupported format, ...)."""
