"""The passport chip (ICAO Doc 9303 parts 10-12) over any `transceive(apdu) -> response` callable.

One module per protocol, in the shape of JMRTD: `apdu` (ISO 7816-4 commands), `bac`, `pace`,
`sm` (secure messaging), `service` (selecting and reading files), `lds` (one class per data
group, EF.COM, EF.SOD), `passive_auth`, `chip_auth`, `active_auth`, `trust` (the CSCA store)
and `reader` (a whole read with every check). It imports no other library of the project: the
MRZ lines of DG1 are returned as text for the application to parse.

The `transceive` contract: it sends one command APDU and returns the response APDU with its
status word; it raises `ConnectionError` (or any `OSError`) when the card went away.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509 import InvalidVersion

#: What the decoders underneath (asn1crypto is lazy, cryptography strict) raise on malformed
#: input; every place that decodes catches these and says which object was malformed.
DECODE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    UnsupportedAlgorithm,
    InvalidVersion,
)
#: The same, plus a signature that does not verify.
SIGNATURE_ERRORS: tuple[type[Exception], ...] = (InvalidSignature, *DECODE_ERRORS)


class EMRTDError(Exception):
    """Base class of chip errors; the message says what an officer or technician can do."""

    def __init__(self, message: str = "") -> None:
        # One line, whatever the decoders underneath wrote (asn1crypto's span lines).
        super().__init__(" ".join(str(message).split()))


class AccessDenied(EMRTDError):
    """The chip refused the access keys (PACE or BAC failed)."""

    def __init__(self, detail: str = "") -> None:
        message = "access denied: check the MRZ or CAN"
        super().__init__(f"{message} ({detail})" if detail else message)


class CardRemoved(EMRTDError):
    """The card left the reader's field during the exchange."""

    def __init__(self, detail: str = "") -> None:
        message = "card removed: place the passport on the reader again"
        super().__init__(f"{message} ({detail})" if detail else message)


class CardError(EMRTDError):
    """The chip answered a command with an error status word."""

    def __init__(self, what: str, sw: int) -> None:
        self.sw = sw
        super().__init__(f"{what}: the chip answered {sw:04X} ({status_text(sw)})")


class MalformedData(EMRTDError):
    """A TLV structure, data group, CMS object or certificate could not be decoded."""


class SecureMessagingError(EMRTDError):
    """A protected response failed its MAC or could not be decrypted."""


class NotSupported(EMRTDError):
    """The chip offers only protocols or parameters this library does not implement."""


_STATUS = {
    0x6281: "part of the data may be corrupted",
    0x6282: "end of file reached before the requested length",
    0x6300: "authentication failed",
    0x6700: "wrong length",
    0x6882: "secure messaging not supported",
    0x6883: "last command of the chain expected",
    0x6884: "command chaining not supported",
    0x6982: "security status not satisfied",
    0x6983: "authentication method blocked",
    0x6984: "reference data not usable",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed",
    0x6987: "secure messaging data objects missing",
    0x6988: "secure messaging data objects incorrect",
    0x6A80: "incorrect data",
    0x6A81: "function not supported",
    0x6A82: "file not found",
    0x6A86: "incorrect parameters P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "offset outside the file",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
}


def status_text(sw: int) -> str:
    """A readable name for an ISO 7816-4 status word."""
    if sw in _STATUS:
        return _STATUS[sw]
    if sw & 0xFFF0 == 0x63C0:
        return f"authentication failed, {sw & 0x0F} tries left"
    if sw >> 8 == 0x6C:
        return f"wrong Le, {sw & 0xFF} bytes available"
    return "unknown status"


__all__ = [
    "DECODE_ERRORS",
    "SIGNATURE_ERRORS",
    "AccessDenied",
    "CardError",
    "CardRemoved",
    "EMRTDError",
    "MalformedData",
    "NotSupported",
    "SecureMessagingError",
    "status_text",
]
