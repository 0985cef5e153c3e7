"""`https`: batch POST with mutual TLS.

The body is a CBOR array of sealed records as byte strings (docs/record.cddl), sent as
`Content-Type: application/cose` with the parameter `batch=array`. The reply is JSON:
`{"results": [{"id": "<hex>", "status": "stored" | "duplicate" | "rejected",
"reason": "..."}]}`; stored and duplicate count as acknowledged. A reply that names a
record that was not in the batch is a protocol error: it is logged and nothing of the
batch is marked delivered.

The forwarder's heartbeat rides along as a `Kiosk-Status` header (base64url of the signed
status); when idle it is sent with an empty batch.

Deadlines: each socket operation gives up after `timeout` seconds without progress, and
the whole request after `timeout` plus the time the body takes at 64 KiB/s.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from outbox import cbor
from outbox.errors import TransportError
from outbox.heartbeat import HTTP_HEADER, http_header
from outbox.store import Pending
from outbox.transports import run_blocking

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/cose; batch=array"
MIN_RATE = 64 * 1024  # bytes/s a request may take at worst before its deadline


class HttpsTransport:
    name = "https"

    def __init__(self, settings: dict[str, Any]) -> None:
        url = urlsplit(settings["url"])
        if url.scheme != "https" or not url.hostname:
            raise TransportError(f"https transport needs an https:// URL, not {settings['url']!r}")
        self.host, self.port = url.hostname, url.port or 443
        self.path = url.path or "/"
        self.timeout = float(settings.get("timeout", 30))
        try:
            context = ssl.create_default_context(cafile=settings.get("ca"))
            if settings.get("cert"):
                context.load_cert_chain(settings["cert"], settings.get("key"))
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"HTTPS TLS settings (ca, cert, key): {exc}") from None
        self.context = context
        self._status: bytes | None = None  # the heartbeat to send with the next request

    async def connect(self) -> None:
        return None

    async def send(self, batch: list[Pending]) -> set[bytes]:
        body = cbor.encode([record.data for record in batch])
        results = await self._request(body)
        sent = {record.record_id for record in batch}
        acked: set[bytes] = set()
        strangers: list[str] = []
        try:
            for item in results:
                record_id = bytes.fromhex(item["id"]) if item.get("id") else b""
                if item.get("status") in ("stored", "duplicate"):
                    if record_id not in sent:
                        strangers.append(item["id"] or "(no id)")
                    acked.add(record_id)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TransportError("the central side's reply is not the expected JSON") from None
        if strangers:
            log.error(
                "protocol error: %s:%d acknowledged %d record(s) that were not in the batch "
                "(first: %s); nothing of the batch is marked delivered",
                self.host, self.port, len(strangers), strangers[0],
            )  # fmt: skip
            raise TransportError(
                f"protocol error: {self.host}:{self.port} acknowledged records that were not "
                f"sent ({strangers[0]}); nothing marked delivered"
            )
        return acked

    async def send_status(self, data: bytes) -> None:
        """Carried by the next request; when there is none, by an empty batch now."""
        self._status = data
        await self._request(cbor.encode([]))

    async def _request(self, body: bytes) -> list[Any]:
        connection = http.client.HTTPSConnection(
            self.host, self.port, context=self.context, timeout=self.timeout
        )
        headers = {"Content-Type": CONTENT_TYPE}
        if self._status is not None:
            headers[HTTP_HEADER] = http_header(self._status)

        def post() -> tuple[int, bytes]:
            try:
                connection.request("POST", self.path, body, headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                raise TransportError(f"{self.host}:{self.port}: {exc}") from None
            finally:
                connection.close()

        def abort() -> None:
            # Unblocks the thread: its next socket call fails at once.
            if connection.sock is not None:
                with contextlib.suppress(OSError):
                    connection.sock.shutdown(socket.SHUT_RDWR)

        status, reply = await run_blocking(
            post,
            self.timeout + len(body) / MIN_RATE,
            f"HTTPS request to {self.host}:{self.port}",
            on_timeout=abort,
        )
        if status != 200:
            raise TransportError(f"{self.host}:{self.port} answered HTTP {status}")
        self._status = None
        try:
            results = json.loads(reply)["results"]
            if not isinstance(results, list):
                raise TypeError
            return results
        except (ValueError, KeyError, TypeError):
            raise TransportError("the central side's reply is not the expected JSON") from None

    async def close(self) -> None:
        return None
