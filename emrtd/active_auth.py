"""Active authentication (ICAO 9303-11 §6.1): the chip signs our challenge with the private
key of DG15 (RSA with ISO/IEC 9796-2 scheme 1 message recovery, or ECDSA)."""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

from emrtd import SIGNATURE_ERRORS, CardError, EMRTDError
from emrtd.apdu import Command
from emrtd.checks import FAIL, PASS, Check
from emrtd.service import PassportService

NAME = "active authentication"

#: ISO/IEC 9796-2 trailer hash identifiers (the byte before 0xCC).
_TRAILER_HASH = {0x33: "sha1", 0x34: "sha256", 0x35: "sha512", 0x36: "sha384", 0x38: "sha224"}
_ECDSA_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "1.2.840.10045.4.1": hashes.SHA1,
    "1.2.840.10045.4.3.1": hashes.SHA224,
    "1.2.840.10045.4.3.2": hashes.SHA256,
    "1.2.840.10045.4.3.3": hashes.SHA384,
    "1.2.840.10045.4.3.4": hashes.SHA512,
}


def verify_rsa_9796_2(key: rsa.RSAPublicKey, challenge: bytes, signature: bytes) -> None:
    """Recover the message representative and check it holds our challenge's hash."""
    numbers = key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    m = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n)
    if m & 0xF != 0xC:  # the representative may be returned as n - m (ISO 9796-2 §B)
        m = numbers.n - m
    rep = m.to_bytes(size, "big")
    if rep[-1] == 0xBC:
        hash_name, trailer = "sha1", 1
    elif rep[-1] == 0xCC and rep[-2] in _TRAILER_HASH:
        hash_name, trailer = _TRAILER_HASH[rep[-2]], 2
    else:
        raise InvalidSignature("the recovered message has no ISO 9796-2 trailer")
    if rep[0] & 0xC0 != 0x40:
        raise InvalidSignature("the recovered message has no ISO 9796-2 header")
    digest_size = hashlib.new(hash_name).digest_size
    m1 = rep[1 : size - trailer - digest_size]
    recovered_hash = rep[size - trailer - digest_size : size - trailer]
    if hashlib.new(hash_name, m1 + challenge).digest() != recovered_hash:
        raise InvalidSignature("the recovered hash does not cover our challenge")


def authenticate(service: PassportService, public_key: object, signature_oid: str = "") -> Check:
    challenge = os.urandom(8)
    try:
        signature = service.send(Command(0x00, 0x88, 0x00, 0x00, challenge, le=256)).check(
            "INTERNAL AUTHENTICATE"
        )
    except CardError as exc:
        return Check(NAME, FAIL, str(exc))
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            verify_rsa_9796_2(public_key, challenge, signature)
            return Check(NAME, PASS, f"RSA-{public_key.key_size}")
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            algorithm: type[hashes.HashAlgorithm] = _ECDSA_HASH.get(signature_oid, hashes.SHA256)
            half = len(signature) // 2
            der = utils.encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
            public_key.verify(der, challenge, ec.ECDSA(algorithm()))
            return Check(NAME, PASS, f"ECDSA {public_key.curve.name}")
    except SIGNATURE_ERRORS as exc:
        return Check(NAME, FAIL, f"the chip's signature does not verify ({exc or 'bad signature'})")
    raise EMRTDError("DG15 holds a key type active authentication does not use")
