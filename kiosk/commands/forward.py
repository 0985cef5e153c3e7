"""`kiosk forward`: the forwarder daemon (built in issue #6)."""

from __future__ import annotations

import argparse

from kiosk.commands import Subparsers, not_available


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("forward", help="the forwarder daemon (not available yet)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=not_available("kiosk forward", "issue #6"))
