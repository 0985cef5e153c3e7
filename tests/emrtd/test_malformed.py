"""Malformed TLV, data groups, CMS and certificates give `EMRTDError` with a message, never
another exception: a property checked over more than 10,000 mutated inputs (seeded)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from emrtd import EMRTDError, MalformedData, tlv
from emrtd.checks import Check
from emrtd.lds.com import COMFile
from emrtd.lds.dg1 import DG1File
from emrtd.lds.dg2 import DG2File
from emrtd.lds.dg14 import DG14File
from emrtd.lds.dg15 import DG15File
from emrtd.lds.sod import SODFile
from emrtd.passive_auth import verify
from emrtd.trust import TrustStore, load_certificates, verify_master_list
from kiosk.sim.issuer import default_pki, make_passport, master_list

MUTATIONS_PER_TARGET = 2_000


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits: bit flips, byte changes, cuts, insertions, length bytes."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        pos = rng.randrange(len(out)) if out else 0
        if kind == 0 and out:
            out[pos] ^= 1 << rng.randrange(8)
        elif kind == 1 and out:
            out[pos] = rng.choice((0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF, rng.randrange(256)))
        elif kind == 2:
            del out[pos : pos + rng.randint(1, 64)]
        elif kind == 3:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 4:
            out = out[: rng.randrange(len(out) + 1)]
        elif out:  # aim at a TLV header near the start, where lengths live
            head = rng.randrange(min(len(out), 12))
            out[head] = rng.randrange(256)
    return bytes(out)


def _sod_checks(raw: bytes) -> list[Check]:
    sod = SODFile.parse(raw)
    return verify(sod, {1: b"x"}, TrustStore(certificates=[default_pki().csca]), _NOW)


def _dg15(raw: bytes) -> object:
    return DG15File.parse(raw).public_key()


from datetime import UTC, datetime  # noqa: E402

_NOW = datetime.now(UTC)
PASSPORT = make_passport(active_auth="ec")
GROUPS = PASSPORT.files
SOD = PASSPORT.profile.files[0x011D]
COM = PASSPORT.profile.files[0x011E]
CARD_ACCESS = PASSPORT.profile.files[0x011C]
ML = master_list([default_pki()])


def _small_dg2() -> bytes:
    """DG2 around a small real JPEG, so 1,500 decodes stay quick."""
    import io

    from PIL import Image

    from emrtd.lds.dg2 import encode_19794_5
    from kiosk.sim.issuer import portrait_jpeg

    out = io.BytesIO()
    Image.open(io.BytesIO(portrait_jpeg())).resize((48, 64)).save(out, "JPEG", quality=70)
    return DG2File.encode(encode_19794_5(out.getvalue(), 48, 64))


TARGETS: dict[str, tuple[Callable[[bytes], object], bytes]] = {
    "TLV": (lambda raw: [t.children() for t in tlv.iter_tlv(raw) if t.constructed], GROUPS[1]),
    "EF.COM": (COMFile.parse, COM),
    "DG1": (DG1File.parse, GROUPS[1]),
    "DG2": (lambda raw: [f.decode() for f in DG2File.parse(raw).faces[:1]], _small_dg2()),
    "DG14": (DG14File.parse, GROUPS[14]),
    "DG15": (_dg15, GROUPS[15]),
    "EF.CardAccess": (
        lambda raw: __import__("emrtd.security_infos").security_infos.parse(raw),
        CARD_ACCESS,
    ),
    "EF.SOD (CMS)": (_sod_checks, SOD),
    "master list (CMS)": (lambda raw: (verify_master_list(raw), load_certificates(raw, "ml")), ML),
}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_mutated_inputs_raise_only_clear_errors(name: str) -> None:
    parse, original = TARGETS[name]
    parse(original)  # the unmutated input is fine
    rng = random.Random(f"emrtd-{name}")
    outcomes = {"parsed": 0, "error": 0}
    started = time.monotonic()
    for _ in range(MUTATIONS_PER_TARGET):
        data = mutate(original, rng)
        try:
            parse(data)
        except EMRTDError as exc:
            assert str(exc), "an error without a message"
            assert "\n" not in str(exc)
            outcomes["error"] += 1
        else:
            outcomes["parsed"] += 1
    assert outcomes["error"] > MUTATIONS_PER_TARGET // 20, outcomes  # the mutations bite
    assert time.monotonic() - started < 30


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_mutated_inputs_long_round(name: str) -> None:
    """Twenty times the default round, other seeds (run with --slow)."""
    parse, original = TARGETS[name]
    rng = random.Random(f"emrtd-long-{name}")
    for _ in range(MUTATIONS_PER_TARGET * 20):
        try:
            parse(mutate(original, rng))
        except EMRTDError as exc:
            assert str(exc) and "\n" not in str(exc)


def test_the_property_covers_more_than_ten_thousand_inputs() -> None:
    assert MUTATIONS_PER_TARGET * len(TARGETS) >= 10_000


def test_a_sod_whose_signed_content_was_altered_fails_its_signature_not_with_a_crash() -> None:
    raw = bytearray(SOD)
    position = bytes(raw).find(GROUPS_HASH := __import__("hashlib").sha256(GROUPS[1]).digest())
    raw[position] ^= 0xFF
    checks = _sod_checks(bytes(raw))
    assert checks[0].name == "sod signature" and checks[0].status == "fail"
    assert GROUPS_HASH


def test_a_truncated_file_header_is_malformed_with_the_byte_offset() -> None:
    with pytest.raises(MalformedData, match=r"TLV at byte 0 \(tag 61\) claims 91 bytes"):
        DG1File.parse(GROUPS[1][:40])


def test_a_hostile_chip_with_mutated_answers_gives_only_clear_errors() -> None:
    """Whole reads where one answer of the chip is mutated: an EMRTDError or a report whose
    checks say what failed, never another exception."""
    from drivers.sim.passport import PassportChip
    from emrtd.reader import read_chip

    passport = make_passport(pace_parameter_id=None, chip_auth=False, active_auth="ec")
    trust = TrustStore(certificates=[passport.pki.csca])
    clean = PassportChip(passport.profile)
    total = len(clean.commands) or 0
    read_chip(clean.apdu, passport.key, trust=trust)
    total = len(clean.commands)
    rng = random.Random("hostile chip")
    outcomes = {"error": 0, "not genuine": 0, "genuine": 0}
    for _ in range(300):
        chip = PassportChip(passport.profile)
        victim = rng.randrange(total)
        count = 0

        def transceive(apdu: bytes, chip: PassportChip = chip, victim: int = victim) -> bytes:
            nonlocal count
            answer = chip.apdu(apdu)
            count += 1
            return mutate(answer, rng) if count - 1 == victim else answer

        try:
            report = read_chip(transceive, passport.key, trust=trust)
        except EMRTDError as exc:
            assert str(exc) and "\n" not in str(exc)
            outcomes["error"] += 1
        else:
            outcomes["genuine" if report.genuine else "not genuine"] += 1
    assert outcomes["error"] > 150, outcomes
