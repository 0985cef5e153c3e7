"""The ICAO 9303 check digit (Part 3, 4.9): weights 7, 3, 1 repeating, modulus 10.

Characters count as 0-9 for digits, 10-35 for A-Z and 0 for the filler `<`. The sum is
computed with three `bytes.translate` tables (one per weight), which keeps a whole MRZ's
checks to a few microseconds.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
VALUES: dict[str, int] = {c: (i if c != "<" else 0) for i, c in enumerate(ALPHABET)}


def _weighted_table(weight: int) -> bytes:
    table = bytearray(256)
    for char, value in VALUES.items():
        table[ord(char)] = (value * weight) % 10
    return bytes(table)


_TABLE_7 = _weighted_table(7)
_TABLE_3 = _weighted_table(3)
_TABLE_1 = _weighted_table(1)


def check_digit(field: str) -> str:
    """The check digit of `field` (characters of the MRZ alphabet only) as a character."""
    data = field.encode("ascii")
    total = (
        sum(data[0::3].translate(_TABLE_7))
        + sum(data[1::3].translate(_TABLE_3))
        + sum(data[2::3].translate(_TABLE_1))
    )
    return chr(48 + total % 10)


def neutral_pair(a: str, b: str) -> bool:
    """True when swapping `a` for `b` never changes any check digit.

    Their values differ by a multiple of 10 (6/G, K/<, 0/A, ...), so no check digit can
    tell them apart: correction must never choose between them without other evidence.
    """
    return (VALUES[a] - VALUES[b]) % 10 == 0
