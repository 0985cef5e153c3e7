"""`kiosk devices`: discover devices and test one (built in issue #4)."""

from __future__ import annotations

import argparse

from kiosk.commands import Subparsers, not_available


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "devices", help="discover devices and test one (not available yet)"
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=not_available("kiosk devices", "issue #4"))
