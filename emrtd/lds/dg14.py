"""DG14: the chip's security infos (chip authentication keys and protocols)."""

from __future__ import annotations

from dataclasses import dataclass

from emrtd import security_infos, tlv
from emrtd.lds import DATA_GROUPS


@dataclass(frozen=True)
class DG14File:
    infos: security_infos.SecurityInfos

    @classmethod
    def parse(cls, raw: bytes) -> DG14File:
        outer = tlv.parse(raw, DATA_GROUPS[14].tag, "DG14")
        return cls(security_infos.parse(outer.value, "DG14"))
