"""The kiosk application: configuration, capture pipeline, UI, CLI and provisioning.

It sits on top of the four libraries (drivers, mrz, biometrics, outbox) and is the only
place where they meet.
"""

__version__ = "0.1.0"


class KioskError(Exception):
    """Base class of the application's errors; the message says what to do."""


class UsageError(KioskError):
    """Wrong arguments: exit status 2, like argparse's own errors."""


class NotAvailable(KioskError):
    """A command in the contract that is not built yet (exit status 2)."""
