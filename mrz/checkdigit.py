"""The ICAO 9303 check digit (Part 3, 4.9): weights 7, 3, 1 repeating, modulus 10.

Characters count as 0-9 for digits, 10-35 for A-Z and 0 for the filler `<`. One
`bytes.translate` turns characters into values and three strided sums apply the weights,
which keeps a whole MRZ's checks to a few microseconds.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
VALUES: dict[str, int] = {c: (i if c != "<" else 0) for i, c in enumerate(ALPHABET)}


_VALUE_TABLE = bytes(VALUES.get(chr(i), 0) for i in range(256))


def values_of(text: str) -> bytes:
    """Each character's check-digit value, one byte each (a whole line at a time)."""
    return text.encode("ascii").translate(_VALUE_TABLE)


def digit_for_values(values: bytes) -> str:
    """The check digit over characters already turned into values by `values_of`."""
    total = 7 * sum(values[0::3]) + 3 * sum(values[1::3]) + sum(values[2::3])
    return chr(48 + total % 10)


def check_digit(field: str) -> str:
    """The check digit of `field` (characters of the MRZ alphabet only) as a character."""
    return digit_for_values(values_of(field))


def neutral_pair(a: str, b: str) -> bool:
    """True when swapping `a` for `b` never changes any check digit.

    Their values differ by a multiple of 10 (6/G, K/<, 0/A, ...), so no check digit can
    tell them apart: correction must never choose between them without other evidence.
    """
    return (VALUES[a] - VALUES[b]) % 10 == 0
