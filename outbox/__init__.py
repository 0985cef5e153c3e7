"""Records: deterministic CBOR, COSE signing, encryption to the central key, the SQLite
outbox, the forwarder and its transports, and verification for the central side.

Named `outbox`, not `queue`, so that it never shadows the standard library's `queue`.
"""

from outbox.errors import OutboxError, OutboxFull, RecordError, TransportError

__all__ = ["OutboxError", "OutboxFull", "RecordError", "TransportError"]
