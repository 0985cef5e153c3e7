"""The Logical Data Structure (ICAO 9303-10): one class per file, and where each file lives.

Each class has `parse(raw: bytes)` taking the file exactly as read from the chip (the raw
bytes are what passive authentication hashes) and raising `MalformedData` with the file's
name when it cannot be decoded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileRef:
    name: str
    fid: int
    sfi: int
    tag: int


#: Data groups by number: file identifier, short EF identifier, outer tag (9303-10 §4.6).
DATA_GROUPS: dict[int, FileRef] = {
    n: FileRef(f"DG{n}", 0x0100 + n, n, tag)
    for n, tag in (
        (1, 0x61), (2, 0x75), (3, 0x63), (4, 0x76), (5, 0x65), (6, 0x66), (7, 0x67),
        (8, 0x68), (9, 0x69), (10, 0x6A), (11, 0x6B), (12, 0x6C), (13, 0x6D), (14, 0x6E),
        (15, 0x6F), (16, 0x70),
    )
}  # fmt: skip
EF_COM = FileRef("EF.COM", 0x011E, 0x1E, 0x60)
EF_SOD = FileRef("EF.SOD", 0x011D, 0x1D, 0x77)
EF_CARD_ACCESS = FileRef("EF.CardAccess", 0x011C, 0x1C, 0x31)
TAG_TO_DG = {ref.tag: n for n, ref in DATA_GROUPS.items()}
