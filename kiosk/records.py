"""Glue from the configuration to the outbox: who seals, where, and how to forward."""

from __future__ import annotations

from typing import Any

from kiosk.config import Config
from outbox.forward import Forwarder
from outbox.keys import load_central_public, load_signing_key
from outbox.store import Identity, Outbox
from outbox.transports import open_transport


def open_outbox(config: Config) -> Outbox:
    return Outbox(
        config.outbox_path,
        quota_bytes=int(config.get("outbox", "quota_mb", 2048)) * 1024**2,
        reserve_bytes=int(config.get("outbox", "reserve_mb", 64)) * 1024**2,
    )


def identity(config: Config) -> Identity:
    return Identity(
        kiosk=config.kiosk_id,
        post=config.post,
        signing_key=load_signing_key(config.signing_key),
        central=load_central_public(config.central_public_key),
    )


class OutboxSealer:
    """The pipeline's `Sealer`: seal through the outbox with this kiosk's identity."""

    def __init__(self, config: Config) -> None:
        self.outbox = open_outbox(config)
        self.identity = identity(config)

    def __call__(
        self, record_type: str, officer_id: str, direction: str, body: dict[str, Any]
    ) -> str:
        sealed = self.outbox.seal(self.identity, record_type, officer_id, direction, body)
        return sealed.record_id.hex()


def forwarder(config: Config, outbox: Outbox) -> Forwarder:
    name = str(config.get("forward", "transport"))
    transport = open_transport(
        name, config.section(f"forward.{name}"), config.kiosk_id, config.post
    )
    return Forwarder(
        outbox,
        transport,
        batch_size=int(config.get("forward", "batch", 200)),
        retention_seconds=int(config.get("outbox", "retention_days", 30)) * 86400,
    )
