"""COSE_Sign1 (RFC 9052 §4.2) with Ed25519, written on cbor2 and cryptography.

    COSE_Sign1 = #6.18([protected: bstr .cbor {1: -8}, unprotected: {4: kid},
                        payload: bstr, signature: bstr])

The signature covers Sig_structure = ["Signature1", protected, external_aad = h'', payload].
Verification accepts algorithm -8 (EdDSA) and -19 (Ed25519, the fully specified name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from outbox import cbor
from outbox.errors import RecordError

COSE_SIGN1_TAG = 18
ALG, CONTENT_TYPE, KID = 1, 3, 4
CWT_CLAIMS = 15  # RFC 9597: claims about the payload, in the protected header
# RFC 9995 (COSE Hash Envelope): the payload is a hash of the content ("preimage").
PAYLOAD_HASH_ALG, PREIMAGE_CONTENT_TYPE, PAYLOAD_LOCATION = 258, 259, 260
SHA_256 = -16  # COSE algorithm registry
EDDSA, ED25519 = -8, -19
ACCEPTED_ALGORITHMS = (EDDSA, ED25519)


class Signer(Protocol):
    """What signs: an Ed25519 private key in a file, or a handle on a key in a token."""

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> ed25519.Ed25519PublicKey: ...


@dataclass(frozen=True)
class Sign1:
    protected: bytes
    unprotected: dict[Any, Any]
    payload: bytes
    signature: bytes
    headers: dict[Any, Any]  # protected over unprotected, decoded once by `parse`
    protected_headers: dict[Any, Any] | None = None  # the protected map alone

    @property
    def kid(self) -> bytes | None:
        value = self.headers.get(KID)
        return value if isinstance(value, bytes) else None


def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    # An array of one text and three byte strings: cbor2's encoding is the deterministic one.
    return cbor2.dumps(["Signature1", protected, external_aad, payload])


def sign1(
    payload: bytes,
    key: Signer,
    kid: bytes,
    protected: dict[int, Any] | None = None,
) -> bytes:
    """A tagged COSE_Sign1 over `payload`; its bytes are stored and sent as they are."""
    protected_bytes = cbor.encode(protected if protected is not None else {ALG: EDDSA})
    signature = key.sign(sig_structure(protected_bytes, payload))
    return cbor.encode(
        cbor2.CBORTag(COSE_SIGN1_TAG, [protected_bytes, {KID: kid}, payload, signature])
    )


def parse(data: bytes) -> Sign1:
    """Structure only (no signature check): a tagged, deterministic COSE_Sign1."""
    value = cbor.decode(data, "COSE_Sign1")
    if not isinstance(value, cbor2.CBORTag) or value.tag != COSE_SIGN1_TAG:
        raise RecordError("not a COSE_Sign1 message (CBOR tag 18 expected)")
    parts = value.value
    if not (isinstance(parts, list | tuple) and len(parts) == 4):
        raise RecordError("COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = parts
    if not isinstance(protected, bytes) or not isinstance(unprotected, Mapping):
        raise RecordError("COSE_Sign1 headers are malformed")
    if not isinstance(payload, bytes):
        raise RecordError("COSE_Sign1 payload must be attached (a byte string)")
    if not isinstance(signature, bytes) or len(signature) != 64:
        raise RecordError("COSE_Sign1 signature must be 64 bytes (Ed25519)")
    headers = cbor.decode(protected, "protected header")
    if not isinstance(headers, dict):
        raise RecordError("COSE_Sign1 protected header must be a map")
    if not isinstance(headers.get(KID, unprotected.get(KID, b"")), bytes):
        raise RecordError("COSE_Sign1 kid must be a byte string")
    return Sign1(
        protected, dict(unprotected), payload, signature, {**unprotected, **headers}, headers
    )


def check_signature(message: Sign1, key: ed25519.Ed25519PublicKey) -> None:
    """The algorithm is EdDSA and the signature verifies with `key`; else `RecordError`."""
    alg = message.headers.get(ALG)
    if type(alg) is not int or alg not in ACCEPTED_ALGORITHMS:
        raise RecordError(f"unsupported COSE algorithm {alg!r}; expected EdDSA")
    try:
        key.verify(message.signature, sig_structure(message.protected, message.payload))
    except InvalidSignature:
        raise RecordError("signature does not verify: the record was altered") from None


def verify1(
    data: bytes, key_for: Callable[[bytes | None], ed25519.Ed25519PublicKey | None]
) -> Sign1:
    """Parse and check the signature with the key `key_for(kid)` returns."""
    message = parse(data)
    key = key_for(message.kid)
    if key is None:
        kid = message.kid.hex() if message.kid else "none"
        raise RecordError(f"no registered kiosk key with kid {kid}")
    check_signature(message, key)
    return message
