"""`nats`: NATS JetStream. Each record is published with `Nats-Msg-Id` = record id (hex)
to `<prefix>.<post>.<kiosk>` and counts as delivered only once its PubAck arrived; the
stream's duplicate window makes a re-send after a lost ack harmless."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from outbox.errors import TransportError
from outbox.store import Pending

log = logging.getLogger(__name__)


class NatsTransport:
    name = "nats"

    def __init__(self, settings: dict[str, Any], kiosk: str, post: str) -> None:
        self.servers = settings.get("url", "nats://127.0.0.1:4222")
        self.subject = f"{settings.get('subject_prefix', 'border.records')}.{post}.{kiosk}"
        self.stream = settings.get("stream")
        self.timeout = float(settings.get("timeout", 10))
        self.credentials = settings.get("credentials")
        self._nc: Any = None
        self._js: Any = None

    async def connect(self) -> None:
        import nats
        from nats.errors import Error as NatsError

        async def quiet(error: Exception) -> None:
            log.debug("nats: %s", error)

        # One attempt per server (0 would mean "forever" to nats-py); the forwarder's
        # backoff decides when to try again.
        options: dict[str, Any] = {
            "servers": self.servers,
            "connect_timeout": self.timeout,
            "max_reconnect_attempts": 1,
            "reconnect_time_wait": 0.1,
            "allow_reconnect": False,
            "error_cb": quiet,
        }
        if self.credentials:
            options["user_credentials"] = self.credentials
        try:
            self._nc = await nats.connect(**options)
        except (TimeoutError, OSError, NatsError) as exc:
            raise TransportError(f"cannot reach NATS at {self.servers}: {exc}") from None
        self._js = self._nc.jetstream(timeout=self.timeout)

    async def send(self, batch: list[Pending]) -> set[bytes]:
        if self._js is None:
            await self.connect()
        acked: set[bytes] = set()

        async def publish(record: Pending) -> None:
            await self._js.publish(
                self.subject,
                record.data,
                stream=self.stream,
                headers={"Nats-Msg-Id": record.record_id.hex()},
            )
            acked.add(record.record_id)

        results = await asyncio.gather(*(publish(r) for r in batch), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors and not acked:
            await self.close()
            raise TransportError(f"NATS JetStream did not acknowledge: {errors[0]!r}")
        if errors:
            await self.close()
        return acked

    async def close(self) -> None:
        if self._nc is not None:
            # Closing a broken connection must not raise over the error that broke it.
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._nc = self._js = None
