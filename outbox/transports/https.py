"""`https`: batch POST with mutual TLS.

The body is a CBOR array of COSE_Sign1 records (each one `application/cose`), sent as
`Content-Type: application/cose` with the parameter `batch=array`. The reply is JSON:
`{"results": [{"id": "<hex>", "status": "stored" | "duplicate" | "rejected",
"reason": "..."}]}`; stored and duplicate count as acknowledged.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import ssl
from typing import Any
from urllib.parse import urlsplit

from outbox import cbor
from outbox.errors import TransportError
from outbox.store import Pending

CONTENT_TYPE = "application/cose; batch=array"


class HttpsTransport:
    name = "https"

    def __init__(self, settings: dict[str, Any]) -> None:
        url = urlsplit(settings["url"])
        if url.scheme != "https" or not url.hostname:
            raise TransportError(f"https transport needs an https:// URL, not {settings['url']!r}")
        self.host, self.port = url.hostname, url.port or 443
        self.path = url.path or "/"
        self.timeout = float(settings.get("timeout", 30))
        context = ssl.create_default_context(cafile=settings.get("ca"))
        if settings.get("cert"):
            context.load_cert_chain(settings["cert"], settings.get("key"))
        self.context = context

    async def connect(self) -> None:
        return None

    async def send(self, batch: list[Pending]) -> set[bytes]:
        return await asyncio.to_thread(self._post, batch)

    def _post(self, batch: list[Pending]) -> set[bytes]:
        body = cbor.encode([record.data for record in batch])
        connection = http.client.HTTPSConnection(
            self.host, self.port, context=self.context, timeout=self.timeout
        )
        try:
            connection.request("POST", self.path, body, {"Content-Type": CONTENT_TYPE})
            response = connection.getresponse()
            reply = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"{self.host}:{self.port}: {exc}") from None
        finally:
            connection.close()
        if response.status != 200:
            raise TransportError(f"{self.host}:{self.port} answered HTTP {response.status}")
        try:
            results = json.loads(reply)["results"]
            return {
                bytes.fromhex(item["id"])
                for item in results
                if item.get("status") in ("stored", "duplicate")
            }
        except (ValueError, KeyError, TypeError):
            raise TransportError("the central side's reply is not the expected JSON") from None

    async def close(self) -> None:
        return None
