"""Where the forwarder sends records: `nats` (JetStream), `https` (mutual TLS), `dir`.

A transport's `send(batch)` returns the ids the other side acknowledged; anything not
acknowledged stays pending and is sent again later (the central side deduplicates by
record id). Transports are imported lazily so a missing optional library only breaks its
own transport.
"""

from __future__ import annotations

from typing import Any, Protocol

from outbox.errors import OutboxError
from outbox.store import Pending


class Transport(Protocol):
    name: str

    async def connect(self) -> None: ...

    async def send(self, batch: list[Pending]) -> set[bytes]: ...

    async def close(self) -> None: ...


def open_transport(name: str, settings: dict[str, Any], kiosk: str, post: str) -> Transport:
    if name == "dir":
        from outbox.transports.directory import DirTransport

        return DirTransport(settings, kiosk)
    if name == "https":
        from outbox.transports.https import HttpsTransport

        return HttpsTransport(settings)
    if name == "nats":
        from outbox.transports.nats import NatsTransport

        return NatsTransport(settings, kiosk, post)
    raise OutboxError(f"unknown transport {name!r}; use nats, https or dir")
