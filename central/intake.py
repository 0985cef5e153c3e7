"""`kiosk central intake`: a durable pull consumer on the hub stream that verifies every
record and stores it in PostgreSQL exactly once.

For each batch fetched: every record is verified with outbox's public API (signature,
enrolment of its key for its kiosk, post and time; with a central key also that the body
decrypts; a record that fails is run through `outbox.verify` for its exact status),
then, in one database transaction, checked against its kiosk's chain as stored
(`central.db.check_chain`) and inserted (`ON CONFLICT (record_id) DO NOTHING`); what fails
goes to the quarantine table with the reason. Messages are acknowledged only after the
commit: a crash before it leaves them to be delivered again, a crash after it makes the
redelivery a duplicate that the primary key absorbs. Heartbeats update the `heartbeats`
table. One intake per hub stream (the chain checks assume no other writer for its kiosks).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from central import CentralError, db
from outbox.errors import OutboxError, RecordError
from outbox.heartbeat import is_heartbeat
from outbox.heartbeat import verify as verify_heartbeat
from outbox.keys import CentralPrivateKey, load_central_private
from outbox.record import OpenedRecord, decrypt_body, verify_record
from outbox.verify import Registry, load_registry, verify

log = logging.getLogger(__name__)

DURABLE = "central-intake"


@dataclass
class Settings:
    servers: list[str]
    dsn: str
    keys: Path
    stream: str
    durable: str = DURABLE
    batch: int = 500
    central_key: Path | None = None
    once: bool = False  # stop when the stream has nothing more to deliver
    ack_wait: float = 10.0  # a killed intake's batch comes again after this
    workers: int = 0  # verifier processes beside the one that talks to NATS and PostgreSQL


@dataclass
class Totals:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    heartbeats: int = 0
    batches: int = 0
    check_seconds: float = 0.0  # verifying (the event loop's CPU)
    store_seconds: float = 0.0  # the database transactions (in a thread)
    reasons: dict[str, int] = field(default_factory=dict)


def nats_where(servers: list[str]) -> str:
    from urllib.parse import urlsplit

    shown = []
    for url in servers:
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        shown.append(f"{parts.hostname}:{parts.port or 4222}")
    return "NATS at " + ", ".join(shown)


def _trusted(
    data: bytes, registry: Registry, central: CentralPrivateKey | None
) -> OpenedRecord | None:
    """The record if its signature, enrolment (and with a central key, its body) hold;
    None otherwise. One parse: the fast path for the records that are fine."""
    try:
        opened = verify_record(data, registry.get)
    except RecordError:
        return None
    h = opened.header
    if registry.refusal(opened.kid, h.kiosk, h.post, h.time_ms) is not None:
        return None
    if central is not None:
        try:
            decrypt_body(opened, central)
        except RecordError:
            return None
    return opened


def check(
    messages: list[tuple[int, str, bytes]],
    registry: Registry,
    central: CentralPrivateKey | None,
) -> tuple[list[db.Row], list[db.Rejected], list[db.Beat]]:
    """Verify a batch of (stream seq, subject, bytes): rows to store, what to quarantine,
    heartbeats. The chain is checked later, against the database. A record that fails
    goes through `outbox.verify` again for its exact status and reason."""
    rows: list[db.Row] = []
    rejected: list[db.Rejected] = []
    beats: list[db.Beat] = []
    for stream_seq, subject, data in messages:
        opened = None if subject.endswith(".status") else _trusted(data, registry, central)
        if opened is None and is_heartbeat(data):
            try:
                beat = verify_heartbeat(data, registry.get, subject, registry.refusal)
            except RecordError as exc:
                rejected.append(db.Rejected(stream_seq, subject, "heartbeat", str(exc), data))
                continue
            beats.append(
                db.Beat(
                    beat.kiosk, beat.post, beat.last_seq, beat.chain, beat.time_ms, beat.pending
                )
            )
            continue
        if opened is None:
            [report], _ = verify([(f"#{stream_seq}", data)], registry, central)
            problems = report.problems or ["does not verify"]
            rid = bytes.fromhex(report.record_id.replace("-", "")) if report.record_id else None
            status = report.status if report.problems else "tampered"
            rejected.append(
                db.Rejected(
                    stream_seq,
                    subject,
                    status,
                    "; ".join(problems),
                    data,
                    rid,
                    report.kiosk,
                    report.seq,
                )
            )
            continue
        h = opened.header
        if h.seq > db.MAX_BIGINT or h.time_ms > db.MAX_BIGINT:
            rejected.append(
                db.Rejected(
                    stream_seq,
                    subject,
                    "unstorable",
                    "seq or capture time beyond 2^63-1",
                    data,
                    h.record_id,
                    h.kiosk,
                    h.seq,
                )
            )
            continue
        rows.append(
            db.Row(
                h.record_id,
                h.kiosk,
                h.post,
                h.seq,
                h.prev,
                opened.hash,
                h.time_ms,
                h.boot,
                h.mono_ns,
                h.record_type,
                h.officer,
                h.direction,
                h.suite,
                opened.kid,
                data,
                stream_seq,
                subject,
            )
        )
    return rows, rejected, beats


_WORKER: tuple[Registry, CentralPrivateKey | None] | None = None


def _start_worker(keys: Path, central_key: Path | None) -> None:
    """In a verifier process: die with the intake (a SIGKILLed intake leaves no verifier
    behind: Linux's parent-death signal), and load the registry and central key once
    (keys do not travel between processes)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    global _WORKER
    _WORKER = (
        load_registry(keys),
        load_central_private(central_key) if central_key else None,
    )


def _check_in_worker(
    messages: list[tuple[int, str, bytes]],
) -> tuple[list[db.Row], list[db.Rejected], list[db.Beat]]:
    """`check` in a verifier process; the records' bytes stay behind (the caller has them)."""
    assert _WORKER is not None
    rows, rejected, beats = check(messages, *_WORKER)
    rows = [dataclasses.replace(r, data=b"") for r in rows]
    rejected = [dataclasses.replace(r, data=b"") for r in rejected]
    return rows, rejected, beats


class Intake:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        try:
            self.registry = load_registry(settings.keys)
            self.central = (
                load_central_private(settings.central_key) if settings.central_key else None
            )
        except OutboxError as exc:
            raise CentralError(str(exc)) from None
        self.totals = Totals()
        self.pool: Any = None
        if settings.workers > 0:
            import concurrent.futures
            import multiprocessing

            self.pool = concurrent.futures.ProcessPoolExecutor(
                settings.workers,
                # Forked from the intake itself (before any thread), so the parent-death
                # signal names the intake.
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(settings.keys, settings.central_key),
            )
        self.conn: Any = None
        self.nc: Any = None
        self.closing = False
        self.on_batch: Callable[[Totals], None] | None = None  # progress (tests, bench)

    async def connect(self) -> Any:
        """The database and NATS, the stream checked and the durable consumer in place;
        the pull subscription. Anything unreachable is a CentralError line."""
        import nats
        from nats.errors import Error as NatsError
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
        from nats.js.errors import NotFoundError

        s = self.settings
        self.conn = db.connect(s.dsn)
        where = nats_where(s.servers)
        last_error: list[str] = []

        async def on_error(error: Exception) -> None:
            last_error.append(str(error) or type(error).__name__)

        # One pass over the servers first: a dead NATS is an error now, not a silent wait.
        try:
            probe = await nats.connect(
                s.servers,
                connect_timeout=5,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                error_cb=on_error,
            )
            await probe.close()
        except (OSError, NatsError, TimeoutError) as exc:
            reason = last_error[-1] if last_error else (str(exc) or type(exc).__name__)
            raise CentralError(f"cannot reach {where}: {reason}") from None

        async def quiet(error: Exception) -> None:
            log.debug("nats: %s", error)

        async def disconnected() -> None:
            if self.nc is not None and not self.nc.is_closed and not self.closing:
                log.warning("%s: disconnected; reconnecting", where)

        async def reconnected() -> None:
            log.warning("%s: reconnected", where)

        self.nc = await nats.connect(
            s.servers,
            connect_timeout=5,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            error_cb=quiet,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
        )
        js = self.nc.jetstream(timeout=10)
        config = ConsumerConfig(
            durable_name=s.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=s.ack_wait,
            max_deliver=-1,
            max_ack_pending=max(1000, 4 * s.batch),
        )
        deadline = time.monotonic() + 60  # a cluster that just started elects its leaders
        while True:
            try:
                await js.stream_info(s.stream)
                try:
                    await js.add_consumer(s.stream, config)
                except TimeoutError:
                    raise
                except NatsError as exc:  # exists with other settings: use it as it is
                    log.info("consumer %s: %s; using it as it is", s.durable, exc)
                break
            except NotFoundError:
                raise CentralError(
                    f"stream {s.stream} does not exist at {where}: create it with "
                    "'kiosk central streams hub'"
                ) from None
            except (NatsError, TimeoutError) as exc:
                if time.monotonic() > deadline:
                    raise CentralError(
                        f"{where}: stream {s.stream}: {exc or 'timed out'}"
                    ) from None
                log.warning("%s: stream %s: %s; trying again", where, s.stream, exc or "timeout")
                await asyncio.sleep(1)
        return await js.pull_subscribe_bind(s.durable, s.stream)

    async def run(self, stop: asyncio.Event | None = None) -> Totals:
        """Fetch, verify, store, acknowledge; batch N+1 is fetched and verified while
        batch N is committed (in a thread: the database works in its own process)."""
        from nats.errors import Error as NatsError

        stop = stop or asyncio.Event()
        subscription = await self.connect()
        storing: asyncio.Task[None] | None = None
        try:
            while not stop.is_set():
                try:
                    messages = await subscription.fetch(self.settings.batch, timeout=1.0)
                except TimeoutError:
                    if storing is not None:
                        await storing
                        storing = None
                    if self.settings.once and await self._drained(subscription):
                        break
                    continue
                except NatsError as exc:
                    log.warning("fetching from %s: %s", self.settings.stream, exc)
                    await asyncio.sleep(0.5)
                    continue
                if not messages:
                    continue
                checked = await self.check(messages)
                if storing is not None:
                    await storing
                storing = asyncio.create_task(self.store(messages, checked, stop))
            if storing is not None:
                await storing
        finally:
            await self.close()
        return self.totals

    async def _drained(self, subscription: Any) -> bool:
        try:
            info = await subscription.consumer_info()
        except Exception:  # the next fetch finds out what is wrong
            return False
        return bool(info.num_pending == 0 and info.num_ack_pending == 0)

    async def check(
        self, messages: list[Any]
    ) -> tuple[list[db.Row], list[db.Rejected], list[db.Beat]]:
        """Verify a batch: in the verifier processes (split among them), or here."""
        started = time.perf_counter()
        batch = [(m.metadata.sequence.stream, m.subject, m.data or b"") for m in messages]
        try:
            if self.pool is None:
                return check(batch, self.registry, self.central)
            loop = asyncio.get_running_loop()
            n = self.settings.workers
            size = max(1, -(-len(batch) // n))
            parts = await asyncio.gather(
                *(
                    loop.run_in_executor(self.pool, _check_in_worker, batch[i : i + size])
                    for i in range(0, len(batch), size)
                )
            )
            data = {seq: d for seq, _, d in batch}
            rows = [dataclasses.replace(r, data=data[r.stream_seq]) for p in parts for r in p[0]]
            rejected = [
                dataclasses.replace(r, data=data[r.stream_seq]) for p in parts for r in p[1]
            ]
            beats = [b for part in parts for b in part[2]]
            return rows, rejected, beats
        finally:
            self.totals.check_seconds += time.perf_counter() - started

    async def handle(self, messages: list[Any], stop: asyncio.Event) -> None:
        """Verify, store and acknowledge one batch."""
        await self.store(messages, await self.check(messages), stop)

    async def store(
        self,
        messages: list[Any],
        checked: tuple[list[db.Row], list[db.Rejected], list[db.Beat]],
        stop: asyncio.Event,
    ) -> None:
        """Store (retrying while the database is away), then acknowledge."""
        import psycopg

        rows, rejected, beats = checked
        delay = 0.5
        while True:
            try:
                started = time.perf_counter()
                outcome = await asyncio.to_thread(
                    db.store, self.conn, self.settings.stream, rows, rejected, beats
                )
                self.totals.store_seconds += time.perf_counter() - started
                break
            except psycopg.OperationalError as exc:
                log.warning(
                    "%s: %s; retrying in %.1f s (nothing acknowledged)",
                    db.where(self.settings.dsn),
                    db.describe(exc),
                    delay,
                )
            if stop.is_set():
                return  # not acknowledged: delivered again to the next intake
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
            for m in messages:  # keep them ours while we wait
                with contextlib.suppress(Exception):  # else delivered again: duplicates
                    await m.in_progress()
            try:
                self.conn.close()
                self.conn = await asyncio.to_thread(db.connect, self.settings.dsn)
            except CentralError as again:
                log.warning("%s", again)
        for m in messages:
            try:
                await m.ack()
            except Exception as exc:  # not acknowledged: delivered again, a duplicate then
                log.warning("acknowledging: %s", exc)
                break
        t = self.totals
        t.messages += len(messages)
        t.batches += 1
        t.stored += outcome.stored
        t.duplicates += outcome.duplicates
        t.heartbeats += len(beats)
        t.quarantined += len(outcome.quarantined)
        for q in outcome.quarantined:
            t.reasons[q.status] = t.reasons.get(q.status, 0) + 1
            log.warning("quarantined stream seq %d (%s): %s", q.stream_seq, q.status, q.reason)
        if self.on_batch is not None:
            self.on_batch(t)

    async def close(self) -> None:
        self.closing = True
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        if self.nc is not None:
            nc, self.nc = self.nc, None
            with contextlib.suppress(Exception):  # acknowledgements out before closing
                await nc.flush(timeout=2)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), 5)
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_intake(settings: Settings, report_every: float = 10.0) -> Totals:
    """Run until SIGTERM/SIGINT (or, with `once`, until the stream is drained)."""
    import signal

    intake = Intake(settings)
    started = time.monotonic()
    last = [started]

    def progress(t: Totals) -> None:
        now = time.monotonic()
        if now - last[0] >= report_every:
            last[0] = now
            log.info(
                "%d stored, %d duplicates, %d quarantined (%.0f records/s)",
                t.stored,
                t.duplicates,
                t.quarantined,
                t.messages / (now - started),
            )

    intake.on_batch = progress

    async def main() -> Totals:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        return await intake.run(stop)

    return asyncio.run(main())
