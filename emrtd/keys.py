"""Access keys: the MRZ information (document number, birth and expiry dates) or a CAN.

Only the three MRZ fields the chip needs are taken, with their check digits computed here
(ICAO 9303-3 §4.9: weights 7-3-1); reading and validating the printed MRZ is the
application's job (the `mrz` library).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from emrtd import EMRTDError

_VALUES = (
    {c: i for i, c in enumerate("0123456789")}
    | {c: i + 10 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    | {"<": 0}
)


def check_digit(field: str) -> str:
    total = 0
    for i, char in enumerate(field):
        if char not in _VALUES:
            raise EMRTDError(f"character {char!r} cannot stand in an MRZ field")
        total += _VALUES[char] * (7, 3, 1)[i % 3]
    return str(total % 10)


@dataclass(frozen=True)
class MRZKey:
    """Document number (as printed, up to the full length), birth and expiry YYMMDD."""

    document_number: str
    birth_date: str
    expiry_date: str

    def __post_init__(self) -> None:
        for name, value in (("birth date", self.birth_date), ("expiry date", self.expiry_date)):
            if not re.fullmatch(r"[0-9<]{6}", value):
                raise EMRTDError(f"{name} for the chip key must be YYMMDD, got {value!r}")
        if not re.fullmatch(r"[0-9A-Z<]{1,22}", self.document_number):
            raise EMRTDError(f"document number {self.document_number!r} is not MRZ text")

    @property
    def information(self) -> str:
        """The MRZ information of 9303-11 §9.7.2 (number padded to 9 with its check digit)."""
        number = self.document_number.ljust(9, "<")
        return (
            number
            + check_digit(number)
            + self.birth_date
            + check_digit(self.birth_date)
            + self.expiry_date
            + check_digit(self.expiry_date)
        )

    @property
    def secret(self) -> bytes:
        """K = SHA-1(MRZ information): the PACE password key seed (BAC uses its first 16)."""
        return hashlib.sha1(self.information.encode("ascii")).digest()

    password_ref = 1  # PACE password reference: MRZ


@dataclass(frozen=True)
class CANKey:
    """The card access number printed on the data page (6 digits on most documents)."""

    can: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9]{6,10}", self.can):
            raise EMRTDError(f"CAN {self.can!r} must be 6 to 10 digits")

    @property
    def secret(self) -> bytes:
        return self.can.encode("ascii")

    password_ref = 2


AccessKey = MRZKey | CANKey
