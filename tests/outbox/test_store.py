"""The SQLite outbox on real files: gapless sealing, states, retention, quota, two processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

from outbox.errors import OutboxFull
from outbox.keys import load_central_public, load_signing_key
from outbox.record import GENESIS, read_header
from outbox.store import Identity, Outbox
from tests.outbox.conftest import Keys


def test_sequence_is_gapless_and_chained(outbox: Outbox, identity: Identity) -> None:
    singles = [outbox.seal(identity, "test", "t", "entry", {"n": n}) for n in range(5)]
    burst = outbox.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(5)])
    records = singles + burst
    assert [r.seq for r in records] == list(range(1, 11))
    previous = GENESIS
    for sealed in records:
        record = read_header(sealed.data)
        assert record.header.prev == previous
        previous = record.hash


def test_reopening_continues_the_chain(tmp_path: Path, identity: Identity) -> None:
    with Outbox(tmp_path / "o.db") as box:
        first = box.seal(identity, "test", "t", "entry", {})
    with Outbox(tmp_path / "o.db") as box:
        second = box.seal(identity, "test", "t", "entry", {})
    assert second.seq == 2
    assert read_header(second.data).header.prev == read_header(first.data).hash


def test_pending_in_order_and_only_acknowledged_ones_delivered(
    outbox: Outbox, identity: Identity
) -> None:
    sealed = outbox.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(6)])
    assert [p.seq for p in outbox.pending(4)] == [1, 2, 3, 4]
    assert outbox.mark_delivered([sealed[0].record_id, sealed[2].record_id]) == 2
    assert outbox.mark_delivered([sealed[0].record_id]) == 0  # already delivered
    assert [p.seq for p in outbox.pending(10)] == [2, 4, 5, 6]
    status = outbox.status()
    assert (status.pending, status.delivered, status.last_seq) == (4, 2, 6)


def test_purge_touches_only_old_delivered_records(outbox: Outbox, identity: Identity) -> None:
    sealed = outbox.seal_many(identity, [("test", "t", "entry", {}) for _ in range(3)])
    outbox.mark_delivered([sealed[0].record_id])
    assert outbox.purge(retention_seconds=3600) == 0  # too recent
    time.sleep(0.05)
    assert outbox.purge(retention_seconds=0.01) == 1
    assert [p.seq for p in outbox.pending()] == [2, 3]
    # the chain head survives the purge
    assert outbox.seal(identity, "test", "t", "entry", {}).seq == 4


def test_quota_refuses_before_the_disk_fills(tmp_path: Path, identity: Identity) -> None:
    with Outbox(tmp_path / "o.db", quota_bytes=700_000) as box:
        for _ in range(2):
            box.seal(identity, "test", "t", "entry", {"pad": b"\0" * 100_000})
        with pytest.raises(OutboxFull, match="outbox quota reached"):
            for _ in range(5):
                box.seal(identity, "test", "t", "entry", {"pad": b"\0" * 100_000})
        kept = box.status().last_seq
        assert kept >= 2
        assert [p.seq for p in box.pending(100)] == list(range(1, kept + 1))
    assert sqlite3.connect(tmp_path / "o.db").execute("PRAGMA integrity_check").fetchone() == (
        "ok",
    )


def test_disk_reserve_refuses_with_a_clear_message(tmp_path: Path, identity: Identity) -> None:
    with Outbox(tmp_path / "o.db", reserve_bytes=10**15) as box:
        with pytest.raises(
            OutboxFull, match="kept in reserve for the forwarder; nothing was sealed"
        ):
            box.seal(identity, "test", "t", "entry", {})
        assert box.status().last_seq == 0


def _seal_in_child(db: str, signing: str, central: str, count: int) -> None:
    identity = Identity(
        "K-1", "P", load_signing_key(Path(signing)), load_central_public(Path(central))
    )
    with Outbox(Path(db)) as box:
        for n in range(count):
            box.seal(identity, "test", "t", "entry", {"n": n})


def test_two_processes_share_the_outbox_without_lock_errors(tmp_path: Path, keys: Keys) -> None:
    """The kiosk seals while the forwarder marks delivered, as under systemd."""
    db = tmp_path / "shared.db"
    Outbox(db).close()
    context = multiprocessing.get_context("spawn")
    writer = context.Process(
        target=_seal_in_child, args=(str(db), str(keys.signing), str(keys.central_public), 300)
    )
    writer.start()
    delivered = 0
    with Outbox(db) as forwarder_side:
        while writer.is_alive() or forwarder_side.pending(1):
            batch = forwarder_side.pending(50)
            delivered += forwarder_side.mark_delivered([p.record_id for p in batch])
    writer.join(30)
    assert writer.exitcode == 0
    assert delivered == 300
