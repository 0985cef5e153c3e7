"""Deterministic CBOR and COSE_Sign1 against published vectors."""

from __future__ import annotations

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from outbox import cbor, cose
from outbox.errors import RecordError

# cose-wg/Examples eddsa-examples/eddsa-sig-01 (Ed25519 COSE_Sign1, RFC 8032 test key 1).
WG_PRIVATE = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
WG_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
WG_MESSAGE = bytes.fromhex(
    "D28445A201270300A10442313154546869732069732074686520636F6E74656E742E5840"
    "7142FD2FF96D56DB85BEE905A76BA1D0B7321A95C8C4D3607C5781932B7AFB87"
    "11497DFA751BF40B58B3BCC32300B1487F3DB34085EEF013BF08F4A44D6FEF0D"
)
# The Sig_structure both WG EdDSA sign1 examples publish (protected {1: -8}).
WG_TO_BE_SIGNED_ALG_ONLY = bytes.fromhex(
    "846A5369676E61747572653143A101274054546869732069732074686520636F6E74656E742E"
)


def test_map_keys_are_ordered_by_encoded_bytes_not_length_first() -> None:
    value = {"a": 1, 1000: 2, -1: 3, 10: 4}
    # bytewise: 0a (10) < 1903e8 (1000) < 20 (-1) < 6161 ("a")
    assert cbor.encode(value).hex() == "a40a041903e8022003616101"
    # cbor2's canonical mode is length-first (RFC 8949 4.2.3) and would put "a" before 1000
    assert cbor2.dumps(value, canonical=True) != cbor.encode(value)


def test_decoder_refuses_duplicates_trailing_bytes_and_other_encodings() -> None:
    with pytest.raises(RecordError, match="not valid CBOR"):
        cbor.decode(bytes.fromhex("a2616101616102"))  # {"a": 1, "a": 2}
    with pytest.raises(RecordError, match="1 trailing bytes"):
        cbor.decode(cbor.encode({"a": 1}) + b"\x00")
    with pytest.raises(RecordError, match="not in deterministic CBOR"):
        cbor.decode(bytes.fromhex("a261620161610102"[:-2]))  # {"b": 1, "a": 1} out of order
    with pytest.raises(RecordError, match="not in deterministic CBOR"):
        cbor.decode(bytes.fromhex("1817"))  # 23 written in two bytes


def test_cose_wg_ed25519_example_verifies() -> None:
    public = ed25519.Ed25519PublicKey.from_public_bytes(WG_PUBLIC)
    message = cose.verify1(WG_MESSAGE, lambda kid: public if kid == b"11" else None)
    assert message.payload == b"This is the content."


def test_we_reproduce_the_cose_wg_signature_byte_for_byte() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(WG_PRIVATE)
    ours = cose.sign1(b"This is the content.", key, b"11", protected={1: -8, 3: 0})
    assert ours == WG_MESSAGE


def test_sig_structure_matches_the_published_to_be_signed() -> None:
    protected = cbor.encode({cose.ALG: cose.EDDSA})
    assert cose.sig_structure(protected, b"This is the content.") == WG_TO_BE_SIGNED_ALG_ONLY


def test_algorithm_minus_19_is_accepted_and_others_refused() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(WG_PRIVATE)
    for alg in (cose.EDDSA, cose.ED25519):
        message = cose.sign1(b"x", key, b"k", protected={1: alg})
        assert cose.verify1(message, lambda kid: key.public_key()).payload == b"x"
    es256 = cose.sign1(b"x", key, b"k", protected={1: -7})
    with pytest.raises(RecordError, match="unsupported COSE algorithm -7"):
        cose.verify1(es256, lambda kid: key.public_key())


def test_wrong_key_and_unknown_kid_are_refused() -> None:
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    with pytest.raises(RecordError, match="signature does not verify"):
        cose.verify1(WG_MESSAGE, lambda kid: other)
    with pytest.raises(RecordError, match="no registered kiosk key with kid 3131"):
        cose.verify1(WG_MESSAGE, lambda kid: None)
