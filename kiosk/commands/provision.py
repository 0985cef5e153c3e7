"""`kiosk provision`: set a kiosk up (technicians). Issue #8."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.commands import Subparsers, not_available


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("provision", help="keys, configuration, officers, units")
    actions = parser.add_subparsers(dest="provision_command", metavar="ACTION")
    actions.required = True

    units = actions.add_parser(
        "install-units",
        help="install systemd units, udev rules, sysusers and tmpfiles snippets",
        description=(
            "Write the service units (with the path of this kiosk command), udev rules and "
            "sysusers/tmpfiles snippets under ROOT (default /). Then, on a live system: "
            "systemd-sysusers; systemd-tmpfiles --create; udevadm control --reload; "
            "systemctl daemon-reload."
        ),
    )
    units.add_argument("--root", type=Path, default=Path("/"), help="install under this root")
    units.add_argument("--kiosk-bin", help="path of the installed kiosk command")
    units.set_defaults(func=run_install_units)

    for name in ("init", "show", "check", "rotate-key", "officer"):
        pending = actions.add_parser(name, help=f"{name} (not available yet)")
        pending.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        pending.set_defaults(func=not_available(f"kiosk provision {name}", "issue #8"))


def run_install_units(args: argparse.Namespace) -> int:
    from kiosk.units import default_kiosk_bin, install_units

    for path in install_units(args.root, args.kiosk_bin or default_kiosk_bin()):
        print(path)
    return 0
