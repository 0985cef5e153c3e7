"""PACE with generic mapping over ECDH (ICAO 9303-11 §4.4), keys from the MRZ or a CAN."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from asn1crypto import core

from emrtd import AccessDenied, CardError, MalformedData, NotSupported, tlv
from emrtd.apdu import Command, Response
from emrtd.crypto import ENC, MAC, PACE, Suite, pad
from emrtd.curves import Curve
from emrtd.keys import AccessKey
from emrtd.security_infos import PACEInfo
from emrtd.sm import SecureChannel

Transceive = Callable[[bytes], bytes]


def oid_bytes(oid: str) -> bytes:
    return bytes(core.ObjectIdentifier(oid).contents)


def password_key(suite: Suite, key: AccessKey) -> bytes:
    """K_pi = KDF(f(pi), 3): f is SHA-1 of the MRZ information, or the CAN itself."""
    return suite.kdf(key.secret, PACE)


def auth_token(suite: Suite, k_mac: bytes, oid: str, public: bytes) -> bytes:
    """MAC over the public key data object 7F49 {06 OID, 86 point} (§4.4.3.4)."""
    data = tlv.encode(0x7F49, tlv.encode(0x06, oid_bytes(oid)) + tlv.encode(0x86, public))
    return suite.mac(k_mac, pad(data, 8) if suite.name == "3DES" else data)


def _general_authenticate(
    transceive: Transceive, tag: int, value: bytes, last: bool, step: str
) -> bytes:
    body = tlv.encode(0x7C, tlv.encode(tag, value) if tag else b"")
    command = Command(0x00 if last else 0x10, 0x86, 0x00, 0x00, body, le=256)
    response = Response.decode(transceive(command.encode()))
    if response.sw in (0x6300, 0x6982) or response.sw & 0xFFF0 == 0x63C0:
        raise AccessDenied(f"PACE {step} refused")
    data = response.check(f"PACE {step}")
    outer = tlv.parse(data, 0x7C, f"PACE {step} answer")
    inner = outer.children()
    if len(inner) != 1:
        raise MalformedData(f"PACE {step} answer holds {len(inner)} objects, expected 1")
    return inner[0].value


def authenticate(
    transceive: Transceive,
    key: AccessKey,
    info: PACEInfo,
    *,
    send_parameter_id: bool = True,
    ephemeral: Iterator[int] | None = None,
) -> SecureChannel:
    """Run PACE; the SM channel (SSC 0). `ephemeral` supplies private keys for test vectors."""
    if not info.supported:
        raise NotSupported(f"PACE protocol {info.oid} (parameters {info.parameter_id})")
    suite, curve = info.suite, info.curve
    data = tlv.encode(0x80, oid_bytes(info.oid)) + tlv.encode(0x83, bytes((key.password_ref,)))
    if send_parameter_id and info.parameter_id is not None:
        data += tlv.encode(0x84, bytes((info.parameter_id,)))
    answer = Response.decode(transceive(Command(0x00, 0x22, 0xC1, 0xA4, data).encode()))
    if answer.sw == 0x6A88 or answer.sw == 0x6A80:
        raise AccessDenied("the chip does not know this password type")
    answer.check("MSE:Set AT for PACE")

    def next_key() -> int:
        return next(ephemeral) if ephemeral is not None else curve.random_scalar()

    try:
        nonce = _general_authenticate(transceive, 0, b"", False, "encrypted nonce")
        if len(nonce) % suite.block or not nonce:
            raise MalformedData("PACE nonce has a bad length")
        s = int.from_bytes(suite.decrypt(password_key(suite, key), nonce), "big")
        generator = _map(transceive, curve, s, next_key())
        secret, our_public, chip_public = _agree(transceive, curve, generator, next_key())
        k_enc, k_mac = suite.kdf(secret, ENC), suite.kdf(secret, MAC)
        token = auth_token(suite, k_mac, info.oid, chip_public)
        chip_token = _general_authenticate(transceive, 0x85, token, True, "mutual authentication")
    except CardError as exc:
        raise AccessDenied(str(exc)) from None
    if chip_token != auth_token(suite, k_mac, info.oid, our_public):
        raise AccessDenied("the chip's PACE token does not verify")
    return SecureChannel(suite, k_enc, k_mac, 0)


def _map(transceive: Transceive, curve: Curve, s: int, sk_map: int) -> tuple[int, int]:
    """Generic mapping: G' = s*G + SK_map*PK_map,IC."""
    pk_map = curve.encode(curve.mul(sk_map, curve.g))
    chip_map = curve.decode(_general_authenticate(transceive, 0x81, pk_map, False, "mapping"))
    shared = curve.mul(sk_map, chip_map)
    generator = curve.add(curve.mul(s, curve.g), shared)
    if generator is None:
        raise AccessDenied("PACE mapping gave the point at infinity")
    return generator


def _agree(
    transceive: Transceive, curve: Curve, generator: tuple[int, int], sk: int
) -> tuple[bytes, bytes, bytes]:
    """Key agreement on the mapped generator: (x of the shared point, our key, the chip's)."""
    ours = curve.encode(curve.mul(sk, generator))
    theirs_raw = _general_authenticate(transceive, 0x83, ours, False, "key agreement")
    theirs = curve.decode(theirs_raw)
    if theirs_raw == ours:
        raise AccessDenied("the chip echoed our PACE key")
    shared = curve.mul(sk, theirs)
    if shared is None:
        raise AccessDenied("PACE key agreement gave the point at infinity")
    return shared[0].to_bytes(curve.size, "big"), ours, theirs_raw
