"""The alerts package's errors: one base class, a few kinds a caller may tell apart."""


class AlertsError(Exception):
    """Base class of alerts errors; the message says what to do."""


class ListError(AlertsError):
    """A list (CSV, delta or stored) that is malformed: the message names the row."""


class UpdateError(AlertsError):
    """An update that was refused (bad signature, rollback, expired, tampered, unreachable);
    the list in use stays as it was."""
