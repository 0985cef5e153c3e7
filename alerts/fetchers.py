"""How the kiosk reaches the repository: the links it already has, as TUF fetchers.

TUF verifies everything a fetcher returns, so a fetcher only moves bytes; a missing file
must be `DownloadHTTPError(..., 404)` (TUF stops looking for newer roots at the first one).

- `https://host/path/`: HTTPS with mutual TLS (the kiosk's client certificate),
- `nats://host:port/BUCKET/`: a NATS JetStream object store (names are repository paths),
- `file:///media/usb/alerts/`: a directory, e.g. on removable media.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tuf.api.exceptions import DownloadError, DownloadHTTPError
from tuf.ngclient import FetcherInterface

from alerts.errors import UpdateError

CHUNK = 64 * 1024


class HttpsFetcher(FetcherInterface):
    """GET over HTTPS; the server must present a certificate from `ca`, and the kiosk
    presents `cert`/`key` when given (mutual TLS)."""

    def __init__(
        self, ca: str | None = None, cert: str | None = None, key: str | None = None,
        timeout: float = 30,
    ) -> None:  # fmt: skip
        try:
            context = ssl.create_default_context(cafile=ca)
            if cert:
                context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise UpdateError(f"cannot load the TLS files ({ca}, {cert}, {key}): {exc}") from None
        self.context = context
        self.timeout = timeout

    def _fetch(self, url: str) -> Iterator[bytes]:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise DownloadError(f"{url}: the https transport needs an https:// URL")
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port or 443, context=self.context, timeout=self.timeout
        )
        try:
            connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise DownloadError(f"{parts.hostname}:{parts.port or 443}: {exc}") from None
        if response.status != 200:
            connection.close()
            raise DownloadHTTPError(f"{url}: HTTP {response.status}", response.status)
        return _chunks(response, connection)


def _chunks(
    response: http.client.HTTPResponse, connection: http.client.HTTPConnection
) -> Iterator[bytes]:
    try:
        while chunk := response.read(CHUNK):
            yield chunk
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"download cut off: {exc}") from None
    finally:
        connection.close()


class DirectoryFetcher(FetcherInterface):
    """file:// URLs: a copy of the repository on removable media or a shared folder."""

    def _fetch(self, url: str) -> Iterator[bytes]:
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise DownloadError(f"{url}: the dir transport needs a file:// URL")
        path = Path(unquote(parts.path))
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise DownloadHTTPError(f"{path}: not found", 404) from None
        except OSError as exc:
            raise DownloadError(f"{path}: {exc}") from None
        return iter([data])


class NatsFetcher(FetcherInterface):
    """Objects of a JetStream object store. TUF calls fetchers synchronously, so the NATS
    client runs on an event loop of its own in a thread; `close()` ends both."""

    def __init__(self, credentials: str | None = None, timeout: float = 10) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._client: Any = None
        self._stores: dict[str, Any] = {}

    def _run(self, coro: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(self.timeout + 5)
        except TimeoutError:
            future.cancel()
            raise DownloadError("the NATS server did not answer in time") from None

    async def _get(self, server: str, bucket: str, name: str) -> bytes:
        import nats
        from nats.js.errors import BucketNotFoundError, NotFoundError, ObjectNotFoundError

        if self._client is None:
            options: dict[str, Any] = {
                "connect_timeout": self.timeout,
                "max_reconnect_attempts": 0,
                "allow_reconnect": False,
            }
            if self.credentials:
                options["user_credentials"] = self.credentials
            self._client = await nats.connect(server, **options)
        if bucket not in self._stores:
            try:
                self._stores[bucket] = await self._client.jetstream(
                    timeout=self.timeout
                ).object_store(bucket)
            except (BucketNotFoundError, NotFoundError):
                raise DownloadError(f"{server}: no object store {bucket!r}") from None
        try:
            result = await self._stores[bucket].get(name)
        except (ObjectNotFoundError, NotFoundError):
            raise DownloadHTTPError(f"{bucket}/{name}: not found", 404) from None
        return bytes(result.data or b"")

    def _fetch(self, url: str) -> Iterator[bytes]:
        parts = urlsplit(url)
        bucket, _, name = parts.path.lstrip("/").partition("/")
        if parts.scheme not in ("nats", "tls") or not bucket or not name:
            raise DownloadError(f"{url}: use nats://HOST:PORT/BUCKET/PATH")
        server = f"{parts.scheme}://{parts.netloc}"
        try:
            data = self._run(self._get(server, bucket, unquote(name)))
        except (DownloadError, DownloadHTTPError):
            raise
        except Exception as exc:  # nats-py raises many unrelated types for a dead link
            raise DownloadError(f"{server}: {type(exc).__name__}: {exc}") from None
        return iter([data])

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # closing a dead link: nothing to keep
                self._run(self._client.close())
            self._client = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def make_fetcher(url: str, settings: dict[str, Any]) -> FetcherInterface:
    """The fetcher for a repository URL's scheme, with the [alerts] TLS/NATS settings."""
    scheme = urlsplit(url).scheme
    timeout = float(settings.get("timeout", 30))
    if scheme == "https":
        return HttpsFetcher(settings.get("ca"), settings.get("cert"), settings.get("key"), timeout)
    if scheme in ("nats", "tls"):
        return NatsFetcher(settings.get("credentials"), timeout)
    if scheme == "file":
        return DirectoryFetcher()
    raise UpdateError(f"{url}: use an https://, nats:// or file:// repository URL")


async def upload_to_nats(repo: Path, url: str, credentials: str | None = None) -> int:
    """Mirror a repository directory into a JetStream object store (created if missing):
    every file not there yet, and always timestamp.json. Returns how many were put."""
    import nats
    from nats.js.api import ObjectStoreConfig
    from nats.js.errors import BucketNotFoundError, NotFoundError

    parts = urlsplit(url)
    bucket = parts.path.strip("/")
    if parts.scheme not in ("nats", "tls") or not bucket or "/" in bucket:
        raise UpdateError(f"{url}: use nats://HOST:PORT/BUCKET")
    options: dict[str, Any] = {"connect_timeout": 10, "max_reconnect_attempts": 0}
    if credentials:
        options["user_credentials"] = credentials
    try:
        client = await nats.connect(f"{parts.scheme}://{parts.netloc}", **options)
    except Exception as exc:
        raise UpdateError(f"{parts.netloc}: cannot connect: {exc}") from None
    try:
        js = client.jetstream()
        try:
            store = await js.object_store(bucket)
        except (BucketNotFoundError, NotFoundError):
            store = await js.create_object_store(bucket, ObjectStoreConfig(bucket=bucket))
        present = {info.name for info in await _list(store)}
        count = 0
        for path in sorted(
            p for p in repo.rglob("*") if p.is_file() and not p.name.startswith(".")
        ):
            name = path.relative_to(repo).as_posix()
            if name in present and name != "metadata/timestamp.json":
                continue
            await store.put(name, path.read_bytes())
            count += 1
        return count
    finally:
        await client.close()


async def _list(store: Any) -> list[Any]:
    from nats.js.errors import NotFoundError

    try:
        return list(await store.list())
    except NotFoundError:  # an empty store
        return []
