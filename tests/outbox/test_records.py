"""Sealed records: round trip, both suites, header binding, and any flipped bit detected."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outbox import cbor
from outbox.errors import RecordError
from outbox.keys import SUITE_HYBRID, SUITE_X25519, load_central_private, load_signing_key
from outbox.record import GENESIS, decrypt_body, read_header, seal_ciphertext, verify_record
from outbox.store import Identity, Outbox
from tests.outbox.conftest import Keys, make_keys


def test_seal_verify_decrypt_round_trip(outbox: Outbox, identity: Identity, keys: Keys) -> None:
    body = {"document": {"surname": "ERIKSSON"}, "portrait": b"\xff\xd8jpeg"}
    first = outbox.seal(identity, "traveller", "anna", "entry", body)
    second = outbox.seal(identity, "audit", "anna", "exit", {"event": "logout"})
    key = identity.signing_key.public_key()
    one = verify_record(first.data, lambda kid: key if kid == identity.kid else None)
    two = verify_record(second.data, lambda kid: key)
    assert (one.header.seq, two.header.seq) == (1, 2)
    assert one.header.prev == GENESIS
    assert two.header.prev == one.hash  # SHA-256 of the previous record's COSE_Sign1
    assert (one.version, two.version) == (2, 2)
    assert one.header.suite == SUITE_X25519
    assert one.header.record_id[6] >> 4 == 7  # UUIDv7
    assert decrypt_body(one, load_central_private(keys.central_private)) == body


def test_the_body_is_not_in_clear(outbox: Outbox, identity: Identity) -> None:
    sealed = outbox.seal(identity, "traveller", "anna", "entry", {"surname": "ERIKSSON"})
    assert b"ERIKSSON" not in sealed.data
    assert b"anna" in sealed.data  # routing header stays readable


def test_hybrid_ml_kem_suite(tmp_path: Path) -> None:
    keys = make_keys(tmp_path / "pq", hybrid=True)
    from outbox.keys import load_central_public

    identity = Identity(
        "K-1", "P", load_signing_key(keys.signing), load_central_public(keys.central_public)
    )
    with Outbox(tmp_path / "o.db") as box:
        sealed = box.seal(identity, "test", "t", "entry", {"n": 1})
    record = read_header(sealed.data)
    assert record.header.suite == SUITE_HYBRID
    assert decrypt_body(record, load_central_private(keys.central_private)) == {"n": 1}


def test_body_cannot_be_moved_under_another_header(
    outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    """HPKE info binds the header: a body spliced into another record does not decrypt,
    even when whoever spliced it could sign the result."""
    a = read_header(outbox.seal(identity, "test", "t", "entry", {"who": "a"}).data)
    b = read_header(outbox.seal(identity, "test", "t", "entry", {"who": "b"}).data)
    spliced = dataclasses.replace(a, ciphertext=b.ciphertext)
    with pytest.raises(RecordError, match="does not match the hash its signature covers"):
        decrypt_body(spliced, load_central_private(keys.central_private))
    resigned, _ = seal_ciphertext(a.header, b.ciphertext, identity.signing_key, identity.kid)
    record = verify_record(resigned, lambda kid: identity.signing_key.public_key())
    with pytest.raises(RecordError, match="does not decrypt"):
        decrypt_body(record, load_central_private(keys.central_private))


def test_wrong_central_key_does_not_decrypt(
    outbox: Outbox, identity: Identity, tmp_path: Path
) -> None:
    other = make_keys(tmp_path / "other")
    record = read_header(outbox.seal(identity, "test", "t", "entry", {"n": 1}).data)
    with pytest.raises(RecordError, match="does not decrypt"):
        decrypt_body(record, load_central_private(other.central_private))


@pytest.fixture(scope="module")
def sealed_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Identity]:
    keys = make_keys(tmp_path_factory.mktemp("flip"))
    from outbox.keys import load_central_public

    identity = Identity(
        "K-1", "P", load_signing_key(keys.signing), load_central_public(keys.central_public)
    )
    with Outbox(keys.directory / "o.db") as box:
        sealed = box.seal(identity, "traveller", "anna", "entry", {"doc": "L898902C3"})
    return sealed.data, identity


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_single_bit_flip_is_detected(
    sealed_sample: tuple[bytes, Identity], data: st.DataObject
) -> None:
    record, identity = sealed_sample
    bit = data.draw(st.integers(0, len(record) * 8 - 1))
    damaged = bytearray(record)
    damaged[bit // 8] ^= 1 << (bit % 8)
    key = identity.signing_key.public_key()
    with pytest.raises(RecordError):
        verify_record(bytes(damaged), lambda kid: key if kid == identity.kid else None)


def test_every_bit_of_a_small_record_flipped(sealed_sample: tuple[bytes, Identity]) -> None:
    """Exhaustive over the first 160 bytes (tag, headers, the start of the payload)."""
    record, identity = sealed_sample
    key = identity.signing_key.public_key()
    for bit in range(160 * 8):
        damaged = bytearray(record)
        damaged[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(RecordError):
            verify_record(bytes(damaged), lambda kid: key if kid == identity.kid else None)


def test_records_carry_no_floats() -> None:
    with pytest.raises(RecordError, match="floats"):
        cbor.encode({"score": 0.5})
