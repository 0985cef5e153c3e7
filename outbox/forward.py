"""The forwarder: pending records, in sequence order and in batches, to the transport.

A record is marked delivered only after the transport acknowledged it, and only ids of
the batch it sent. While the link is down it waits with exponential backoff and full
jitter; after a restart it simply starts from the oldest pending record again (the
central side deduplicates by record id). Every transport operation has a deadline, so a
link that dies mid-batch ends the batch with one line instead of a hang. After each
round of batches that delivered records, and at least once a minute when idle, it sends
a signed heartbeat (the last sealed seq and chain hash, `outbox.heartbeat`). The link
state it sees, with its time and the last error, goes into the outbox for `kiosk outbox
status`. Under systemd it reports READY, STATUS and WATCHDOG.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass

from outbox.errors import OutboxError, TransportError
from outbox.heartbeat import Signer
from outbox.sdnotify import Notifier
from outbox.store import Outbox, Pending
from outbox.transports import Transport

log = logging.getLogger(__name__)

HEARTBEAT_IDLE_S = 60.0
LINK_REFRESH_S = 60.0  # rewrite an unchanged link state at most this often (eMMC wear)
MAX_BATCH_BYTES = 2 * 1024**2  # a batch of large records: 49 MB peak RSS here, 75 at 8 MiB


@dataclass
class Backoff:
    """Full jitter (a random wait up to base * 2^n, capped)."""

    base: float = 0.5
    cap: float = 60.0
    failures: int = 0

    def next_delay(self) -> float:
        self.failures += 1
        return random.uniform(0, min(self.cap, self.base * 2 ** (self.failures - 1)))

    def reset(self) -> None:
        self.failures = 0


@dataclass
class Progress:
    sent: int = 0
    batches: int = 0
    errors: int = 0


class Forwarder:
    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        *,
        batch_size: int = 200,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        backoff: Backoff | None = None,
        notifier: Notifier | None = None,
        retention_seconds: float | None = None,
        heartbeat: Signer | None = None,
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.backoff = backoff or Backoff()
        self.notifier = notifier or Notifier()
        self.retention_seconds = retention_seconds
        self.heartbeat = heartbeat
        self.progress = Progress()
        self._heartbeat_at = 0.0
        self._link: tuple[str, float] = ("", 0.0)  # state written last, and when

    async def drain(self) -> int:
        """Send everything pending now; returns how many were delivered.

        Raises `TransportError` (records stay pending) when the link fails; what was
        acknowledged before the failure is marked delivered first.
        """
        delivered = 0
        after = 0
        while True:
            batch = self.outbox.pending(self.batch_size, after, self.max_batch_bytes)
            if not batch:
                break
            try:
                acked = await self.transport.send(batch)
            except TransportError as exc:
                delivered += self._mark(batch, set(exc.acknowledged))
                raise
            delivered += self._mark(batch, acked)
            self.progress.batches += 1
            self.notifier.watchdog()
            if len(acked) < len(batch):
                raise TransportError(
                    f"{len(batch) - len(acked)} of {len(batch)} records were not acknowledged"
                )
            after = batch[-1].seq
        if delivered or time.monotonic() - self._heartbeat_at >= HEARTBEAT_IDLE_S:
            await self.send_heartbeat()
        return delivered

    def _mark(self, batch: list[Pending], acked: set[bytes]) -> int:
        """Mark delivered what the other side acknowledged of this batch, nothing else."""
        sent = {record.record_id for record in batch}
        if not acked <= sent:
            # The transport checks this; a second guard here costs nothing.
            raise TransportError("the acknowledgement names records that were not sent")
        marked = self.outbox.mark_delivered(acked) if acked else 0
        self.progress.sent += len(acked)
        if acked:
            self._make_room()
        return marked

    async def send_heartbeat(self) -> None:
        if self.heartbeat is None:
            return
        seq, chain = self.outbox.head()
        pending = self.outbox.status().pending
        data = self.heartbeat.make(seq, chain, pending, time.time_ns() // 1_000_000)
        await self.transport.send_status(data)
        self._heartbeat_at = time.monotonic()

    async def run_once(self) -> int:
        """`kiosk forward --once`: connect, drain, close. Raises `TransportError`."""
        try:
            await self.transport.connect()
            try:
                delivered = await self.drain()
            finally:
                await self.transport.close()
        except OutboxError as exc:
            self._set_link("down", str(exc))
            raise
        self._set_link("up", f"{delivered} delivered")
        self._purge()
        self._make_room()
        return delivered

    async def run(self, idle_poll: float = 1.0, stop: asyncio.Event | None = None) -> None:
        """The daemon: drain, wait for new records, back off while the link is down."""
        stop = stop or asyncio.Event()
        self.notifier.ready(self._status_text())
        connected = False
        last_purge = 0.0
        while not stop.is_set():
            try:
                if not connected:
                    await self.transport.connect()
                    connected = True
                await self.drain()
                if self.backoff.failures:
                    log.info("link up again after %d failed attempts", self.backoff.failures)
                self._set_link("up", f"{self.progress.sent} delivered since start")
                self.backoff.reset()
                delay = idle_poll
            except (TransportError, OutboxError) as exc:
                self.progress.errors += 1
                if connected:
                    await self.transport.close()
                connected = False
                delay = self.backoff.next_delay()
                log.warning("link down (%s); retrying in %.1f s", exc, delay)
                self._set_link("down", str(exc))
            if time.monotonic() - last_purge > 3600:
                self._purge()
                last_purge = time.monotonic()
            self._make_room()
            self.notifier.status(self._status_text())
            self.notifier.watchdog()
            await self._sleep(delay, stop)
        if connected:
            await self.transport.close()

    def _set_link(self, state: str, detail: str) -> None:
        """Record the link as seen now; an unchanged state is rewritten once a minute."""
        last_state, written = self._link
        if state == last_state and state == "up" and time.monotonic() - written < LINK_REFRESH_S:
            return
        try:
            self.outbox.set_link(state, detail)
        except OutboxError as exc:  # never hides the transport's own error
            log.error("cannot record the link state: %s", exc)
            return
        self._link = (state, time.monotonic())

    async def _sleep(self, delay: float, stop: asyncio.Event) -> None:
        """Sleep in slices so the watchdog keeps being fed during a long backoff."""
        deadline = time.monotonic() + delay
        slice_s = self.notifier.watchdog_interval or 5.0
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=min(left, slice_s))
            except TimeoutError:
                self.notifier.watchdog()

    def _purge(self) -> None:
        """Drop the bodies of delivered records past their retention (headers stay)."""
        if self.retention_seconds is not None:
            purged = self.outbox.purge(self.retention_seconds)
            if purged:
                log.info("dropped the bodies of %d delivered records past retention", purged)

    def _make_room(self) -> None:
        """On a nearly full disk, delivered records go before their retention ends: the
        kiosk must be able to seal the next traveller."""
        try:
            if not self.outbox.room_is_low():
                self.outbox.keep_ballast()  # taken again once the room is back
                return
            purged = self.outbox.purge(0, zero_freed=False)
        except (OutboxError, OSError) as exc:
            log.error("cannot make room in the outbox: %s", exc)
            return
        if purged:
            log.warning(
                "the outbox's disk is nearly full: dropped the bodies of %d delivered records "
                "before their retention ended",
                purged,
            )

    def _status_text(self) -> str:
        status = self.outbox.status()
        return f"{status.pending} pending ({status.pending_bytes // 1024} KiB), link {status.link}"
