"""Records: deterministic CBOR, COSE signing, encryption to the central key, the SQLite
outbox, the forwarder and its transports, and verification for the central side.

Named `outbox`, not `queue`, so that it never shadows the standard library's `queue`.
"""


class OutboxError(Exception):
    """Base class of outbox errors; the message says what to do."""
