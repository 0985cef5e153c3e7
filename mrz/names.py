"""The name field: primary identifier `<<` secondary identifiers (Doc 9303 Part 3, 4.6)."""

from __future__ import annotations

from typing import NamedTuple


class Name(NamedTuple):
    surname: str
    given_names: str
    truncated: bool  # the last position holds a letter: the issuer may have cut the name


def split_name(field: str) -> Name:
    """Surname and given names with single spaces between parts and fillers removed.

    No `<<` means a single identifier (everything is the primary one); a leading `<<`
    means there is no primary identifier.
    """
    primary, separator, secondary = field.partition("<<")
    return Name(
        " ".join(primary.replace("<", " ").split()),
        " ".join(secondary.replace("<", " ").split()) if separator else "",
        field[-1] != "<",
    )
