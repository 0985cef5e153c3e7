"""Where the forwarder sends records: `nats` (JetStream), `https` (mutual TLS), `dir`.

A transport's `send(batch)` returns the ids the other side acknowledged; anything not
acknowledged stays pending and is sent again later (the central side deduplicates by
record id). Every operation has a deadline: a transport raises `TransportError` rather
than wait for ever on a link or a disk that stopped answering. Transports are imported
lazily so a missing optional library only breaks its own transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from outbox.errors import OutboxError, TransportError
from outbox.store import Pending

T = TypeVar("T")


class Transport(Protocol):
    name: str
    timeout: float

    async def connect(self) -> None: ...

    async def send(self, batch: list[Pending]) -> set[bytes]: ...

    async def send_status(self, data: bytes) -> None:
        """Deliver a signed heartbeat (`outbox.heartbeat`) beside the records."""

    async def close(self) -> None: ...


async def run_blocking(
    function: Callable[[], T],
    timeout: float,
    what: str,
    on_timeout: Callable[[], Any] | None = None,
) -> T:
    """Run blocking I/O in a daemon thread and give up after `timeout` seconds.

    Not `asyncio.to_thread`: a thread stuck in a write to a dead USB stick would keep the
    default executor, and with it the process, from ever exiting. `on_timeout` may unblock
    the thread (e.g. shut its socket down); otherwise it is abandoned.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            outcome: tuple[T | None, BaseException | None] = (function(), None)
        except BaseException as exc:  # handed to the awaiting coroutine
            outcome = (None, exc)
        # The loop may be gone by now (the caller gave up and the process is ending).
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name=f"transport: {what}", daemon=True).start()
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        if on_timeout is not None:
            on_timeout()
        raise TransportError(f"{what} did not finish within {timeout:g} s") from None


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
