"""EF.COM: the LDS version and the list of data groups present (by their tags)."""

from __future__ import annotations

from dataclasses import dataclass

from emrtd import tlv
from emrtd.lds import EF_COM, TAG_TO_DG


@dataclass(frozen=True)
class COMFile:
    lds_version: str
    unicode_version: str
    data_groups: tuple[int, ...]

    @classmethod
    def parse(cls, raw: bytes) -> COMFile:
        outer = tlv.parse(raw, EF_COM.tag, "EF.COM")
        version = outer.find(0x5F01)
        unicode = outer.find(0x5F36)
        tags = outer.require(0x5C, "EF.COM").value
        groups = tuple(TAG_TO_DG[t] for t in tags if t in TAG_TO_DG)
        return cls(
            version.value.decode("ascii", "replace") if version else "",
            unicode.value.decode("ascii", "replace") if unicode else "",
            groups,
        )

    def encode(self) -> bytes:
        from emrtd.lds import DATA_GROUPS

        return tlv.encode(
            EF_COM.tag,
            tlv.encode(0x5F01, self.lds_version.encode())
            + tlv.encode(0x5F36, self.unicode_version.encode())
            + tlv.encode(0x5C, bytes(DATA_GROUPS[n].tag for n in self.data_groups)),
        )
