"""The forwarder: pending records, in sequence order and in batches, to the transport.

A record is marked delivered only after the transport acknowledged it. While the link is
down it waits with exponential backoff and full jitter; after a restart it simply starts
from the oldest pending record again (the central side deduplicates by record id). Under
systemd it reports READY, STATUS and WATCHDOG.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass

from outbox.errors import OutboxError, TransportError
from outbox.sdnotify import Notifier
from outbox.store import Outbox
from outbox.transports import Transport

log = logging.getLogger(__name__)


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
        backoff: Backoff | None = None,
        notifier: Notifier | None = None,
        retention_seconds: float | None = None,
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.notifier = notifier or Notifier()
        self.retention_seconds = retention_seconds
        self.progress = Progress()

    async def drain(self) -> int:
        """Send everything pending now; returns how many were delivered.

        Raises `TransportError` (records stay pending) when the link fails.
        """
        delivered = 0
        after = 0
        while True:
            batch = self.outbox.pending(self.batch_size, after_seq=after)
            if not batch:
                break
            acked = await self.transport.send(batch)
            delivered += self.outbox.mark_delivered(acked)
            self.progress.sent += len(acked)
            self.progress.batches += 1
            self.notifier.watchdog()
            if len(acked) < len(batch):
                raise TransportError(
                    f"{len(batch) - len(acked)} of {len(batch)} records were not acknowledged"
                )
            after = batch[-1].seq
        return delivered

    async def run_once(self) -> int:
        """`kiosk forward --once`: connect, drain, close."""
        await self.transport.connect()
        try:
            delivered = await self.drain()
        finally:
            await self.transport.close()
        self.outbox.set_link("up", f"{delivered} delivered")
        self._purge()
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
                delivered = await self.drain()
                if delivered or self.backoff.failures:
                    self.outbox.set_link("up", f"{self.progress.sent} delivered since start")
                self.backoff.reset()
                delay = idle_poll
            except (TransportError, OutboxError) as exc:
                self.progress.errors += 1
                if connected:
                    await self.transport.close()
                connected = False
                delay = self.backoff.next_delay()
                log.warning("link down (%s); retrying in %.1f s", exc, delay)
                self.outbox.set_link("down", str(exc))
            if time.monotonic() - last_purge > 3600:
                self._purge()
                last_purge = time.monotonic()
            self.notifier.status(self._status_text())
            self.notifier.watchdog()
            await self._sleep(delay, stop)
        if connected:
            await self.transport.close()

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
        if self.retention_seconds is not None:
            purged = self.outbox.purge(self.retention_seconds)
            if purged:
                log.info("purged %d delivered records past retention", purged)

    def _status_text(self) -> str:
        status = self.outbox.status()
        return f"{status.pending} pending ({status.pending_bytes // 1024} KiB), link {status.link}"
