"""Central intake figures beside their references, from the same run on this machine.

1. Intake into PostgreSQL from the hub: N sealed records of ~10 KB (from K kiosks) wait in
   the region's R3 stream on a 3-node hub cluster; `central.intake` (verify signature,
   enrolment and chain, batched INSERT ... ON CONFLICT, commit, acknowledge) drains them
   into a fresh database. Beside it: nats-py alone fetching and acknowledging the same
   messages (the transport's ceiling), and psycopg alone inserting the same rows with the
   same statement, and with COPY (the database's ceiling).
2. Leaf -> hub catch-up: the post's uplink is cut, a backlog of B messages of ~10 KB is
   published to the post's leaf node (fsync each: `sync_interval: always`), the link is
   restored, and the time until the hub's R3 stream holds the whole backlog is measured.
   Beside it: nats-py alone reading the same backlog out of the leaf over loopback.

    python bench/central_bench.py [--records N] [--kiosks K] [--backlog B] [--size BYTES]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from central import db, natsconfig
from central.intake import Intake, Settings, check
from outbox.keys import load_central_public, load_signing_key
from outbox.store import Identity, Outbox
from outbox.verify import load_registry
from tests.central.postgres import running_postgres
from tests.central.topology import start_hub
from tests.outbox.conftest import make_keys

STREAM = "BORDER-BENCH"
COPY_TYPES = ["uuid", "text", "text", "int8", "bytea", "bytea", "int8", "text", "numeric",
              "text", "text", "text", "text", "bytea", "bytea", "text", "int8"]  # fmt: skip


def seal(directory: Path, kiosks: int, count: int, size: int) -> list[tuple[str, bytes]]:
    """(subject, sealed bytes) of `count` records spread over `kiosks` kiosks."""
    from outbox.keys import generate_signing_key, public_pem

    keys = make_keys(directory / "keys")
    central = load_central_public(keys.central_public)
    out: list[tuple[str, bytes]] = []
    per = count // kiosks
    for k in range(kiosks):
        name = f"K-{k + 1:03d}"
        key_path = directory / f"{name}.pem"
        signing = generate_signing_key(key_path)
        (keys.registry / f"{name}.pem").write_bytes(public_pem(signing))
        identity = Identity(name, "UTO-N1", load_signing_key(key_path), central)
        with Outbox(directory / f"{name}.db", quota_bytes=64 * 1024**3) as box:
            for start in range(0, per, 500):
                box.seal_many(
                    identity,
                    [
                        ("test", "t", "entry", {"pad": os.urandom(size)})
                        for _ in range(min(500, per - start))
                    ],
                )
            out += [(f"border.records.UTO-N1.{name}", d) for _, d in box.data()]
    return out


async def publish(servers: list[str], messages: list[tuple[str, bytes]], window: int = 256) -> None:
    import nats

    nc = await nats.connect(servers)
    js = nc.jetstream(timeout=30)
    try:
        for start in range(0, len(messages), window):
            await asyncio.gather(
                *(
                    js.publish(s, d, headers={"Nats-Msg-Id": uuid.uuid4().hex})
                    for s, d in messages[start : start + window]
                )
            )
    finally:
        await nc.close()


async def bare_fetch(servers: list[str], stream: str, count: int, batch: int) -> float:
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig

    nc = await nats.connect(servers)
    js = nc.jetstream(timeout=30)
    await js.add_consumer(stream, ConsumerConfig(durable_name="bare", ack_policy=AckPolicy.EXPLICIT,
                                                 max_ack_pending=4 * batch))  # fmt: skip
    sub = await js.pull_subscribe_bind("bare", stream)
    got = 0
    started = time.perf_counter()
    while got < count:
        try:
            messages = await sub.fetch(batch, timeout=2)
        except TimeoutError:
            continue
        for m in messages:
            await m.ack()
        got += len(messages)
    await nc.flush()
    elapsed = time.perf_counter() - started
    await nc.close()
    return elapsed


def bare_insert(dsn: str, rows: list[db.Row], batch: int) -> tuple[float, float]:
    """The intake's own INSERT statement, then binary COPY, of the same rows (fresh tables)."""
    with psycopg.connect(dsn) as conn:
        conn.execute(db.SCHEMA)
        conn.commit()
        sql = db.INSERT_RECORDS  # the intake's own statement
        values = [
            (
                uuid.UUID(bytes=r.record_id),
                r.kiosk,
                r.post,
                r.seq,
                r.prev,
                r.hash,
                r.time_ms,
                r.boot,
                r.mono_ns,
                r.record_type,
                r.officer,
                r.direction,
                r.suite,
                r.kid,
                r.data,
                STREAM,
                r.stream_seq,
            )
            for r in rows
        ]
        started = time.perf_counter()
        for start in range(0, len(values), batch):
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(sql, values[start : start + batch])
        insert = time.perf_counter() - started
        conn.execute("CREATE TABLE copied (LIKE records INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        for start in range(0, len(values), batch):
            with (
                conn.transaction(),
                conn.cursor() as cur,
                cur.copy(
                    "COPY copied (record_id, kiosk, post, seq, prev, hash, time_ms, boot, "
                    "mono_ns, record_type, officer, direction, suite, kid, data, stream, "
                    "stream_seq) FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(COPY_TYPES)
                for value in values[start : start + batch]:
                    copy.write_row(value)
        copied = time.perf_counter() - started
    return insert, copied


def intake_part(args: argparse.Namespace, work: Path) -> None:
    print(f"== 1. intake: {args.records} records of ~{args.size // 1000} KB from {args.kiosks} "
          "kiosks, 3-node hub, R3 stream")  # fmt: skip
    started = time.perf_counter()
    messages = seal(work / "kiosks", args.kiosks, args.records, args.size)
    print(f"   sealed {len(messages)} records in {time.perf_counter() - started:.1f} s")
    topology = start_hub(work / "hub")
    try:
        with running_postgres() as pg:
            from nats.js.api import StorageType, StreamConfig

            async def make_stream() -> None:
                import nats

                nc = await nats.connect(topology.hub_urls)
                await nc.jetstream(timeout=30).add_stream(
                    StreamConfig(
                        name=STREAM,
                        subjects=["border.records.>"],
                        num_replicas=3,
                        storage=StorageType.FILE,
                    )
                )
                await nc.close()

            asyncio.run(make_stream())
            started = time.perf_counter()
            asyncio.run(publish(topology.hub_urls, messages))
            print(f"   published to the hub in {time.perf_counter() - started:.1f} s")
            count = len(messages)

            fetch = asyncio.run(bare_fetch(topology.hub_urls, STREAM, count, args.batch))
            registry = load_registry(work / "kiosks" / "keys" / "registry")
            rows, _, _ = check([(i + 1, s, d) for i, (s, d) in enumerate(messages)], registry, None)
            insert, copied = bare_insert(pg.create_database(), rows, args.batch)
            started = time.perf_counter()
            verified = check([(i + 1, s, d) for i, (s, d) in enumerate(messages)], registry, None)
            verify_s = time.perf_counter() - started
            assert len(verified[0]) == count

            dsn = pg.create_database()
            registry_dir = work / "kiosks" / "keys" / "registry"
            intake = Intake(
                Settings(
                    topology.hub_urls,
                    dsn,
                    registry_dir,
                    STREAM,
                    batch=args.batch,
                    once=True,
                    workers=args.workers,
                )
            )
            started = time.perf_counter()
            totals = asyncio.run(intake.run())
            ours = time.perf_counter() - started
            assert totals.stored == count and totals.quarantined == 0, totals
            with psycopg.connect(dsn) as conn:
                row = conn.execute("SELECT count(DISTINCT record_id) FROM records").fetchone()
            assert row is not None and row[0] == count
    finally:
        topology.stop()
    rate = count / ours
    print(f"   ours  kiosk central intake (verify + chain + INSERT + commit + ack): "
          f"{rate:8.0f} records/s ({ours:.1f} s)")  # fmt: skip
    print(f"         {totals.batches} batches; verifying {totals.check_seconds:.1f} s, database "
          f"{totals.store_seconds:.1f} s (overlapped)")  # fmt: skip
    print(f"   ref   nats-py fetch + ack alone:            {count / fetch:8.0f} records/s "
          f"(ours = {fetch / ours:.2f} of it)")  # fmt: skip
    print(f"   ref   psycopg INSERT ... ON CONFLICT alone: {count / insert:8.0f} records/s "
          f"(ours = {insert / ours:.2f} of it)")  # fmt: skip
    print(f"   ref   psycopg COPY alone:                   {count / copied:8.0f} records/s")
    print(f"   part  outbox.verify of the batch (CPU):     {count / verify_s:8.0f} records/s")
    print(f"   target >= 3,000 records/s: {'met' if rate >= 3000 else 'NOT met'}")


def catch_up_part(args: argparse.Namespace, work: Path) -> None:
    print(f"== 2. leaf -> hub catch-up: backlog of {args.backlog} messages of ~"
          f"{args.size // 1000} KB after a cut")  # fmt: skip
    topology = start_hub(work / "topology")
    try:
        leaf = topology.add_leaf("UTO-N1")
        asyncio.run(natsconfig.ensure_post_stream([leaf.url], "UTO-N1"))
        asyncio.run(natsconfig.ensure_hub_stream(topology.hub_urls, "NORTH", ["UTO-N1"]))
        leaf.cut()
        payload = os.urandom(args.size)
        started = time.perf_counter()
        for start in range(0, args.backlog, 5000):
            chunk = [("border.records.UTO-N1.K-1", payload)] * min(5000, args.backlog - start)
            asyncio.run(publish([leaf.url], chunk))
        published = time.perf_counter() - started
        print(f"   published to the cut-off leaf (fsync each): {args.backlog / published:.0f} "
              f"messages/s ({published:.1f} s)")  # fmt: skip
        hub_stream = natsconfig.hub_stream("NORTH")

        async def hub_count() -> int:
            import nats

            nc = await nats.connect(topology.hub_urls)
            try:
                info = await nc.jetstream(timeout=10).stream_info(hub_stream)
                return int(info.state.messages)
            finally:
                await nc.close()

        assert asyncio.run(hub_count()) == 0
        started = time.perf_counter()
        leaf.restore()
        first = None
        while (n := asyncio.run(hub_count())) < args.backlog:
            if n and first is None:
                first = time.perf_counter() - started
            time.sleep(0.25)
            if time.perf_counter() - started > 3600:
                raise SystemExit(f"catch-up stalled at {n}")
        catch_up = time.perf_counter() - started
        first = first if first is not None else catch_up
        fetch = asyncio.run(bare_fetch([leaf.url], natsconfig.post_stream("UTO-N1"),
                                       args.backlog, 500))  # fmt: skip
    finally:
        topology.stop()
    print(f"   ours  hub R3 stream sourcing the leaf: {catch_up:.1f} s after the link came back "
          f"(first message after {first:.1f} s: the source's retry; then "
          f"{args.backlog / max(catch_up - first, 1e-3):.0f} messages/s)")  # fmt: skip
    print(f"   ref   nats-py fetch + ack from the leaf alone: {fetch:.1f} s "
          f"({args.backlog / fetch:.0f} messages/s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--kiosks", type=int, default=6)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=0, help="the intake's verifier processes")
    parser.add_argument("--skip", choices=["intake", "catch-up"], action="append", default=[])
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="central-bench-") as tmp:
        if "intake" not in args.skip:
            intake_part(args, Path(tmp) / "intake")
        if "catch-up" not in args.skip:
            catch_up_part(args, Path(tmp) / "catch-up")


if __name__ == "__main__":
    main()
