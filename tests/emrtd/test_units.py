"""Building blocks checked against independent implementations: curves against OpenSSL
(through `cryptography`), APDU encodings, faces in JPEG 2000, RSA active authentication."""

from __future__ import annotations

import io
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emrtd import MalformedData
from emrtd.active_auth import verify_rsa_9796_2
from emrtd.apdu import Command, parse_command
from emrtd.crypto import AES128, AES256, TDES
from emrtd.curves import STANDARD_CURVES
from emrtd.lds.dg2 import JPEG2000, DG2File, encode_19794_5
from emrtd.sm import SecureChannel
from kiosk.sim.issuer import portrait_jpeg

CRYPTOGRAPHY_CURVES = {
    "P-192": ec.SECP192R1, "P-224": ec.SECP224R1, "P-256": ec.SECP256R1, "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1, "brainpoolP256r1": ec.BrainpoolP256R1,
    "brainpoolP384r1": ec.BrainpoolP384R1, "brainpoolP512r1": ec.BrainpoolP512R1,
}  # fmt: skip


@pytest.mark.parametrize("parameter_id", sorted(STANDARD_CURVES))
def test_every_standard_curve_is_a_group_of_its_order(parameter_id: int) -> None:
    curve = STANDARD_CURVES[parameter_id]
    assert curve.on_curve(curve.g)
    assert curve.mul(curve.n, curve.g) is None
    k = curve.random_scalar()
    assert curve.add(curve.mul(k, curve.g), curve.mul(curve.n - k, curve.g)) is None


@pytest.mark.parametrize("name", sorted(CRYPTOGRAPHY_CURVES))
def test_scalar_multiplication_agrees_with_openssl(name: str) -> None:
    curve = next(c for c in STANDARD_CURVES.values() if c.name == name)
    k = curve.random_scalar()
    numbers = ec.derive_private_key(k, CRYPTOGRAPHY_CURVES[name]()).public_key().public_numbers()
    assert curve.mul(k, curve.g) == (numbers.x, numbers.y)


def test_a_point_off_the_curve_is_refused() -> None:
    curve = STANDARD_CURVES[12]
    x, y = curve.g
    with pytest.raises(MalformedData, match="not on P-256"):
        curve.decode(b"\x04" + x.to_bytes(32, "big") + (y + 1).to_bytes(32, "big"))


@pytest.mark.parametrize(
    "command",
    [
        Command(0x00, 0xA4, 0x04, 0x0C, bytes(7)),
        Command(0x00, 0xB0, 0x01, 0x00, le=256),
        Command(0x00, 0xB0, 0x00, 0x00, le=4000),
        Command(0x0C, 0xD6, 0x00, 0x00, bytes(300), le=65536),
        Command(0x00, 0x84, 0x00, 0x00),
    ],
)
def test_short_and_extended_apdus_round_trip(command: Command) -> None:
    assert parse_command(command.encode()) == command


def test_extended_length_encoding_follows_iso_7816_4() -> None:
    assert Command(0x00, 0xB0, 0x00, 0x00, le=4000).encode().hex() == "00b00000000fa0"
    assert Command(0x00, 0xD6, 0, 0, bytes(300)).encode()[4:7].hex() == "00012c"


@pytest.mark.parametrize("suite", [TDES, AES128, AES256], ids=lambda s: s.name)
def test_secure_messaging_wraps_long_reads_with_extended_le(suite) -> None:  # type: ignore[no-untyped-def]
    channel = SecureChannel(suite, os.urandom(suite.key_length), os.urandom(16), 0)
    wrapped = channel.wrap(Command(0x00, 0xB0, 0x00, 0x00, le=1000))
    parsed = parse_command(wrapped)
    assert parsed.cla == 0x0C and parsed.le == 65536
    assert bytes.fromhex("970203e8") in parsed.data


def test_a_jpeg_2000_portrait_decodes_with_pillow() -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(portrait_jpeg())).resize((120, 160))
    out = io.BytesIO()
    image.save(out, "JPEG2000")
    face = DG2File.parse(DG2File.encode(encode_19794_5(out.getvalue(), 120, 160, JPEG2000))).faces[
        0
    ]
    assert face.mime == JPEG2000 and face.extension == ".jp2"
    assert face.decode().size == (120, 160)


def test_an_undecodable_portrait_is_a_clear_error() -> None:
    face = DG2File.parse(DG2File.encode(encode_19794_5(b"\xff\xd8garbage", 10, 10))).faces[0]
    with pytest.raises(MalformedData, match="DG2: the face image does not decode"):
        face.decode()


