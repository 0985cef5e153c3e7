"""The record test vectors committed in docs/record-vectors.json: the same key, header and
ciphertext give the same bytes, and the bytes read, verify and decrypt as documented."""

from __future__ import annotations

import json
import re

import cbor2
import pytest

from outbox.errors import RecordError
from outbox.keys import kid
from outbox.record import (
    BODY_CONTENT_TYPE,
    decrypt_body,
    read_header,
    record_hash,
    seal_ciphertext,
    verify_record,
    without_body,
)
from tests.outbox import vectors

VECTORS = json.loads(vectors.PATH.read_text())


def test_the_vector_inputs_are_the_ones_the_generator_uses() -> None:
    assert VECTORS["header"] == vectors.HEADER
    assert bytes.fromhex(VECTORS["signing_key_seed"]) == vectors.SIGNING_SEED
    assert bytes.fromhex(VECTORS["kid"]) == kid(vectors.signing_key().public_key())
    assert cbor2.loads(bytes.fromhex(VECTORS["body_cbor"])) == vectors.BODY


@pytest.mark.parametrize("version", [1, 2])
def test_sealing_the_vector_ciphertext_gives_the_expected_bytes(version: int) -> None:
    entry = VECTORS[f"v{version}"]
    key = vectors.signing_key()
    header = vectors.header(version)
    assert header.info.hex() == entry["hpke_info"]
    data, chain_hash = seal_ciphertext(
        header, bytes.fromhex(entry["ciphertext"]), key, kid(key.public_key())
    )
    assert data.hex() == entry["record"]
    assert chain_hash.hex() == entry["record_hash"]


@pytest.mark.parametrize("version", [1, 2])
def test_the_vector_record_verifies_and_decrypts_to_the_body(version: int) -> None:
    entry = VECTORS[f"v{version}"]
    public = vectors.signing_key().public_key()
    record = verify_record(bytes.fromhex(entry["record"]), lambda k: public)
    assert record.version == version and record.header == vectors.header(version)
    assert record.hash.hex() == entry["record_hash"]
    assert record.message.signature.hex() == entry["signature"]
    assert decrypt_body(record, vectors.central_private()) == vectors.BODY


def test_v2_vector_is_a_cose_hash_envelope_beside_its_body() -> None:
    """Read with plain cbor2, not our code: the layout docs/record.cddl describes."""
    entry = VECTORS["v2"]
    envelope, body = cbor2.loads(bytes.fromhex(entry["record"]))
    assert envelope.hex() == entry["envelope"] and body.hex() == entry["ciphertext"]
    message = cbor2.loads(envelope)
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert protected.hex() == entry["protected_header"]
    assert unprotected == {4: bytes.fromhex(VECTORS["kid"])}
    headers = cbor2.loads(protected)
    assert headers[1] == -8  # EdDSA
    assert headers[258] == -16  # payload-hash-alg: SHA-256 (RFC 9995)
    assert headers[259] == BODY_CONTENT_TYPE  # preimage content type
    assert 3 not in headers  # no content type on a hash envelope
    assert headers[15]["v"] == 2 and headers[15]["seq"] == vectors.HEADER["seq"]
    assert payload == record_hash(body) and payload.hex() == entry["body_hash"]
    assert record_hash(envelope).hex() == entry["record_hash"]  # the chain hashes the envelope
    vectors.signing_key().public_key().verify(
        signature, cbor2.dumps(["Signature1", protected, b"", payload])
    )


def test_v2_vector_without_its_body_still_verifies_but_does_not_decrypt() -> None:
    entry = VECTORS["v2"]
    record = read_header(bytes.fromhex(entry["record"]))
    stripped = without_body(record)
    assert stripped.hex() == entry["record_without_body"]
    public = vectors.signing_key().public_key()
    kept = verify_record(stripped, lambda k: public)
    assert not kept.has_body and kept.hash == record.hash and kept.header == record.header
    with pytest.raises(RecordError, match="dropped after delivery"):
        decrypt_body(kept, vectors.central_private())


def test_v2_vector_with_another_body_is_refused() -> None:
    entry = VECTORS["v2"]
    envelope, body = cbor2.loads(bytes.fromhex(entry["record"]))
    altered = bytearray(body)
    altered[-1] ^= 1
    public = vectors.signing_key().public_key()
    with pytest.raises(RecordError, match="does not match the hash its signature covers"):
        verify_record(cbor2.dumps([envelope, bytes(altered)]), lambda k: public)


def test_the_vectors_match_docs_record_cddl() -> None:
    """An independent CDDL validator (cddl-rs) on the vector bytes. It applies a `.cbor`
    control to every item of an array that holds one, so each level is checked by itself:
    the outer structure with `bstr .cbor X` read as `bstr`, then each embedded item
    against its rule X."""
    pycddl = pytest.importorskip("pycddl")
    text = (vectors.PATH.parent / "record.cddl").read_text()
    flat = re.sub(r"bstr \.cbor [\w-]+", "bstr", text)

    def check(rule: str, data: bytes, source: str = flat) -> None:
        pycddl.Schema(f"root = {rule}\n{source}").validate_cbor(data)

    for version in (1, 2):
        entry = VECTORS[f"v{version}"]
        for key in ("record", "record_without_body"):
            if key in entry:
                check("sealed-record", bytes.fromhex(entry[key]))
        check(f"protected-v{version}", bytes.fromhex(entry["protected_header"]), text)
    v2 = VECTORS["v2"]
    check("hash-envelope", bytes.fromhex(v2["envelope"]))
    v1 = cbor2.loads(bytes.fromhex(VECTORS["v1"]["record"]))
    check("record-payload-v1", v1.value[2], text)
    check("audit-body", bytes.fromhex(VECTORS["body_cbor"]), text)
    with pytest.raises(pycddl.ValidationError):  # and it does refuse: v2's header as v1's
        check("protected-v1", bytes.fromhex(v2["protected_header"]), text)
    with pytest.raises(pycddl.ValidationError):  # ... a body that is no byte string
        check("sealed-record", cbor2.dumps([bytes.fromhex(v2["envelope"]), 5]))
