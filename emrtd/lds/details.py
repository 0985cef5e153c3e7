"""DG11 (additional personal details) and DG12 (additional document details).

Both are lists of optional text fields under their own tags; what is present is returned by
name. Image fields of DG12 (front and rear of the document) are kept as bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emrtd import tlv
from emrtd.lds import DATA_GROUPS

DG11_FIELDS = {
    0x5F0E: "full_name",
    0x5F0F: "other_name",
    0x5F10: "personal_number",
    0x5F2B: "full_birth_date",
    0x5F11: "place_of_birth",
    0x5F42: "address",
    0x5F12: "telephone",
    0x5F13: "profession",
    0x5F14: "title",
    0x5F15: "personal_summary",
    0x5F17: "other_travel_documents",
    0x5F18: "custody_information",
}
DG12_FIELDS = {
    0x5F19: "issuing_authority",
    0x5F26: "date_of_issue",
    0x5F1B: "endorsements",
    0x5F1C: "tax_or_exit_requirements",
    0x5F55: "personalization_time",
    0x5F56: "personalization_device",
}
DG12_IMAGES = {0x5F1D: "front_image", 0x5F1E: "rear_image"}


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _fields(outer: tlv.TLV, names: dict[int, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    stack = outer.children()
    while stack:
        obj = stack.pop(0)
        if obj.tag in names:
            found.setdefault(names[obj.tag], []).append(_text(obj.value))
        elif obj.constructed and obj.tag in (0xA0,):
            stack.extend(obj.children())
    return found


@dataclass(frozen=True)
class DG11File:
    fields: dict[str, list[str]]

    @classmethod
    def parse(cls, raw: bytes) -> DG11File:
        return cls(_fields(tlv.parse(raw, DATA_GROUPS[11].tag, "DG11"), DG11_FIELDS))


@dataclass(frozen=True)
class DG12File:
    fields: dict[str, list[str]]
    images: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: bytes) -> DG12File:
        outer = tlv.parse(raw, DATA_GROUPS[12].tag, "DG12")
        images = {DG12_IMAGES[o.tag]: o.value for o in outer.children() if o.tag in DG12_IMAGES}
        return cls(_fields(outer, DG12_FIELDS), images)
