"""What the officer's line and the record get from a chip read (kiosk.chip), over pcscd."""

from __future__ import annotations

import mrz
from drivers.pcsc import PCSCReader
from emrtd.trust import TrustStore
from kiosk.chip import mrz_key, read_document
from kiosk.sim.issuer import TD3, make_passport
from tests.emrtd.conftest import PutOnReader


def test_a_forgery_gives_one_line_with_its_reason_and_a_record_with_every_check(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport(forge_dg2=True)
    put_on_reader(passport)
    printed = mrz.parse(list(TD3))
    outcome = read_document(
        reader,
        mrz_key(printed),
        trust=TrustStore(certificates=[passport.pki.csca]),
        printed=printed,
        timeout=5,
    )
    assert outcome.line == "chip: NOT GENUINE (dg2 hash: DG2 does not match its hash in the SOD)"
    record = outcome.record()
    assert record["dg1"] == list(TD3) and record["differences"] == []
    assert record["sod"] == passport.profile.files[0x011D]
    assert record["portrait"]["mime"] == "image/jpeg" and len(record["portrait"]["data"]) > 10_000
    assert {c["name"] for c in record["checks"]} >= {
        "sod signature",
        "ds chain",
        "dg1 hash",
        "dg2 hash",
    }


def test_an_empty_reader_is_no_chip(reader: PCSCReader) -> None:
    printed = mrz.parse(list(TD3))
    outcome = read_document(
        reader, mrz_key(printed), trust=TrustStore(), printed=printed, timeout=0.3
    )
    assert outcome.line == "no chip"
    assert outcome.record() == {"verdict": "no chip", "reason": outcome.reason}


def test_a_genuine_chip_with_an_empty_trust_store_is_not_genuine(
    put_on_reader: PutOnReader, reader: PCSCReader
) -> None:
    passport = make_passport()
    put_on_reader(passport)
    outcome = read_document(reader, passport.key, trust=TrustStore(), timeout=5)
    assert outcome.line == "chip: NOT GENUINE (ds chain: no CSCA certificates in the trust store)"
