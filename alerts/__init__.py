"""Alert lists: the local store, document and name matching, signed (TUF) updates.

A library: it imports no application and no other library. The kiosk parses the MRZ and
hands the fields to `Matcher.check`; `alerts.update` keeps the store current from a TUF
repository that `alerts.publish` builds centrally.
"""

from alerts.entries import Entry, Traveller
from alerts.errors import AlertsError, ListError, UpdateError
from alerts.match import Hit, Matcher, Thresholds
from alerts.store import Store, StoreStatus

__all__ = [
    "AlertsError",
    "Entry",
    "Hit",
    "ListError",
    "Matcher",
    "Store",
    "StoreStatus",
    "Thresholds",
    "Traveller",
    "UpdateError",
]
