"""Central-side verification: keys trusted only through enrolments (kiosk, post, validity,
revocation), crafted files that must each get a report, and state across batches."""

from __future__ import annotations

import json
from pathlib import Path

import cbor2
import pytest

from outbox import cbor, cose, enrolment
from outbox.enrolment import Enrolment, load_registry
from outbox.keys import load_central_private, load_signing_key
from outbox.record import HEADER_KEYS, Header, now_ms, seal_record
from outbox.store import Identity, Outbox
from outbox.verify import KioskState, load_state, read_sources, save_state, verify
from tests.outbox.conftest import Keys

HOUR = 3600 * 1000


def sealed(outbox: Outbox, identity: Identity, count: int) -> list[tuple[str, bytes]]:
    done = outbox.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(count)])
    return [(f"seq {s.seq}", s.data) for s in done]


def enrol(directory: Path, name: str, **fields: object) -> Path:
    path = directory / f"{name}.json"
    enrolment.write(path, Enrolment(**fields))  # type: ignore[arg-type]
    return path


def registry_with(keys: Keys, identity: Identity, **times: int | None) -> Path:
    directory = keys.directory / "enrolled"
    directory.mkdir(exist_ok=True)
    enrol(
        directory,
        "K-1",
        kiosk="K-1",
        post="UTO-N1",
        public_key=identity.signing_key.public_key(),
        **times,
    )
    return directory


# -- 1. a key signs only for the kiosk it is enrolled for ------------------------------
def test_a_key_enrolled_for_one_kiosk_cannot_sign_for_another(
    outbox: Outbox, identity: Identity, keys: Keys, tmp_path: Path
) -> None:
    """The review's forgery: kiosk K-1's key, a header saying K-B. It verified `ok`."""
    forged = Identity("K-B", "UTO-N1", identity.signing_key, identity.central)
    with Outbox(tmp_path / "other.db") as other:
        records = sealed(other, forged, 2)
    reports, kiosks = verify(records, load_registry(registry_with(keys, identity)))
    assert [r.status for r in reports] == ["wrong-kiosk", "wrong-kiosk"]
    assert "enrolled for kiosk K-1 at UTO-N1, not for kiosk K-B" in reports[0].problems[0]
    assert kiosks == []


def test_the_post_is_bound_too(
    outbox: Outbox, identity: Identity, keys: Keys, tmp_path: Path
) -> None:
    moved = Identity("K-1", "ELSEWHERE", identity.signing_key, identity.central)
    with Outbox(tmp_path / "other.db") as other:
        records = sealed(other, moved, 1)
    reports, _ = verify(records, load_registry(registry_with(keys, identity)))
    assert reports[0].status == "wrong-kiosk"


