"""`kiosk biometrics`: face and fingerprint quality of images (built in issue #5)."""

from __future__ import annotations

import argparse

from kiosk.commands import Subparsers, not_available


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "biometrics", help="face and fingerprint quality of images (not available yet)"
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=not_available("kiosk biometrics", "issue #5"))
