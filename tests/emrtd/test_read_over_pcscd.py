"""Whole chip reads through pcscd, vpcd and pyscard, exactly as with a real reader."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from drivers.pcsc import PCSCReader
from emrtd import AccessDenied, CardRemoved
from emrtd.keys import CANKey, MRZKey
from emrtd.reader import read_chip
from emrtd.trust import TrustStore
from kiosk.sim.issuer import TD3, make_passport, make_pki
from tests.emrtd.conftest import PutOnReader


def trust_of(passport) -> TrustStore:  # type: ignore[no-untyped-def]
    return TrustStore(certificates=[passport.pki.csca])


def failed(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.name: c.reason for c in report.checks if c.status == "fail"}


def test_a_pace_passport_reads_as_genuine_with_its_portrait_and_mrz(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport()
    put_on_reader(passport)
    reader.wait_for_card(5)
    report = read_chip(reader.transceive, passport.key, trust=trust_of(passport))
    assert report.verdict == "genuine", report.to_dict()
    assert report.access == "PACE P-256 AES-128"
    assert report.dg1_lines == TD3
    assert report.faces[0].decode().size == (360, 480)
    statuses = {c.name: c.status for c in report.checks}
    assert statuses["chip authentication"] == "pass"
    assert statuses["active authentication"] == "pass"
    assert statuses["dg2 hash"] == "pass"


@pytest.mark.parametrize(
    ("parameter_id", "cipher", "expected"),
    [
        (13, "2", "PACE brainpoolP256r1 AES-128"),
        (15, "3", "PACE P-384 AES-192"),
        (16, "4", "PACE brainpoolP384r1 AES-256"),
        (9, "1", "PACE brainpoolP192r1 3DES"),
    ],
)
def test_pace_runs_on_other_curves_and_ciphers(
    put_on_reader: PutOnReader, reader: PCSCReader, parameter_id: int, cipher: str, expected: str
) -> None:
    passport = make_passport(pace_parameter_id=parameter_id, pace_cipher=cipher, active_auth=None)
    put_on_reader(passport)
    report = read_chip(reader.transceive, passport.key, trust=trust_of(passport), groups=(1,))
    assert report.access == expected
    assert report.genuine, report.to_dict()


def test_a_chip_without_pace_is_opened_with_bac(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport(pace_parameter_id=None, chip_auth=False, active_auth="rsa")
    put_on_reader(passport)
    report = read_chip(reader.transceive, passport.key, trust=trust_of(passport))
    assert report.access == "BAC"
    assert report.genuine, report.to_dict()
    assert {c.name: c.status for c in report.checks}["active authentication"] == "pass"


def test_the_can_opens_a_pace_chip(put_on_reader: PutOnReader, reader: PCSCReader) -> None:
    passport = make_passport()
    put_on_reader(passport)
    report = read_chip(reader.transceive, CANKey("123456"), trust=trust_of(passport), groups=(1,))
    assert report.genuine


@pytest.mark.parametrize("pace", [12, None])
def test_wrong_mrz_keys_are_access_denied(
    put_on_reader: PutOnReader, reader: PCSCReader, pace: int | None
) -> None:
    passport = make_passport(pace_parameter_id=pace)
    put_on_reader(passport)
    with pytest.raises(AccessDenied, match=r"^access denied: check the MRZ or CAN"):
        read_chip(reader.transceive, MRZKey("L898902C3", "740812", "120416"), trust=None)


def test_a_flipped_bit_in_dg2_is_a_hash_mismatch(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport(forge_dg2=True)
    put_on_reader(passport)
    report = read_chip(reader.transceive, passport.key, trust=trust_of(passport))
    assert report.verdict == "NOT GENUINE"
    assert failed(report) == {"dg2 hash": "DG2 does not match its hash in the SOD"}
    assert report.reason == "dg2 hash: DG2 does not match its hash in the SOD"


def test_a_document_signer_not_chained_to_a_trusted_csca_is_not_genuine(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport(pki=make_pki(seed_name="Forgeria"))
    put_on_reader(passport)
    other = make_pki()  # same country, a different CSCA in the store
    report = read_chip(reader.transceive, passport.key, trust=TrustStore(certificates=[other.csca]))
    assert not report.genuine
    assert "is not a trusted CSCA" in failed(report)["ds chain"]


def test_an_expired_document_signer_is_not_genuine(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport(pki=make_pki(ds_expired=True))
    put_on_reader(passport)
    report = read_chip(reader.transceive, passport.key, trust=trust_of(passport), groups=(1,))
    assert not report.genuine
    assert "not on" in failed(report)["ds validity"]


def test_a_revoked_document_signer_is_not_genuine(
    put_on_reader: PutOnReader, reader: PCSCReader, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    pki = make_pki()
    passport = make_passport(pki=pki)
    put_on_reader(passport)
    store = TrustStore.load(pki.write_trust(tmp_path / "trust", crl_revoking=pki.ds))
    report = read_chip(reader.transceive, passport.key, trust=store, groups=(1,))
    assert failed(report) == {"ds revocation": "the DS certificate is revoked"}
    clean = TrustStore.load(pki.write_trust(tmp_path / "clean"))
    assert read_chip(reader.transceive, passport.key, trust=clean, groups=(1,)).genuine


def test_a_card_removed_mid_read_says_so_and_reads_when_placed_again(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport()
    card = put_on_reader(passport)
    card.remove_after = 40  # in the middle of DG2
    with pytest.raises(CardRemoved, match=r"^card removed: place the passport on the reader again"):
        read_chip(reader.transceive, passport.key, trust=trust_of(passport))
    assert reader.wait_for_removal(5)
    threading.Timer(0.3, card.insert).start()
    started = time.monotonic()
    reader.wait_for_card(5)
    assert time.monotonic() - started < 5
    report = read_chip(reader.transceive, passport.key, trust=trust_of(passport))
    assert report.genuine


def test_reading_at_a_later_date_sees_the_document_signer_expire(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport()
    put_on_reader(passport)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=4000)
    report = read_chip(
        reader.transceive, passport.key, trust=trust_of(passport), groups=(1,), at=later
    )
    assert "ds validity" in failed(report)