def test_a_bare_pem_is_enrolled_for_the_kiosk_its_file_names(
    outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    (keys.registry / "K-1.pem").rename(keys.registry / "K-2.pem")
    reports, _ = verify(sealed(outbox, identity, 1), load_registry(keys.registry))
    assert reports[0].status == "wrong-kiosk"


def test_a_missing_enrolment_is_not_called_tampering(
    outbox: Outbox, identity: Identity, keys: Keys, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    enrol(other, "X", kiosk="X", post=None, public_key=_fresh_key(tmp_path).public_key())
    reports, _ = verify(sealed(outbox, identity, 1), load_registry(other))
    assert reports[0].status == "not-enrolled"
    assert "is not enrolled: add kiosk K-1's enrolment" in reports[0].problems[0]
    assert "tamper" not in reports[0].problems[0]


def test_records_outside_the_validity_fail_and_revocation_cuts_off_later_ones(
    outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    records = sealed(outbox, identity, 3)
    now = now_ms()
    future = registry_with(keys, identity, valid_from=now + HOUR)
    reports, _ = verify(records, load_registry(future))
    assert {r.status for r in reports} == {"outside-validity"}
    ended = registry_with(keys, identity, valid_from=now - HOUR, valid_until=now - 1000)
    assert {r.status for r in verify(records, load_registry(ended))[0]} == {"outside-validity"}
    fine = registry_with(keys, identity, valid_from=now - HOUR, valid_until=now + HOUR)
    assert {r.status for r in verify(records, load_registry(fine))[0]} == {"ok"}
    revoked = registry_with(keys, identity, valid_from=now - HOUR, revoked_at=now - 1000)
    reports, _ = verify(records, load_registry(revoked))
    assert {r.status for r in reports} == {"revoked"}
    assert "after key" in reports[0].problems[0] and "was revoked at" in reports[0].problems[0]
    later = registry_with(keys, identity, valid_from=now - HOUR, revoked_at=now + HOUR)
    assert {r.status for r in verify(records, load_registry(later))[0]} == {"ok"}


def test_an_enrolment_whose_kid_does_not_match_its_key_is_refused(
    keys: Keys, identity: Identity
) -> None:
    path = registry_with(keys, identity) / "K-1.json"
    data = json.loads(path.read_text())
    data["kid"] = "00" * 8
    path.write_text(json.dumps(data))
    with pytest.raises(Exception, match="is not the kid of its public_key"):
        load_registry(path.parent)


def _fresh_key(tmp_path: Path):  # type: ignore[no-untyped-def]
    from outbox.keys import generate_signing_key

    return generate_signing_key(tmp_path / f"k{len(list(tmp_path.iterdir()))}.pem")


# -- 2. crafted files: each gets a report, the batch goes on ----------------------------
def _resigned(identity: Identity, payload: object, protected: object = None) -> bytes:
    """A record with whatever payload, validly signed with the kiosk's key."""
    payload_bytes = cbor2.dumps(payload) if not isinstance(payload, bytes) else payload
    protected_bytes = cbor2.dumps(protected if protected is not None else {1: -8})
    to_sign = cose.sig_structure(protected_bytes, payload_bytes)
    signature = identity.signing_key.sign(to_sign)
    return cbor2.dumps(
        cbor2.CBORTag(18, [protected_bytes, {4: identity.kid}, payload_bytes, signature])
    )


def _header(identity: Identity, **changes: object) -> dict[str, object]:
    header = Header(
        bytes(16), "K-1", "UTO-N1", 1, bytes(32), now_ms(), "b", 1, "test", "t", "entry",
        "X25519-HKDF-SHA256-AES-256-GCM",
    ).to_map()  # fmt: skip
    return {**header, "body": b"x", **changes}


def crafted(identity: Identity) -> dict[str, bytes]:
    return {
        "protected-not-a-map": _resigned(identity, _header(identity), protected=[1, -8]),
        "tag-36-four-bytes": bytes.fromhex("d8246161"),
        "tag-36-mime": cbor2.dumps(cbor2.CBORTag(36, "Content-Type: text/plain\n\nhi")),
        "kiosk-as-bytes": _resigned(identity, _header(identity, kiosk=b"K-1")),
        "seq-true": _resigned(identity, _header(identity, seq=True)),
        "version-true": _resigned(identity, _header(identity, v=True)),
        "time-negative": _resigned(identity, _header(identity, time=-5)),
        "officer-list": _resigned(identity, _header(identity, officer=["a"])),
        "dir-a-map": _resigned(identity, _header(identity, dir={"a": 1})),
        "float-seq": _resigned(identity, _header(identity, seq=1.0)),
        "datetime-time": _resigned(
            identity, _header(identity, time=cbor2.CBORTag(1, 1_700_000_000))
        ),
        "huge-bignum": _resigned(identity, _header(identity, mono=10**5000)),
        "payload-a-list": _resigned(identity, [1, 2]),
        "int-keys": _resigned(identity, {1: 2, **_header(identity)}),
        "kid-an-int": cbor2.dumps(
            cbor2.CBORTag(18, [cbor2.dumps({1: -8}), {4: 5}, b"p", bytes(64)])
        ),
        "deep": b"\x81" * 5000 + b"\x00",
        "empty": b"",
    }


def test_crafted_files_each_get_a_report_and_json(identity: Identity, keys: Keys) -> None:
    files = crafted(identity)
    reports, kiosks = verify(list(files.items()), load_registry(keys.registry))
    assert [r.where for r in reports] == list(files)
    for report in reports:
        assert report.status != "ok", report.where
        assert report.problems and "Error)" not in report.problems[0], report.problems
        json.dumps(report.to_dict())
    assert kiosks == []


def test_cbor_with_other_tags_is_refused_by_name() -> None:
    from outbox.errors import RecordError

    with pytest.raises(RecordError, match="holds a"):
        cbor.decode(cbor2.dumps(cbor2.CBORTag(1, 1_700_000_000)))


def test_unreadable_file_in_a_directory_is_reported(
    tmp_path: Path, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    for where, data in sealed(outbox, identity, 2):
        (media / f"{where.split()[1]}.cose").write_bytes(data)
    (media / "3.cose").mkdir()  # a directory named like a record: read_bytes fails
    reports, kiosks = verify(read_sources([media]), load_registry(keys.registry))
    assert [r.status for r in reports] == ["ok", "ok", "unreadable"]
    assert kiosks[0].records == 2


# -- 13. state across batches ---------------------------------------------------------
def test_state_file_lets_successive_batches_verify_as_one(
    tmp_path: Path, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    records = sealed(outbox, identity, 9)
    registry = load_registry(keys.registry)
    central = load_central_private(keys.central_private)
    alone = verify(records[5:], registry, central)[1][0]
    assert alone.gaps == [(1, 5)]  # what a stateless verifier says of seq 6..9

    state_path = tmp_path / "state.json"
    first = verify(records[:5], registry, central, load_state(state_path))[1][0]
    assert first.ok and first.state == KioskState(5, first.state.hash if first.state else b"")
    save_state(state_path, {"K-1": first.state} if first.state else {})
    second = verify(records[5:], registry, central, load_state(state_path))[1][0]
    assert second.ok and second.gaps == [] and second.resumed_from == 5
    assert second.state is not None and second.state.seq == 9

    # A batch whose first record does not chain to the remembered hash is a break.
    wrong = {"K-1": KioskState(5, bytes(32))}
    broken = verify(records[5:], registry, central, wrong)[1][0]
    assert not broken.ok and len(broken.chain_breaks) == 1
    assert broken.state == wrong["K-1"]  # nothing past a break is remembered


def test_state_stops_before_a_gap(outbox: Outbox, identity: Identity, keys: Keys) -> None:
    records = sealed(outbox, identity, 6)
    kiosk = verify(records[:3] + records[4:], load_registry(keys.registry))[1][0]
    assert kiosk.gaps == [(4, 4)] and kiosk.state is not None and kiosk.state.seq == 3


def test_a_damaged_state_file_is_one_clear_error(tmp_path: Path) -> None:
    from outbox.errors import OutboxError

    path = tmp_path / "state.json"
    path.write_text('{"format": "nope"}')
    with pytest.raises(OutboxError, match="is not a border-kiosk-verify-state/1 file"):
        load_state(path)


def test_header_keys_are_all_checked() -> None:
    assert set(_header.__code__.co_varnames) and len(HEADER_KEYS) == 13


def test_signing_goes_through_the_key_interface(keys: Keys, identity: Identity) -> None:
    """Anything with sign() and public_key() signs: a key in a token works the same way."""

    class Wrapped:
        def __init__(self) -> None:
            self.key = load_signing_key(keys.signing)
            self.calls = 0

        def sign(self, data: bytes) -> bytes:
            self.calls += 1
            return self.key.sign(data)

        def public_key(self):  # type: ignore[no-untyped-def]
            return self.key.public_key()

    signer = Wrapped()
    header = Header(
        bytes(16), "K-1", "UTO-N1", 1, bytes(32), now_ms(), "b", 1, "test", "t", "entry",
        identity.central.suite,
    )  # fmt: skip
    data = seal_record(header, {"a": 1}, identity.central, signer, identity.kid)
    reports, _ = verify([("x", data)], load_registry(keys.registry))
    assert signer.calls == 1 and reports[0].status == "ok"


def test_worker_processes_give_the_same_reports_in_the_same_order(
    outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    """A batch large enough for the forked workers: every report as checked in-process,
    a tampered record and a gap included."""
    from outbox.verify import _PARALLEL_FROM

    count = _PARALLEL_FROM + 100
    sealed = outbox.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(count)])
    sources: list[tuple[str, bytes | OSError]] = [(str(s.seq), s.data) for s in sealed]
    del sources[500]  # seq 501 missing
    bad = bytearray(sources[700][1])
    bad[-3] ^= 1  # in the body: its hash no longer matches the signed one
    sources[700] = (sources[700][0], bytes(bad))
    registry = load_registry(keys.registry)
    central = load_central_private(keys.central_private)
    serial = verify(sources, registry, central, workers=1)
    parallel = verify(iter(sources), registry, central, workers=2)
    assert [r.to_dict() for r in parallel[0]] == [r.to_dict() for r in serial[0]]
    assert [r.body for r in parallel[0]] == [r.body for r in serial[0]]
    assert [k.to_dict() for k in parallel[1]] == [k.to_dict() for k in serial[1]]
    assert parallel[0][700].status == "tampered"
    assert parallel[1][0].gaps == [(501, 501), (702, 702)]  # the tampered one is not trusted
