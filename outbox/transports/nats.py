"""`nats`: NATS JetStream. Each record is published with `Nats-Msg-Id` = record id (hex)
to `<prefix>.<post>.<kiosk>` and counts as delivered only once its PubAck arrived; the
stream's duplicate window makes a re-send after a lost ack harmless.

Deadlines: nats-py waits on a forced flush without a timeout, and nothing resolves that
wait when the connection closes (a batch of large records then hangs for ever). So a
batch here ends as soon as the connection is reported lost, or when no PubAck arrived
for `timeout` seconds while publishes were outstanding; connecting and closing have the
same deadline.

TLS: a `tls://` URL or any of `ca`, `cert`, `key` turns TLS on (`cert` and `key`: mutual
TLS); `credentials` is a NATS `.creds` file; user and password may stand in the URL.
Plain `nats://` without TLS is accepted with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import ssl
from typing import Any
from urllib.parse import urlsplit

from outbox.errors import TransportError
from outbox.store import Pending

log = logging.getLogger(__name__)


class _QuietTlsEof(logging.Filter):
    """asyncio warns "returning true from eof_received() has no effect when using ssl"
    each time a NATS server closes a TLS connection (nats-py's protocol returns True):
    noise in the journal, nothing anyone can act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "eof_received()" not in record.getMessage()


logging.getLogger("asyncio").addFilter(_QuietTlsEof())


def tls_context(settings: dict[str, Any]) -> ssl.SSLContext | None:
    """The client's TLS context from `ca`, `cert`, `key`, or None for plaintext."""
    urls = settings.get("url", "")
    urls = urls if isinstance(urls, list) else [urls]
    wanted = any(str(u).startswith("tls://") for u in urls) or any(
        settings.get(k) for k in ("ca", "cert", "key")
    )
    if not wanted:
        return None
    try:
        context = ssl.create_default_context(cafile=settings.get("ca"))
        if settings.get("cert"):
            context.load_cert_chain(settings["cert"], settings.get("key"))
    except (OSError, ssl.SSLError) as exc:
        raise TransportError(f"NATS TLS settings (ca, cert, key): {exc}") from None
    if settings.get("key") and not settings.get("cert"):
        raise TransportError("NATS TLS: 'key' is set but 'cert' is not; give both")
    return context


def connect_options(settings: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Options for `nats.connect` from [forward.nats]-style settings (also `kiosk verify`)."""
    servers = settings.get("url", "nats://127.0.0.1:4222")
    options: dict[str, Any] = {
        "servers": servers,
        "connect_timeout": timeout,
        # One attempt per server (0 would mean "forever" to nats-py); the forwarder's
        # backoff decides when to try again.
        "max_reconnect_attempts": 1,
        "reconnect_time_wait": 0.1,
        "allow_reconnect": False,
        # A forced flush gives up after this (nats-py's default is to wait for ever).
        "flush_timeout": timeout,
        "error_cb": _quiet,  # nats-py logs every error at ERROR; callers report them once
    }
    context = tls_context(settings)
    if context is not None:
        options["tls"] = context
        first = urlsplit(servers[0] if isinstance(servers, list) else servers)
        if first.hostname:
            options["tls_hostname"] = first.hostname
    else:
        log.warning(
            "NATS at %s is not encrypted: use a tls:// URL with 'ca' (and 'cert', 'key' for "
            "mutual TLS)",
            _without_password(servers),
        )
    if settings.get("credentials"):
        options["user_credentials"] = settings["credentials"]
    return options


async def _quiet(error: Exception) -> None:
    log.debug("nats: %s", error)


def _without_password(servers: Any) -> str:
    urls = servers if isinstance(servers, list) else [servers]
    shown = []
    for url in urls:
        parts = urlsplit(str(url))
        shown.append(f"{parts.scheme}://{parts.hostname}:{parts.port}" if parts.hostname else url)
    return ", ".join(shown)


class NatsTransport:
    name = "nats"

    def __init__(self, settings: dict[str, Any], kiosk: str, post: str) -> None:
        self.settings = settings
        self.servers = _without_password(settings.get("url", "nats://127.0.0.1:4222"))
        self.subject = f"{settings.get('subject_prefix', 'border.records')}.{post}.{kiosk}"
        self.stream = settings.get("stream")
        self.timeout = float(settings.get("timeout", 10))
        self.options = connect_options(settings, self.timeout)
        self._nc: Any = None
        self._js: Any = None
        self._lost = asyncio.Event()
        self._lost_reason = ""
        self._last_error = ""

    async def connect(self) -> None:
        import nats
        from nats.errors import Error as NatsError

        lost = self._lost = asyncio.Event()
        self._lost_reason = self._last_error = ""

        async def on_error(error: Exception) -> None:
            self._last_error = _describe(error)
            log.debug("nats: %s", self._last_error)

        async def on_lost() -> None:
            if not lost.is_set():
                self._lost_reason = self._last_error or "the server closed the connection"
                lost.set()

        options = {
            **self.options,
            "error_cb": on_error,
            "disconnected_cb": on_lost,
            "closed_cb": on_lost,
        }
        try:
            # connect_timeout bounds each step inside; this bounds the whole.
            self._nc = await asyncio.wait_for(nats.connect(**options), self.timeout + 1)
        except (TimeoutError, OSError, ssl.SSLError, NatsError) as exc:
            reason = self._last_error or _describe(exc)
            raise TransportError(f"cannot reach NATS at {self.servers}: {reason}") from None
        self._js = self._nc.jetstream(timeout=self.timeout)

    async def send(self, batch: list[Pending]) -> set[bytes]:
        if self._js is None:
            await self.connect()
        acked: set[bytes] = set()
        errors: list[str] = []

        async def publish(record: Pending) -> None:
            try:
                await self._js.publish(
                    self.subject,
                    record.data,
                    timeout=self.timeout,
                    stream=self.stream,
                    headers={"Nats-Msg-Id": record.record_id.hex()},
                )
            except Exception as exc:  # any failure leaves the record pending
                errors.append(_describe(exc))
            else:
                acked.add(record.record_id)

        problem = await self._settle({asyncio.create_task(publish(r)) for r in batch}, acked)
        if not problem and errors:
            if all(error == "timed out" for error in errors):  # each publish's own deadline
                problem = f"no acknowledgement for {self.timeout:g} s"
            else:
                problem = f"NATS JetStream did not acknowledge: {errors[0]}"
        if problem:
            await self.close(abort=True)
            raise TransportError(
                f"NATS at {self.servers}: {problem}; {len(acked)} of {len(batch)} records of "
                "the batch acknowledged, the rest stay pending",
                frozenset(acked),
            )
        return acked

    async def send_status(self, data: bytes) -> None:
        """The heartbeat, to `<subject>.status`, acknowledged like a record."""
        if self._js is None:
            await self.connect()
        done: set[bytes] = set()
        failure: list[str] = []

        async def publish() -> None:
            try:
                await self._js.publish(
                    self.subject + ".status",
                    data,
                    timeout=self.timeout,
                    stream=self.stream,
                    headers={"Nats-Msg-Id": "status-" + hashlib.sha256(data).hexdigest()[:32]},
                )
                done.add(b"")
            except Exception as exc:  # reported below as one line
                failure.append(_describe(exc))

        problem = await self._settle({asyncio.create_task(publish())}, done)
        if problem or failure:
            await self.close(abort=True)
            raise TransportError(f"NATS at {self.servers}: heartbeat: {problem or failure[0]}")

    async def _settle(self, tasks: set[asyncio.Task[Any]], acked: set[bytes]) -> str:
        """Wait for the publishes; a problem if the connection is lost or no PubAck arrives
        for `timeout` seconds. Outstanding publishes are cancelled."""
        lost = asyncio.create_task(self._lost.wait())
        problem = ""
        loop = asyncio.get_running_loop()
        progress_at, count = loop.time(), len(acked)
        try:
            while tasks:
                left = progress_at + self.timeout - loop.time()
                if left <= 0:  # failed publishes are no progress either
                    problem = f"no acknowledgement for {self.timeout:g} s"
                    break
                done, tasks = await asyncio.wait(
                    tasks | {lost}, timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
                tasks.discard(lost)
                if lost in done:
                    problem = f"connection lost ({self._lost_reason})"
                    break
                if len(acked) > count:
                    progress_at, count = loop.time(), len(acked)
        finally:
            lost.cancel()
            # nats-py swallows a cancel inside its flush and goes on to wait for the
            # reply: cancel again until every publish has ended (a few rounds at most).
            for _ in range(5):
                if not tasks:
                    break
                for task in tasks:
                    task.cancel()
                _, tasks = await asyncio.wait(tasks, timeout=0.05)
        return problem

    async def close(self, abort: bool = False) -> None:
        """Close the connection; `abort`: it failed, so drop the socket at once rather
        than flush into a connection that is dead or hung."""
        nc, self._nc, self._js = self._nc, None, None
        if nc is None:
            return
        if abort:
            _abort_socket(nc)
        bound = 0.5 if abort else self.timeout
        # Closing a broken connection must not raise over the error that broke it, nor
        # wait for ever flushing into a dead socket. (Not wait_for: it would wait for
        # the cancelled close, and nats-py swallows cancels.)
        closing = asyncio.ensure_future(nc.close())
        done, _ = await asyncio.wait({closing}, timeout=bound)
        if not done:
            _abort_socket(nc)
            closing.cancel()
        elif not closing.cancelled():
            closing.exception()  # retrieved: a failed close is no news


def _abort_socket(nc: Any) -> None:
    """Drop nats-py's TCP connection without flushing: a graceful close of a socket whose
    peer stopped reading waits for ever. (Reaches into nats-py's TcpTransport, whose
    StreamWriter has the asyncio transport; anything missing means nothing to abort.)"""
    writer = getattr(getattr(nc, "_transport", None), "_io_writer", None)
    transport = getattr(writer, "transport", None)
    if transport is not None:
        with contextlib.suppress(Exception):
            transport.abort()


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    if isinstance(error, TimeoutError | asyncio.TimeoutError) or name == "TimeoutError":
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return text if text and text != name else name
