"""DG2: the encoded face (ISO/IEC 19794-5 in LDS 1.7, ISO/IEC 39794-5 in LDS 2), JPEG or JPEG 2000.

Each biometric information template (7F60) holds one biometric data block: tag 5F2E with an
ISO 19794-5 'FAC' record, or tag 7F2E with an ISO 39794-5 DER structure. Images decode with
Pillow (its wheels carry OpenJPEG for JPEG 2000).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from emrtd import MalformedData, tlv
from emrtd.lds import DATA_GROUPS

JPEG = "image/jpeg"
JPEG2000 = "image/jp2"
_JP2_MAGIC = (b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")


def _mime(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8"):
        return JPEG
    if data.startswith(_JP2_MAGIC):
        return JPEG2000
    return None


@dataclass(frozen=True)
class FaceImage:
    mime: str
    data: bytes
    width: int
    height: int
    standard: str  # "ISO 19794-5" | "ISO 39794-5"
    gender: int | None = None

    def decode(self) -> Any:
        """The image as a Pillow image; `MalformedData` when it does not decode."""
        from PIL import Image, UnidentifiedImageError

        try:
            image = Image.open(io.BytesIO(self.data))
            image.load()
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
            raise MalformedData(f"DG2: the face image does not decode ({exc})") from None
        return image

    @property
    def extension(self) -> str:
        return ".jpg" if self.mime == JPEG else ".jp2"


def _u(data: bytes, start: int, size: int) -> int:
    return int.from_bytes(data[start : start + size], "big")


def parse_19794_5(block: bytes) -> list[FaceImage]:
    """A 'FAC' facial record: header, then per image its information and the image data."""
    if len(block) < 14 or block[:4] != b"FAC\x00":
        raise MalformedData("DG2: the biometric data block is not an ISO 19794-5 'FAC' record")
    count = _u(block, 12, 2)
    pos = 14
    faces: list[FaceImage] = []
    for _ in range(count):
        if pos + 20 > len(block):
            raise MalformedData("DG2: the facial record is shorter than its image count says")
        length = _u(block, pos, 4)
        points = _u(block, pos + 4, 2)
        gender = block[pos + 6]
        info = pos + 20 + 8 * points
        end = pos + length
        if length < 32 + 8 * points or end > len(block):
            raise MalformedData("DG2: a facial image block has an impossible length")
        width, height = _u(block, info + 2, 2), _u(block, info + 4, 2)
        data = block[info + 12 : end]
        kind = block[info + 1]
        mime = {0: JPEG, 1: JPEG2000}.get(kind) or _mime(data)
        if mime is None:
            raise MalformedData(f"DG2: image data type {kind} is neither JPEG nor JPEG 2000")
        faces.append(FaceImage(mime, data, width, height, "ISO 19794-5", gender))
        pos = end
    return faces


def encode_19794_5(image: bytes, width: int, height: int, mime: str = JPEG) -> bytes:
    """One 'FAC' record with one frontal image and no feature points (for issuers and tests)."""
    info = bytes((1, 0 if mime == JPEG else 1)) + width.to_bytes(2, "big")
    info += height.to_bytes(2, "big") + bytes((1, 2)) + b"\x00\x00" + b"\x00\x00"
    face = (20 + len(info) + len(image)).to_bytes(4, "big") + b"\x00\x00"
    face += bytes((0, 0, 0)) + b"\x00\x00\x00" + b"\x00\x00" + b"\x00" * 6
    face += info + image
    header = b"FAC\x00010\x00" + (14 + len(face)).to_bytes(4, "big") + b"\x00\x01"
    return header + face


def parse_39794_5(block: bytes) -> list[FaceImage]:
    """An ISO 39794-5 block: the image is the OCTET STRING of the representation whose bytes
    are a JPEG or JPEG 2000 stream (the structure's other fields are not needed here)."""
    found: list[FaceImage] = []

    def walk(data: bytes, depth: int) -> None:
        if depth > 12:
            return
        for obj in tlv.iter_tlv(data):
            if obj.constructed:
                walk(obj.value, depth + 1)
            else:
                mime = _mime(obj.value)
                if mime is not None:
                    found.append(FaceImage(mime, obj.value, 0, 0, "ISO 39794-5"))

    walk(block, 0)
    if not found:
        raise MalformedData("DG2: the ISO 39794-5 block holds no JPEG or JPEG 2000 image")
    return found


@dataclass(frozen=True)
class DG2File:
    faces: tuple[FaceImage, ...]

    @classmethod
    def parse(cls, raw: bytes) -> DG2File:
        outer = tlv.parse(raw, DATA_GROUPS[2].tag, "DG2")
        group = outer.require(0x7F61, "DG2")
        faces: list[FaceImage] = []
        for template in group.children():
            if template.tag != 0x7F60:
                continue
            for item in template.children():
                if item.tag == 0x5F2E:
                    faces.extend(parse_19794_5(item.value))
                elif item.tag == 0x7F2E:
                    faces.extend(parse_39794_5(item.value))
        if not faces:
            raise MalformedData("DG2 holds no face image")
        return cls(tuple(faces))

    @staticmethod
    def encode(record: bytes) -> bytes:
        """DG2 around one 19794-5 record, with the biometric header of 9303-10 §4.7.2."""
        header = tlv.encode(0xA1, tlv.encode(0x87, b"\x01\x01") + tlv.encode(0x88, b"\x00\x08"))
        template = tlv.encode(0x7F60, header + tlv.encode(0x5F2E, record))
        group = tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + template)
        return tlv.encode(DATA_GROUPS[2].tag, group)
