"""`kiosk verify`: central-side verification of sealed records (built in issue #6)."""

from __future__ import annotations

import argparse

from kiosk.commands import Subparsers, not_available


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="central-side verification of sealed records (not available yet)"
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=not_available("kiosk verify", "issue #6"))
