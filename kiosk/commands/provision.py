"""`kiosk provision`: set a kiosk up (technicians). Issue #8."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from kiosk import KioskError
from kiosk.commands import Subparsers
from kiosk.commands.csca import register as register_csca

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
    units.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the kiosk's configuration, for paths the units must be allowed to write "
        "(the dir transport's media); default: the usual one, if it exists",
    )
    units.set_defaults(func=run_install_units)

    _register_officer(actions)
    register_csca(actions)

    init = actions.add_parser(
        "init",
        help="create keys and configuration; print the enrolment data",
        description="Create the state directory, the kiosk's Ed25519 key and a validated "
        "configuration, then print what the central registry needs (also as a QR code).",
    )
    init.add_argument("--config", type=Path, default=None, help="where to write the TOML")
    init.add_argument("--kiosk-id", required=True)
    init.add_argument("--post", required=True, help="border-post code")
    init.add_argument("--direction", choices=["entry", "exit"], default="entry")
    init.add_argument("--state-dir", type=Path, default=Path(DEFAULT_STATE_DIR))
    init.add_argument("--central-key", type=Path, required=True, help="central public key file")
    init.add_argument("--transport", choices=["nats", "https", "dir"], required=True)
    init.add_argument("--url", help="nats:// or https:// URL of the central side")
    init.add_argument("--dir", help="with --transport dir: the export directory")
    init.add_argument(
        "--device",
        action="append",
        default=[],
        metavar="ROLE=DRIVER:PORT",
        help="bind a device, e.g. mrz=mrz-serial:/dev/ttyUSB0 (roles: mrz, fingerprint, "
        "face_camera, document_camera); repeat for each",
    )
    init.add_argument(
        "--signing-key",
        metavar="PKCS11_URI",
        help="make the signing key inside a PKCS#11 token instead of a key file, e.g. "
        "pkcs11:token=border-kiosk;object=kiosk-signing?module-path=/usr/lib/softhsm/"
        "libsofthsm2.so&pin-source=file:/etc/border-kiosk/token-pin (see docs/deploy.md)",
    )
    init.add_argument("--json", action="store_true")
    init.set_defaults(func=run_init)

    show = actions.add_parser(
        "show",
        help="the enrolment data of this kiosk",
        description="Print the enrolment of the kiosk's current key (kiosk, post, kid, public "
        "key, validity). With --enrolment FILE, write it as a file for the central side's "
        "'kiosk verify --keys DIR'; when FILE is a directory, write every enrolment this "
        "kiosk had (after a rotation: the ended one and the new one).",
    )
    show.add_argument("--config", type=Path, default=None)
    show.add_argument("--enrolment", type=Path, metavar="FILE", help="write the enrolment here")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)

    check = actions.add_parser("check", help="validate configuration, keys, devices, link, clock")
    check.add_argument("--config", type=Path, default=None)
    check.set_defaults(func=run_check)

    central = actions.add_parser(
        "central-key", help="(central side) a new central key pair for record encryption"
    )
    central.add_argument("private", type=Path, help="private key file to create (0600)")
    central.add_argument("public", type=Path, help="public key file to hand to kiosks")
    central.add_argument("--hybrid", action="store_true", help="ML-KEM-768 + X25519")
    central.set_defaults(func=run_central_key)

    rotate = actions.add_parser(
        "rotate-key",
        help="a new signing key; the old key signs an audit record naming the new one",
        description="Make a new signing key. The old key signs an audit record naming the "
        "new one, its enrolment ends, and its private key is deleted. Hand both enrolments "
        "to the central side ('kiosk provision show --enrolment DIR').",
    )
    rotate.add_argument("--config", type=Path, default=None)
    rotate.add_argument(
        "--enrolment", type=Path, metavar="DIR", help="also write both enrolments into DIR"
    )
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(func=run_rotate)

    revoke = actions.add_parser(
        "revoke",
        help="(central side) revoke an enrolled key from a given time",
        description="Mark the key of an enrolment file revoked: records it signed at or "
        "after the time fail 'kiosk verify'.",
    )
    revoke.add_argument("enrolment", type=Path, metavar="FILE", help="the enrolment file")
    revoke.add_argument(
        "--at", metavar="TIME", help="ISO 8601 time with zone, e.g. 2026-12-01T10:00:00Z (now)"
    )
    revoke.set_defaults(func=run_revoke)


def _register_officer(actions: Subparsers) -> None:
    officer = actions.add_parser("officer", help="officer accounts: add, disable, reset PINs")
    officer.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="the kiosk's state directory (default: $KIOSK_STATE_DIR, else the configuration's)",
    )
    officer.add_argument("--config", type=Path, default=None)
    officer.add_argument(
        "--pepper",
        type=Path,
        default=None,
        help="the PIN pepper file (default: the configuration's [keys] pin_pepper)",
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

    pepper = actions.add_parser(
        "pepper",
        help="create the officers' PIN pepper if it is missing",
        description="Create the secret that keys every PIN hash, at the configuration's "
        "[keys] pin_pepper (default: pin-pepper next to the configuration). 'provision "
        "init' makes it; this is for kiosks set up before. Never replace an existing one: "
        "every PIN would stop working.",
    )
    pepper.add_argument("--config", type=Path, default=None)
    pepper.set_defaults(func=run_pepper)


def _read_pin() -> str:
    """Twice at a terminal, once from a pipe (for provisioning scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    pin = getpass.getpass("PIN: ")
    if getpass.getpass("PIN again: ") != pin:
        raise KioskError("the two PINs differ; nothing was changed")
    return pin


def run_officer(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.officers import OfficerStore, Role, load_pepper

    loaded = None
    if args.config or config.default_path().exists():
        loaded = config.load(args.config)
    state_dir = args.state_dir or (
        Path(os.environ["KIOSK_STATE_DIR"])
        if "KIOSK_STATE_DIR" in os.environ
        else config.load(args.config).state_dir
    )
    verb = args.officer_command
    pepper_path = args.pepper or (loaded.pin_pepper if loaded else None)
    if pepper_path is None and verb in ("add", "reset-pin"):
        raise KioskError("setting a PIN needs the PIN pepper: pass --pepper FILE or --config")
    pepper = load_pepper(pepper_path) if pepper_path else None
    store = OfficerStore(state_dir / "officers.db", pepper=pepper)
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


def run_pepper(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.provisioning import make_pepper

    path = config.load(args.config).pin_pepper
    print(f"{path} {'created' if make_pepper(path) else 'exists; left as it is'}")
    return 0


def run_init(args: argparse.Namespace) -> int:
    from kiosk import UsageError, config
    from kiosk.provisioning import InitOptions, init, parse_device, qr_text

    if args.transport == "dir":
        if not args.dir:
            raise UsageError("--transport dir needs --dir PATH")
        settings = {"path": args.dir}
    else:
        if not args.url:
            raise UsageError(f"--transport {args.transport} needs --url")
        settings = {"url": args.url}
    data = init(
        InitOptions(
            config_path=args.config or config.default_path(),
            kiosk_id=args.kiosk_id,
            post=args.post,
            direction=args.direction,
            state_dir=args.state_dir,
            central_key=args.central_key,
            transport=args.transport,
            transport_settings=settings,
            devices=tuple(parse_device(text) for text in args.device),
            signing_key=args.signing_key,
        )
    )
    _print_enrolment(data, args.json, qr_text)
    return 0


def _print_enrolment(data: dict[str, str], as_json: bool, qr: Any) -> None:
    if as_json:
        print(json.dumps(data))
        return
    print(f"kiosk        {data['kiosk']}")
    print(f"post         {data['post']}")
    print(f"kid          {data['kid']}")
    print(f"fingerprint  {data['fingerprint']}")
    print(f"valid from   {data.get('valid_from', 'ever')}")
    if data.get("valid_until"):
        print(f"valid until  {data['valid_until']}")
    print(data["public_key"], end="")
    print(qr(json.dumps({k: data[k] for k in ("kiosk", "post", "kid", "fingerprint")})))


def run_show(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.provisioning import qr_text, show, write_enrolments

    loaded = config.load(args.config)
    if args.enrolment:
        for path in write_enrolments(loaded, args.enrolment):
            print(path)
        return 0
    _print_enrolment(show(loaded), args.json, qr_text)
    return 0


def run_check(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.provisioning import check

    path = args.config or config.default_path()
    problems = check(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{path}: ready")
    return 1 if problems else 0


def run_rotate(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.provisioning import qr_text, rotate_key, write_enrolments

    loaded = config.load(args.config)
    data = rotate_key(loaded)
    written = write_enrolments(loaded, args.enrolment) if args.enrolment else []
    if not args.json:
        print(
            f"old key {data['old_kid']} deleted; its validity ended at "
            f"{data['old_valid_until']} with seq {data['last_seq_old_key']}. Hand both "
            "enrolments to the central side ('kiosk provision show --enrolment DIR'):"
        )
        for path in written:
            print(path)
    _print_enrolment(data, args.json, qr_text)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from kiosk.provisioning import revoke
    from outbox.enrolment import format_time, parse_time
    from outbox.record import now_ms

    at = parse_time(args.at, "--at") if args.at else now_ms()
    enrolment = revoke(args.enrolment, at)
    print(
        f"key {enrolment.kid.hex()} of kiosk {enrolment.kiosk} revoked from {format_time(at)}; "
        f"{args.enrolment} updated"
    )
    return 0


def run_central_key(args: argparse.Namespace) -> int:
    from outbox.keys import generate_central_key

    if args.private.exists():
        raise KioskError(f"{args.private} exists; not overwriting a key")
    generate_central_key(args.private, args.public, hybrid=args.hybrid)
    print(f"private key {args.private} (keep it on the central side), public key {args.public}")
    return 0


def run_install_units(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.units import default_kiosk_bin, install_units

    path = args.config or config.default_path()
    loaded = config.load(path) if args.config or path.exists() else None
    for written in install_units(args.root, args.kiosk_bin or default_kiosk_bin(), config=loaded):
        print(written)
    return 0
