"""One module per `kiosk` command group; each exposes `register(subparsers)`."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk import NotAvailable

Subparsers = Any  # argparse's _SubParsersAction is private; this alias documents intent.


def not_available(command: str, issue: str) -> Any:
    """Handler for a command in the contract that is not built yet: say so, exit 2."""

    def handler(args: argparse.Namespace) -> int:
        raise NotAvailable(f"'{command}' is not available yet ({issue})")

    return handler
