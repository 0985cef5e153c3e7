"""The outbox package's errors: one base class, a few kinds a caller may tell apart."""


class OutboxError(Exception):
    """Base class of outbox errors; the message says what to do."""


class RecordError(OutboxError):
    """A record that does not decode, verify or decrypt."""


class OutboxFull(OutboxError):
    """Sealing refused: the quota or the disk's reserve would be exceeded."""


class TransportError(OutboxError):
    """The link or the central side did not acknowledge; the records stay pending.

    `acknowledged` holds the ids the other side did acknowledge before the failure, so
    the forwarder can mark those delivered and report one line.
    """

    def __init__(self, message: str, acknowledged: frozenset[bytes] = frozenset()) -> None:
        super().__init__(message)
        self.acknowledged = acknowledged