def _rsa_9796_2_sign(key: rsa.RSAPrivateKey, challenge: bytes, trailer_sha256: bool) -> bytes:
    import hashlib

    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    if trailer_sha256:
        m1 = os.urandom(size - 2 - 32 - 1)
        rep = b"\x6a" + m1 + hashlib.sha256(m1 + challenge).digest() + b"\x34\xcc"
    else:
        m1 = os.urandom(size - 22)
        rep = b"\x6a" + m1 + hashlib.sha1(m1 + challenge).digest() + b"\xbc"
    return pow(int.from_bytes(rep, "big"), numbers.d, n).to_bytes(size, "big")


@pytest.mark.parametrize("sha256", [False, True])
def test_rsa_active_authentication_recovers_the_challenge_hash(sha256: bool) -> None:
    from cryptography.exceptions import InvalidSignature

    key = rsa.generate_private_key(65537, 1024)
    challenge = os.urandom(8)
    signature = _rsa_9796_2_sign(key, challenge, sha256)
    verify_rsa_9796_2(key.public_key(), challenge, signature)
    with pytest.raises(InvalidSignature):
        verify_rsa_9796_2(key.public_key(), os.urandom(8), signature)


def test_an_iso_39794_5_face_block_yields_its_jpeg() -> None:
    from emrtd import tlv

    jpeg = portrait_jpeg()
    # representation block -> image representation -> image data (context tags, DER)
    block = tlv.encode(
        0xA1, tlv.encode(0xA0, tlv.encode(0x30, tlv.encode(0x80, jpeg) + tlv.encode(0x81, b"\x01")))
    )
    template = tlv.encode(0x7F60, tlv.encode(0xA1, b"") + tlv.encode(0x7F2E, block))
    raw = tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + template))
    face = DG2File.parse(raw).faces[0]
    assert face.standard == "ISO 39794-5" and face.data == jpeg
    assert face.decode().size == (360, 480)


def test_a_dg2_past_32_kb_is_read_with_odd_read_binary_under_secure_messaging() -> None:
    from PIL import Image

    from drivers.sim.passport import PassportChip
    from emrtd.reader import read_chip
    from emrtd.trust import TrustStore
    from kiosk.sim.issuer import make_passport

    big = io.BytesIO()
    Image.open(io.BytesIO(portrait_jpeg())).resize((720, 960)).save(big, "JPEG", quality=95)
    assert len(big.getvalue()) > 40_000
    passport = make_passport(portrait=big.getvalue(), chip_auth=False, active_auth=None)
    chip = PassportChip(passport.profile)
    report = read_chip(
        chip.apdu, passport.key, trust=TrustStore(certificates=[passport.pki.csca]), groups=(1, 2)
    )
    assert report.genuine, report.to_dict()
    assert report.faces[0].data == big.getvalue()
    assert any(command[1] == 0xB1 for command in chip.commands)


def test_chip_authentication_with_3des_after_bac_uses_mse_set_kat() -> None:
    from drivers.sim.passport import PassportChip
    from emrtd.reader import read_chip
    from emrtd.trust import TrustStore
    from kiosk.sim.issuer import make_passport

    passport = make_passport(pace_parameter_id=None, chip_auth_cipher="1", active_auth=None)
    chip = PassportChip(passport.profile)
    report = read_chip(
        chip.apdu, passport.key, trust=TrustStore(certificates=[passport.pki.csca]), groups=(1, 14)
    )
    assert report.access == "BAC" and report.genuine
    assert {c.name: c.reason for c in report.checks}["chip authentication"] == "P-256, 3DES"


def test_a_cloned_chip_without_the_private_key_fails_chip_authentication() -> None:
    from drivers.sim.passport import PassportChip
    from emrtd.reader import read_chip
    from emrtd.trust import TrustStore
    from kiosk.sim.issuer import make_passport

    passport = make_passport(active_auth=None)
    assert passport.profile.chip_auth is not None
    passport.profile.chip_auth.private_key += 1  # data copied, key unknown to the cloner
    report = read_chip(
        PassportChip(passport.profile).apdu,
        passport.key,
        trust=TrustStore(certificates=[passport.pki.csca]),
        groups=(1,),
    )
    assert not report.genuine
    assert report.reason.startswith(
        "chip authentication: the chip could not continue under the new keys"
    )


def test_a_can_cannot_open_a_chip_without_pace() -> None:
    from drivers.sim.passport import PassportChip
    from emrtd import AccessDenied
    from emrtd.keys import CANKey
    from emrtd.reader import read_chip
    from kiosk.sim.issuer import make_passport

    chip = PassportChip(
        make_passport(pace_parameter_id=None, chip_auth=False, active_auth=None).profile
    )
    with pytest.raises(AccessDenied, match="BAC needs the MRZ, not a CAN"):
        read_chip(chip.apdu, CANKey("123456"), trust=None)
