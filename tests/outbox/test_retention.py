"""Retention keeps the chain checkable: delivered bodies are dropped, signed headers stay,
and `outbox.chain.check_chain` checks signatures, seq and links with bodies or without,
naming each gap, broken link and bad signature. v1 records (signed with their body) go
whole, their hash kept."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from outbox.chain import check_chain
from outbox.errors import RecordError
from outbox.keys import load_central_private
from outbox.record import Header, decrypt_body, read_header, seal_and_hash, verify_record
from outbox.store import Identity, Outbox
from outbox.verify import load_registry, verify
from tests.outbox.conftest import Keys


def deliver_all(box: Outbox) -> None:
    box.mark_delivered([p.record_id for p in box.pending(1000)])
    time.sleep(0.02)


def own_key(identity: Identity):  # type: ignore[no-untyped-def]
    public = identity.signing_key.public_key()
    return lambda kid: public if kid == identity.kid else None


def check(box: Outbox, identity: Identity):  # type: ignore[no-untyped-def]
    return check_chain(box.chain_rows(), own_key(identity), box.purged_hashes(), box.head())


def test_purge_drops_delivered_bodies_and_keeps_signed_headers(
    outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    sealed = outbox.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(4)])
    outbox.mark_delivered([s.record_id for s in sealed[:3]])
    time.sleep(0.02)
    assert outbox.purge(retention_seconds=0.01) == 3
    assert outbox.purge(retention_seconds=0.01) == 0  # nothing left to drop
    kept = dict(outbox.chain_rows())
    assert sorted(kept) == [1, 2, 3, 4]
    assert all(len(kept[seq]) < 600 for seq in (1, 2, 3))  # a few hundred bytes each
    assert kept[4] == sealed[3].data  # pending: untouched
    status = outbox.status()
    assert (status.header_only, status.delivered, status.pending) == (3, 3, 1)
    for original in sealed[:3]:
        header_only = verify_record(kept[original.seq], own_key(identity))
        assert not header_only.has_body
        assert header_only.hash == read_header(original.data).hash
        with pytest.raises(RecordError, match="dropped after delivery"):
            decrypt_body(header_only, load_central_private(keys.central_private))
    report = check(outbox, identity)
    assert report.ok, report.problems
    assert (report.records, report.signatures, report.bodies, report.header_only) == (4, 4, 1, 3)
    assert report.links == 4 and report.head == (4, read_header(sealed[3].data).hash)
    assert outbox.seal(identity, "test", "t", "entry", {}).seq == 5


def test_central_verify_takes_header_only_records_and_their_full_copies_as_one(
    outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    sealed = outbox.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(3)])
    deliver_all(outbox)
    outbox.purge(retention_seconds=0.01)
    stripped = [data for _seq, data in outbox.chain_rows()]
    sources = [(f"full{i}", s.data) for i, s in enumerate(sealed)]
    sources += [(f"kept{i}", data) for i, data in enumerate(stripped)]
    central = load_central_private(keys.central_private)
    records, kiosks = verify(sources, load_registry(keys.registry), central)
    assert all(r.status == "ok" for r in records), [r.problems for r in records]
    assert [r.has_body for r in records] == [True] * 3 + [False] * 3
    assert [r.body for r in records[:3]] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert kiosks[0].ok and kiosks[0].records == 3 and kiosks[0].conflicts == []
    assert len(kiosks[0].duplicates) == 3


def test_v1_records_are_purged_whole_and_the_chain_links_through_their_kept_hashes(
    outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    """An outbox from before v2: its v1 records, then the kiosk seals v2 after them."""
    old = seal_v1(outbox, identity, 3)
    new = outbox.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(2)])
    assert [read_header(d).version for d in old] == [1, 1, 1]
    assert read_header(new[0].data).header.prev == read_header(old[-1]).hash
    deliver_all(outbox)
    assert outbox.purge(retention_seconds=0.01) == 5
    assert sorted(dict(outbox.chain_rows())) == [4, 5]
    assert sorted(outbox.purged_hashes()) == [1, 2, 3]
    report = check(outbox, identity)
    assert report.ok, report.problems
    assert (report.purged, report.records, report.header_only, report.links) == (3, 2, 2, 2)
    records, kiosks = verify(
        [(str(i), d) for i, d in enumerate([*old, *(s.data for s in new)])],
        load_registry(keys.registry),
        load_central_private(keys.central_private),
    )
    assert [r.version for r in records] == [1, 1, 1, 2, 2]
    assert all(r.status == "ok" for r in records) and kiosks[0].ok


def seal_v1(box: Outbox, identity: Identity, count: int) -> list[bytes]:
    """v1 records as the previous release sealed them, into the same tables."""
    out = []
    for _ in range(count):
        seq, prev = box.head()
        template = read_header(box.seal(identity, "test", "t", "entry", {}).data).header
        header = Header(**{**template.__dict__, "seq": seq + 1, "prev": prev, "version": 1})
        data, record_hash = seal_and_hash(
            header, {"v1": True}, identity.central, identity.signing_key, identity.kid
        )
        db = sqlite3.connect(box.path)
        db.execute(
            "UPDATE records SET data = ?, hash = ? WHERE seq = ?", (data, record_hash, seq + 1)
        )
        db.commit()
        db.close()
        out.append(data)
    return out


@pytest.mark.parametrize("with_bodies", [True, False])
def test_a_gap_a_broken_link_and_a_bad_signature_each_get_a_line(
    tmp_path: Path, identity: Identity, with_bodies: bool
) -> None:
    with Outbox(tmp_path / "o.db") as box:
        sealed = box.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(8)])
        if not with_bodies:
            deliver_all(box)
            box.purge(retention_seconds=0.01)
        rows = dict(box.chain_rows())
    db = sqlite3.connect(tmp_path / "o.db")
    db.execute("DELETE FROM records WHERE seq IN (3, 4)")  # a gap
    other = read_header(sealed[0].data).header  # seq 6 replaced by a record signed for seq 6
    forged = Header(**{**other.__dict__, "seq": 6, "prev": bytes(32)})  # ... with a wrong prev
    data, _ = seal_and_hash(forged, {}, identity.central, identity.signing_key, identity.kid)
    db.execute("UPDATE records SET data = ? WHERE seq = 6", (data,))
    bad = bytearray(rows[8])
    bad[rows[8].index(read_header(rows[8]).message.signature) + 5] ^= 1  # in the signature
    db.execute("UPDATE records SET data = ? WHERE seq = 8", (bytes(bad),))
    db.commit()
    db.close()
    with Outbox(tmp_path / "o.db") as box:
        report = check(box, identity)
    assert not report.ok
    lines = report.problems
    assert any(line.startswith("GAP: seq 3..4 missing") for line in lines), lines
    assert any(line.startswith("BROKEN LINK: seq 6") for line in lines), lines
    assert any(line.startswith("BAD SIGNATURE: seq 8") for line in lines), lines
    assert any(line.startswith("BROKEN LINK: seq 7") for line in lines), lines  # after the forgery
    assert lines[-1].startswith("HEAD: ") and "seq 8" in lines[-1]  # its bytes changed
    assert len(lines) == 5, lines


@pytest.mark.parametrize("chain_row", [True, False])
def test_an_outbox_from_before_the_hash_column_continues_its_chain(
    tmp_path: Path, identity: Identity, chain_row: bool
) -> None:
    """Records sealed before `records.hash` existed: the head comes from the old `chain`
    table, or else from the last record itself."""
    with Outbox(tmp_path / "o.db") as box:
        sealed = box.seal_many(identity, [("test", "t", "entry", {}) for _ in range(2)])
    db = sqlite3.connect(tmp_path / "o.db")
    db.execute("UPDATE records SET hash = NULL")
    if chain_row:
        db.execute("INSERT INTO chain VALUES (1, 2, ?)", (read_header(sealed[1].data).hash,))
    db.commit()
    db.close()
    with Outbox(tmp_path / "o.db") as box:
        assert box.head() == (2, read_header(sealed[1].data).hash)
        third = box.seal(identity, "test", "t", "entry", {})
        assert read_header(third.data).header.prev == read_header(sealed[1].data).hash
        assert box.status().last_seq == 3 and check(box, identity).ok
