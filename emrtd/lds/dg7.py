"""DG7: the displayed signature or usual mark (images)."""

from __future__ import annotations

from dataclasses import dataclass

from emrtd import tlv
from emrtd.lds import DATA_GROUPS


@dataclass(frozen=True)
class DG7File:
    images: tuple[bytes, ...]

    @classmethod
    def parse(cls, raw: bytes) -> DG7File:
        outer = tlv.parse(raw, DATA_GROUPS[7].tag, "DG7")
        return cls(tuple(obj.value for obj in outer.children() if obj.tag == 0x5F43))
