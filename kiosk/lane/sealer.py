"""Glue from the configuration to the outbox: who seals, where, and how to forward."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from kiosk.config import Config
from outbox.errors import OutboxError
from outbox.store import Identity, Outbox

if TYPE_CHECKING:  # the forwarder's modules (asyncio, transports) only for `kiosk forward`
    from outbox.forward import Forwarder

log = logging.getLogger(__name__)


def open_outbox(config: Config) -> Outbox:
    return Outbox(
        config.outbox_path,
        quota_bytes=int(config.get("outbox", "quota_mb", 2048)) * 1024**2,
        reserve_bytes=int(config.get("outbox", "reserve_mb", 64)) * 1024**2,
    )


def identity(config: Config) -> Identity:
    from outbox.keys import load_central_public, load_signer

    return Identity(
        kiosk=config.kiosk_id,
        post=config.post,
        signing_key=load_signer(config.signing_key_spec),
        central=load_central_public(config.central_public_key),
    )


class OutboxSealer:
    """The pipeline's `Sealer`: seal through the outbox with this kiosk's identity.

    Traveller records are sealed by the caller's thread (the UI calls `decide` from a
    worker and shows "saved" only when it returns). Audit events come from the UI's event
    loop (login, override, lane switch): they are handed, in order, to one writer thread,
    so an fsync never stalls the screen. `close()` waits for every queued event.
    """

    def __init__(self, config: Config) -> None:
        self.outbox = open_outbox(config)
        self.identity = identity(config)
        self._audits: queue.Queue[tuple[str, str, dict[str, Any]] | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_audits, name="audit-writer", daemon=True)
        self._writer.start()

    def __call__(
        self, record_type: str, officer_id: str, direction: str, body: dict[str, Any]
    ) -> str:
        if record_type == "audit":
            self._audits.put((officer_id, direction, {**body, "at_ms": time.time_ns() // 10**6}))
            return ""
        sealed = self.outbox.seal(self.identity, record_type, officer_id, direction, body)
        return str(uuid.UUID(bytes=sealed.record_id))  # as `outbox list` and `verify` say it

    def _write_audits(self) -> None:
        while True:
            item = self._audits.get()
            try:
                if item is None:
                    return
                officer_id, direction, body = item
                self.outbox.seal(self.identity, "audit", officer_id, direction, body)
            except OutboxError as exc:  # for the journal; the UI keeps working
                log.error("audit event not sealed: %s", exc)
            finally:
                self._audits.task_done()

    def flush(self) -> None:
        """Wait until every audit event queued so far is sealed."""
        self._audits.join()

    def close(self) -> None:
        """Seal what is queued, then stop the writer thread."""
        self._audits.put(None)
        self._writer.join()


def forwarder(config: Config, outbox: Outbox) -> Forwarder:
    from outbox.forward import Forwarder
    from outbox.heartbeat import Signer
    from outbox.keys import kid, load_signer
    from outbox.transports import open_transport

    name = str(config.get("forward", "transport"))
    transport = open_transport(
        name, config.section(f"forward.{name}"), config.kiosk_id, config.post
    )
    try:
        key = load_signer(config.signing_key_spec)
        heartbeat: Signer | None = Signer(config.kiosk_id, config.post, key, kid(key.public_key()))
    except OutboxError as exc:
        log.warning("no heartbeats (the central side cannot see the newest seq): %s", exc)
        heartbeat = None
    return Forwarder(
        outbox,
        transport,
        batch_size=int(config.get("forward", "batch", 200)),
        retention_seconds=int(config.get("outbox", "retention_days", 30)) * 86400,
        heartbeat=heartbeat,
    )
