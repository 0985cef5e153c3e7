"""`kiosk provision`: set a kiosk up (technicians). Issue #8."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from kiosk import KioskError
from kiosk.commands import Subparsers, not_available

DEFAULT_STATE_DIR = "/var/lib/border-kiosk"


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

    _register_officer(actions)

    for name in ("init", "show", "check", "rotate-key"):
        pending = actions.add_parser(name, help=f"{name} (not available yet)")
        pending.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        pending.set_defaults(func=not_available(f"kiosk provision {name}", "issue #8"))


def _register_officer(actions: Subparsers) -> None:
    officer = actions.add_parser("officer", help="officer accounts: add, disable, reset PINs")
    officer.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("KIOSK_STATE_DIR", DEFAULT_STATE_DIR)),
        help=f"the kiosk's state directory (default $KIOSK_STATE_DIR or {DEFAULT_STATE_DIR})",
    )
    verbs = officer.add_subparsers(dest="officer_command", metavar="ACTION")
    verbs.required = True
    add = verbs.add_parser("add", help="create an account (the PIN is asked for)")
    add.add_argument("officer_id", metavar="ID")
    add.add_argument("--name", required=True, help="full name shown in the UI")
    add.add_argument("--role", choices=["officer", "technician"], default="officer")
    add.set_defaults(func=run_officer)
    for verb, text in (
        ("disable", "refuse every login of this account"),
        ("enable", "allow logins again"),
        ("reset-pin", "set a new PIN and clear a lockout"),
    ):
        command = verbs.add_parser(verb, help=text)
        command.add_argument("officer_id", metavar="ID")
        command.set_defaults(func=run_officer)
    listing = verbs.add_parser("list", help="every account with its role and state")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_officer)


def _read_pin() -> str:
    """Twice at a terminal, once from a pipe (for provisioning scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    pin = getpass.getpass("PIN: ")
    if getpass.getpass("PIN again: ") != pin:
        raise KioskError("the two PINs differ; nothing was changed")
    return pin


def run_officer(args: argparse.Namespace) -> int:
    from kiosk.officers import OfficerStore, Role

    store = OfficerStore(args.state_dir / "officers.db")
    verb = args.officer_command
    if verb == "list":
        officers = store.list()
        if args.json:
            for officer in officers:
                print(json.dumps(officer.to_dict()))
        else:
            print(f"{'ID':<16} {'ROLE':<11} {'STATE':<9} NAME")
            for officer in officers:
                info = officer.to_dict()
                state = "disabled" if info["disabled"] else "locked" if info["locked"] else "active"
                print(
                    f"{officer.officer_id:<16} {officer.role.value:<11} {state:<9} {officer.name}"
                )
        return 0
    if verb == "add":
        officer = store.add(args.officer_id, args.name, Role(args.role), _read_pin())
        print(f"added {officer.role.value} {officer.officer_id} ({officer.name})")
    elif verb == "disable":
        store.disable(args.officer_id)
        print(f"disabled {args.officer_id}")
    elif verb == "enable":
        store.enable(args.officer_id)
        print(f"enabled {args.officer_id}")
    elif verb == "reset-pin":
        store.reset_pin(args.officer_id, _read_pin())
        print(f"new PIN set for {args.officer_id}")
    return 0


def run_install_units(args: argparse.Namespace) -> int:
    from kiosk.units import default_kiosk_bin, install_units

    for path in install_units(args.root, args.kiosk_bin or default_kiosk_bin()):
        print(path)
    return 0
