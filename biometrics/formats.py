"""Image and record formats: WSQ, ISO/IEC 19794-4:2005 finger image records, ANSI/NIST Type-14.

WSQ comes from NIST's codec in the `wsq` package, Type-14 is built with `nistitl`; the small
19794-4 record is written here because no maintained package writes it.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biometrics import BiometricsError
from biometrics.native import quiet_stderr

log = logging.getLogger(__name__)

Gray = npt.NDArray[np.uint8]

# ISO/IEC 19794-4:2005 image compression algorithm codes (general header).
COMPRESSION_RAW = 0
COMPRESSION_WSQ = 2
COMPRESSION_JPEG = 3
COMPRESSION_JPEG2000 = 4
COMPRESSION_PNG = 5

# 14.024 FQM quality algorithm identification. nbis-py 0.1.3 embeds NFIQ 2 v2.3.0, whose own
# identifier constants give the CBEFF quality-algorithm owner 0x0101 (ISO/IEC JTC 1 SC 37)
# and algorithm 0x39 for its unified quality score model (NFIQ2Rev3, "NFIQ2v2.3.0"); the
# product code is an integer field (ANSI/NIST-ITL 1-2011), written in decimal.
NFIQ2_VENDOR = "0101"
NFIQ2_PRODUCT = str(0x39)

_ISO_HEADER = struct.Struct(">4s4s6sHHBBHHHHBBH")  # 32 bytes
_ISO_VIEW = struct.Struct(">IBBBBBHHB")  # 14 bytes


def wsq_encode(image: Gray) -> bytes:
    """WSQ-compress an 8-bit grey fingerprint with NIST's codec (the plugin's fixed ratio)."""
    import wsq  # noqa: F401  (registers the WSQ codec with Pillow)
    from PIL import Image

    if image.ndim != 2 or image.dtype != np.uint8:
        raise BiometricsError("WSQ needs an 8-bit greyscale image")
    buf = io.BytesIO()
    Image.fromarray(image, mode="L").save(buf, format="WSQ")
    log.debug("WSQ %dx%d -> %d bytes", image.shape[1], image.shape[0], buf.tell())
    return buf.getvalue()


def wsq_decode(data: bytes) -> Gray:
    """Decode a WSQ image to an 8-bit grey array."""
    import wsq  # noqa: F401
    from PIL import Image

    if data[:2] != b"\xff\xa0":
        raise BiometricsError("not a WSQ image (missing SOI marker FFA0)")
    try:
        with quiet_stderr(), Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("L"), dtype=np.uint8).copy()
    except Exception as exc:  # the codec raises a bare Exception ("WSQ Error: -39")
        detail = f" ({exc})" if str(exc).startswith("WSQ") else ""
        raise BiometricsError(f"corrupt or truncated WSQ image{detail}") from exc


@dataclass(frozen=True)
class FingerImageRecord:
    """One view of one finger in an ISO/IEC 19794-4:2005 record."""

    image: Gray
    position: int = 0
    quality: int = 254  # 254 = not computed, per the standard's convention for "no score"
    impression: int = 0  # 0 = live-scan plain
    ppi: int = 500
    compression: int = COMPRESSION_RAW
    data: bytes = b""


def iso19794_4_encode(views: list[FingerImageRecord], device_id: int = 0) -> bytes:
    """Write a 19794-4:2005 record; raw views store pixels, WSQ views store their bytes."""
    if not views:
        raise BiometricsError("a finger image record needs at least one view")
    compression = views[0].compression
    ppi = views[0].ppi
    counts: dict[int, int] = {}
    for view in views:
        if view.compression != compression or view.ppi != ppi:
            raise BiometricsError("all views of one record share compression and resolution")
        if view.compression != COMPRESSION_RAW and not view.data:
            raise BiometricsError("compressed view without data")
        counts[view.position] = counts.get(view.position, 0) + 1
    # Second pass now that views per position are known.
    out = b""
    seen: dict[int, int] = {}
    for view in views:
        h, w = view.image.shape
        payload = view.image.tobytes() if compression == COMPRESSION_RAW else view.data
        seen[view.position] = seen.get(view.position, 0) + 1
        out += _ISO_VIEW.pack(
            _ISO_VIEW.size + len(payload),
            view.position,
            counts[view.position],
            seen[view.position],
            view.quality,
            view.impression,
            w,
            h,
            0,
        )
        out += payload
    length = _ISO_HEADER.size + len(out)
    if length >= 1 << 48:
        raise BiometricsError("finger image record too large")
    header = _ISO_HEADER.pack(
        b"FIR\0",
        b"010\0",
        length.to_bytes(6, "big"),
        device_id,
        31 if ppi == 500 else 41 if ppi == 1000 else 30,  # image acquisition level
        len(views),
        1,  # scale units: pixels per inch
        ppi,
        ppi,
        ppi,
        ppi,
        8,
        compression,
        0,
    )
    return header + out


def iso19794_4_decode(data: bytes) -> list[FingerImageRecord]:
    """Read a 19794-4:2005 record back (raw and WSQ views)."""
    if len(data) < _ISO_HEADER.size or data[:4] != b"FIR\0":
        raise BiometricsError("not an ISO/IEC 19794-4 record (missing 'FIR' identifier)")
    fields = _ISO_HEADER.unpack_from(data)
    if fields[1] != b"010\0":
        raise BiometricsError(f"unsupported 19794-4 version {fields[1]!r}")
    length = int.from_bytes(fields[2], "big")
    if length != len(data):
        raise BiometricsError(f"19794-4 record length {length} does not match {len(data)} bytes")
    count, ppi, depth, compression = fields[5], fields[7], fields[11], fields[12]
    if depth != 8:
        raise BiometricsError(f"unsupported pixel depth {depth}")
    pos = _ISO_HEADER.size
    views: list[FingerImageRecord] = []
    for _ in range(count):
        if pos + _ISO_VIEW.size > len(data):
            raise BiometricsError("19794-4 record truncated in a view header")
        vlen, fgp, _nviews, _vno, quality, imp, w, h, _ = _ISO_VIEW.unpack_from(data, pos)
        payload = data[pos + _ISO_VIEW.size : pos + vlen]
        if vlen < _ISO_VIEW.size or pos + vlen > len(data):
            raise BiometricsError("19794-4 view length runs past the record")
        if compression == COMPRESSION_RAW:
            if len(payload) != w * h:
                raise BiometricsError("19794-4 raw view size does not match its dimensions")
            img = np.frombuffer(payload, dtype=np.uint8).reshape(h, w).copy()
        elif compression == COMPRESSION_WSQ:
            img = wsq_decode(payload)
        else:
            raise BiometricsError(f"unsupported 19794-4 compression code {compression}")
        views.append(FingerImageRecord(img, fgp, quality, imp, ppi, compression, payload))
        pos += vlen
    return views


def type14_encode(
    image: Gray,
    position: int,
    nfiq2: int | None = None,
    ppi: int = 500,
    agency: str = "KIOSK",
    exception_code: str | None = None,
    date: dt.date | None = None,
) -> bytes:
    """An ANSI/NIST-ITL 1-2011 transaction with one Type-14 (variable-resolution finger) record."""
    import nistitl

    wsq_bytes = wsq_encode(image)
    h, w = image.shape
    msg = nistitl.Message()
    msg.TOT = "CAR"
    r14 = nistitl.AsciiRecord(14)
    r14.IDC = 1
    when = (date or dt.datetime.now(dt.UTC).date()).strftime("%Y%m%d")
    for tag, value in (
        (3, "0"),  # impression type: live-scan plain
        (4, agency),
        (5, when),
        (6, str(w)),
        (7, str(h)),
        (8, "1"),  # scale units: pixels per inch
        (9, str(ppi)),
        (10, str(ppi)),
        (11, "WSQ20"),
        (12, "8"),
        (13, str(position)),
    ):
        r14 += nistitl.Field(14, tag, value)
    if exception_code is not None:
        amp = nistitl.Field(14, 18)
        amp.add_subfields(nistitl.SubField([str(position), exception_code]))
        r14 += amp
    if nfiq2 is not None:
        # 14.024 FQM: finger position, quality value, algorithm vendor id, product id.
        fqm = nistitl.Field(14, 24)
        fqm.add_subfields(
            nistitl.SubField([str(position), str(nfiq2), NFIQ2_VENDOR, NFIQ2_PRODUCT])
        )
        r14 += fqm
    r14 += nistitl.BinaryField(14, 999, wsq_bytes)
    msg += r14
    data: bytes = msg.NIST
    return data


@dataclass(frozen=True)
class Type14:
    """What we read back from a Type-14 record."""

    image: Gray
    position: int
    ppi: int
    nfiq2: int | None
    exception_code: str | None


def type14_decode(data: bytes) -> list[Type14]:
    """Parse a transaction and return every Type-14 record's image and metadata."""
    import nistitl

    msg = nistitl.Message()
    try:
        msg.parse(data)
    except (nistitl.NistException, ValueError, IndexError, KeyError) as exc:
        raise BiometricsError(f"not a valid ANSI/NIST-ITL transaction: {exc}") from exc
    out: list[Type14] = []
    for rec in msg.iter(14):
        fields = {f.tag: f for f in rec._fields}
        if 999 not in fields:
            raise BiometricsError("Type-14 record without image data (14.999)")
        raw = fields[999].value
        blob = raw if isinstance(raw, bytes) else str(raw).encode("latin-1")
        cga = str(fields[11].value) if 11 in fields else "NONE"
        if cga != "WSQ20":
            raise BiometricsError(f"unsupported Type-14 compression {cga!r}")
        nfiq2 = None
        if 24 in fields:
            nfiq2 = int(fields[24][0].values[1])
        exc_code = str(fields[18][0].values[1]) if 18 in fields else None
        out.append(
            Type14(
                image=wsq_decode(blob),
                position=int(str(fields[13].value)),
                ppi=int(str(fields[9].value)),
                nfiq2=nfiq2,
                exception_code=exc_code,
            )
        )
    return out
