"""`kiosk outbox`: what is waiting and what was delivered (built in issue #6)."""

from __future__ import annotations

import argparse

from kiosk.commands import Subparsers, not_available


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "outbox", help="what is waiting and what was delivered (not available yet)"
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=not_available("kiosk outbox", "issue #6"))
