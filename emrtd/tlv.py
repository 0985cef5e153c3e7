"""BER-TLV as ICAO writes it: tags by their raw bytes (0x61, 0x5F1F, 0x7F61), on asn1crypto.

asn1crypto's parser does the length decoding and bounds checks; this module only names tags
the way Doc 9303 does and turns every decoding failure into `MalformedData`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from asn1crypto import parser

from emrtd import MalformedData


@dataclass(frozen=True)
class TLV:
    tag: int  # the identifier octets as one integer, e.g. 0x5F1F
    value: bytes
    constructed: bool

    def children(self) -> list[TLV]:
        if not self.constructed:
            raise MalformedData(f"tag {self.tag:X} is primitive and has no inner objects")
        return list(iter_tlv(self.value))

    def find(self, tag: int) -> TLV | None:
        """The first inner object with `tag` (one level down)."""
        return next((child for child in self.children() if child.tag == tag), None)

    def require(self, tag: int, what: str) -> TLV:
        found = self.find(tag)
        if found is None:
            raise MalformedData(f"{what}: tag {tag:X} missing inside {self.tag:X}")
        return found


def _tag_of(header: bytes) -> int:
    end = 1
    if header[0] & 0x1F == 0x1F:
        while end < len(header) and header[end] & 0x80:
            end += 1
        end += 1
    return int.from_bytes(header[:end], "big")


def read_one(data: bytes, offset: int = 0) -> tuple[TLV, int]:
    """Decode the object at `offset`; return it and the offset after it."""
    rest = data[offset:]
    try:
        _class, method, _tag, header, contents, trailer = parser.parse(rest)
        end = offset + parser.peek(rest)
    except (ValueError, TypeError, IndexError) as exc:
        raise MalformedData(f"malformed TLV at byte {offset}: {exc}") from None
    if trailer:
        raise MalformedData(f"indefinite length at byte {offset}: ICAO files use definite lengths")
    return TLV(_tag_of(header), bytes(contents), method == 1), end


def parse(data: bytes, expected_tag: int | None = None, what: str = "data") -> TLV:
    """Exactly one object filling `data` (trailing zero padding of files is allowed)."""
    if not data:
        raise MalformedData(f"{what} is empty")
    tlv, end = read_one(data)
    if data[end:].strip(b"\x00"):
        raise MalformedData(f"{what}: {len(data) - end} stray bytes after the TLV object")
    if expected_tag is not None and tlv.tag != expected_tag:
        raise MalformedData(f"{what}: expected tag {expected_tag:X}, found {tlv.tag:X}")
    return tlv


def iter_tlv(data: bytes) -> Iterator[TLV]:
    offset = 0
    while offset < len(data):
        tlv, offset = read_one(data, offset)
        yield tlv


def encode(tag: int, value: bytes) -> bytes:
    """One object: raw tag bytes, DER length, value."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    length = len(value)
    if length < 0x80:
        size = bytes((length,))
    else:
        raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
        size = bytes((0x80 | len(raw),)) + raw
    return tag_bytes + size + value


def total_length(head: bytes) -> int | None:
    """The full size of the object whose first bytes are `head`, None if `head` is too short.

    Reading a file starts with its first bytes, then asks for exactly the rest.
    """
    if not head:
        return None
    pos = 1
    if head[0] & 0x1F == 0x1F:
        while pos < len(head) and head[pos] & 0x80:
            pos += 1
        pos += 1
    if pos >= len(head):
        return None
    first = head[pos]
    pos += 1
    if first < 0x80:
        return pos + first
    count = first & 0x7F
    if count == 0 or count > 4:
        raise MalformedData("file header has an indefinite or oversized length")
    if pos + count > len(head):
        return None
    return pos + count + int.from_bytes(head[pos : pos + count], "big")
