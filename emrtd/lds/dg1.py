"""DG1: the MRZ as stored on the chip, returned as lines for the application to parse."""

from __future__ import annotations

from dataclasses import dataclass

from emrtd import MalformedData, tlv
from emrtd.lds import DATA_GROUPS

#: Total MRZ length -> characters per line (TD1, TD2/MRV-B, TD3/MRV-A).
LINE_LENGTHS = {90: 30, 72: 36, 88: 44}


@dataclass(frozen=True)
class DG1File:
    lines: tuple[str, ...]

    @classmethod
    def parse(cls, raw: bytes) -> DG1File:
        outer = tlv.parse(raw, DATA_GROUPS[1].tag, "DG1")
        text_bytes = outer.require(0x5F1F, "DG1").value
        try:
            text = text_bytes.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedData("DG1: the MRZ holds bytes that are not ASCII") from None
        width = LINE_LENGTHS.get(len(text))
        if width is None:
            raise MalformedData(f"DG1: an MRZ of {len(text)} characters fits no document format")
        return cls(tuple(text[i : i + width] for i in range(0, len(text), width)))

    @staticmethod
    def encode(lines: list[str] | tuple[str, ...]) -> bytes:
        return tlv.encode(DATA_GROUPS[1].tag, tlv.encode(0x5F1F, "".join(lines).encode("ascii")))
