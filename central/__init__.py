"""The central side's intake: consume the hub stream, verify each record, store it in
PostgreSQL exactly once (`kiosk central intake|status`), and the NATS topology it reads
from (a leaf node per post, a hub cluster sourcing from them: `kiosk central nats-config`).

An application beside `kiosk`: it may import `outbox` (to verify records), and no library
imports it.
"""


class CentralError(Exception):
    """Anything the central intake cannot do, with a message an operator can act on."""


__all__ = ["CentralError"]
