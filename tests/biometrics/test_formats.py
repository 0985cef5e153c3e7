"""Round trips through WSQ, ISO/IEC 19794-4 and ANSI/NIST-ITL Type-14."""

from __future__ import annotations

import datetime as dt
import struct

import numpy as np
import pytest

from biometrics import BiometricsError, formats, synthetic


@pytest.fixture(scope="module")
def finger() -> np.ndarray:
    return synthetic.fingerprint(5)


def test_wsq_round_trip(finger: np.ndarray) -> None:
    data = formats.wsq_encode(finger)
    assert data[:2] == b"\xff\xa0"
    assert len(data) < finger.size / 5  # really compressed
    back = formats.wsq_decode(data)
    assert back.shape == finger.shape
    # Lossy, but close: mean absolute error of a few grey levels.
    assert np.abs(back.astype(np.int16) - finger).mean() < 12


def test_wsq_rejects_garbage() -> None:
    with pytest.raises(BiometricsError, match="not a WSQ"):
        formats.wsq_decode(b"\x89PNG....")
    with pytest.raises(BiometricsError):
        formats.wsq_encode(np.zeros((10, 10, 3), np.uint8))


def test_iso19794_4_raw_round_trip(finger: np.ndarray) -> None:
    views = [
        formats.FingerImageRecord(finger, position=2, quality=57),
        formats.FingerImageRecord(finger[::-1].copy(), position=7, quality=33),
    ]
    data = formats.iso19794_4_encode(views)
    assert data[:8] == b"FIR\x00010\x00"
    assert int.from_bytes(data[8:14], "big") == len(data)
    assert data[18] == 2  # number of fingers
    assert struct.unpack(">H", data[20:22])[0] == 500  # horizontal scan resolution
    back = formats.iso19794_4_decode(data)
    assert [v.position for v in back] == [2, 7]
    assert [v.quality for v in back] == [57, 33]
    assert np.array_equal(back[0].image, finger)
    assert np.array_equal(back[1].image, finger[::-1])


def test_iso19794_4_wsq_round_trip(finger: np.ndarray) -> None:
    wsq = formats.wsq_encode(finger)
    view = formats.FingerImageRecord(
        finger, position=1, compression=formats.COMPRESSION_WSQ, data=wsq
    )
    data = formats.iso19794_4_encode([view])
    assert data[28] == 8 and data[29] == formats.COMPRESSION_WSQ  # depth, compression
    back = formats.iso19794_4_decode(data)
    assert back[0].data == wsq
    assert back[0].image.shape == finger.shape


def test_iso19794_4_rejects_damage(finger: np.ndarray) -> None:
    data = formats.iso19794_4_encode([formats.FingerImageRecord(finger)])
    with pytest.raises(BiometricsError, match="length"):
        formats.iso19794_4_decode(data[:-10])
    with pytest.raises(BiometricsError, match="FIR"):
        formats.iso19794_4_decode(b"XYZ" + data[3:])
    with pytest.raises(BiometricsError):
        formats.iso19794_4_encode([])


def test_type14_round_trip(finger: np.ndarray) -> None:
    data = formats.type14_encode(finger, 3, nfiq2=51, date=dt.date(2026, 11, 23))
    assert b"14.013:3" in data and b"14.011:WSQ20" in data and b"14.005:20261123" in data
    # FQM: position, score, quality algorithm owner (ISO/IEC JTC 1 SC 37), NFIQ 2 v2.3 model.
    assert b"14.024:3\x1f51\x1f0101\x1f57\x1d" in data
    (rec,) = formats.type14_decode(data)
    assert rec.position == 3 and rec.nfiq2 == 51 and rec.ppi == 500
    assert rec.exception_code is None
    assert rec.image.shape == finger.shape
    assert np.abs(rec.image.astype(np.int16) - finger).mean() < 12


def test_type14_exception_code(finger: np.ndarray) -> None:
    (rec,) = formats.type14_decode(formats.type14_encode(finger, 9, exception_code="XX"))
    assert rec.exception_code == "XX" and rec.nfiq2 is None


def test_type14_rejects_garbage() -> None:
    with pytest.raises(BiometricsError):
        formats.type14_decode(b"this is not a NIST file")
