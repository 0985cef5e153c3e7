"""`kiosk mrz parse|scan`: MRZ text and images (issues #2 and #3)."""

from __future__ import annotations

import argparse

from kiosk.commands import Subparsers, not_available


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("mrz", help="parse MRZ text, read the MRZ in images")
    mrz_commands = parser.add_subparsers(dest="mrz_command", metavar="ACTION")
    mrz_commands.required = True
    parse = mrz_commands.add_parser("parse", help="parse MRZ text (not available yet)")
    parse.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parse.set_defaults(func=not_available("kiosk mrz parse", "issue #2"))
    scan = mrz_commands.add_parser("scan", help="read the MRZ in images (not available yet)")
    scan.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    scan.set_defaults(func=not_available("kiosk mrz scan", "issue #3"))
