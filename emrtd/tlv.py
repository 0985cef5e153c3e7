"""BER-TLV as ICAO writes it: tags by their raw bytes (0x61, 0x5F1F, 0x7F61).

Hand-written on purpose: Doc 9303 uses two-byte tags for low tag numbers (5F01, 5F0E, ...),
which strict BER decoders such as asn1crypto's reject as "non-minimal". ASN.1 proper (CMS,
certificates, SecurityInfos) goes through asn1crypto. Every decoding failure is
`MalformedData`; lengths are checked against the data before anything is sliced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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


def read_one(data: bytes, offset: int = 0) -> tuple[TLV, int]:
    """Decode the object at `offset`; return it and the offset after it."""
    end = len(data)
    pos = offset
    if pos >= end:
        raise MalformedData(f"TLV truncated at byte {offset}: no tag")
    first = data[pos]
    pos += 1
    if first & 0x1F == 0x1F:
        while True:
            if pos >= end:
                raise MalformedData(f"TLV truncated at byte {offset}: tag runs off the end")
            more = data[pos] & 0x80
            pos += 1
            if pos - offset > 4:
                raise MalformedData(f"TLV tag at byte {offset} is longer than 4 bytes")
            if not more:
                break
    tag = int.from_bytes(data[offset:pos], "big")
    if pos >= end:
        raise MalformedData(f"TLV truncated at byte {offset}: no length")
    size = data[pos]
    pos += 1
    if size == 0x80:
        raise MalformedData(f"indefinite length at byte {offset}: ICAO files use definite lengths")
    if size > 0x80:
        count = size & 0x7F
        if count > 4 or pos + count > end:
            raise MalformedData(f"TLV length at byte {offset} is malformed")
        size = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + size > end:
        raise MalformedData(
            f"TLV at byte {offset} (tag {tag:X}) claims {size} bytes, only {end - pos} remain"
        )
    return TLV(tag, bytes(data[pos : pos + size]), bool(first & 0x20)), pos + size


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
