"""`kiosk run`: the officer UI; --sim runs it on emulated devices (built in issue #7)."""

from __future__ import annotations

import argparse

from kiosk.commands import Subparsers, not_available


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="the officer UI; --sim runs it on emulated devices (not available yet)"
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=not_available("kiosk run", "issue #7"))
