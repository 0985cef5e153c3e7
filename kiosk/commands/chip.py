"""`kiosk chip read`: read and authenticate a passport chip on a PC/SC reader (issue #17).

Argument handling and printing only; the read itself is `kiosk.chip.read_document`. Exit 1
when the chip is not genuine or could not be read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from kiosk import KioskError, UsageError
from kiosk.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("chip", help="read and authenticate a passport chip")
    actions = parser.add_subparsers(dest="chip_command", metavar="ACTION")
    actions.required = True
    read = actions.add_parser(
        "read",
        help="read the chip with keys from the MRZ or a CAN; every check with its reason",
        description="Open the chip (PACE, else BAC), read its data groups, run passive, chip "
        "and active authentication. Exit 1 when the chip is not genuine or not read.",
    )
    read.add_argument("--reader", metavar="NAME", help="PC/SC reader (default: the first one)")
    keys = read.add_mutually_exclusive_group(required=True)
    keys.add_argument("--mrz", nargs="+", metavar="LINE", help="the printed MRZ lines")
    keys.add_argument("--can", metavar="CAN", help="the card access number on the data page")
    read.add_argument("--json", action="store_true", help="one JSON object")
    read.add_argument("--portrait", type=Path, metavar="FILE", help="write the chip portrait")
    read.add_argument(
        "--trust",
        type=Path,
        metavar="DIR",
        help="CSCA trust store (default: STATE_DIR/csca, filled by 'kiosk provision csca')",
    )
    read.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card")
    read.set_defaults(func=run_read)


def default_trust_dir() -> Path:
    """STATE_DIR/csca, STATE_DIR from $KIOSK_STATE_DIR or the configuration."""
    if "KIOSK_STATE_DIR" in os.environ:
        return Path(os.environ["KIOSK_STATE_DIR"]) / "csca"
    from kiosk import config

    if not config.default_path().exists():
        raise KioskError(
            f"no trust store: {config.default_path()} does not exist; pass --trust DIR or set "
            "KIOSK_STATE_DIR (a provisioned kiosk keeps it in STATE_DIR/csca)"
        )
    return config.load(None).state_dir / "csca"


def _key(args: argparse.Namespace) -> tuple[Any, Any]:
    """The emrtd access key and the parsed printed MRZ (None with --can)."""
    from emrtd import EMRTDError
    from emrtd.keys import CANKey
    from kiosk.chip import mrz_key

    try:
        if args.can is not None:
            return CANKey(args.can.strip()), None
        import mrz

        printed = mrz.parse(args.mrz)
        return mrz_key(printed), printed
    except EMRTDError as exc:
        raise UsageError(f"--mrz/--can: {exc}") from None


def _reader(name: str | None) -> Any:
    from drivers.pcsc import PCSCReader, list_readers

    readers = list_readers()
    if name is None:
        if not readers:
            raise KioskError("no PC/SC reader found: plug the chip reader in (is pcscd running?)")
        name = readers[0]
    elif name not in readers:
        raise KioskError(
            f"no PC/SC reader named {name!r} (readers: {', '.join(readers) or 'none'})"
        )
    return PCSCReader(name)


def _write_portrait(path: Path, face: Any) -> None:
    suffix = path.suffix.lower()
    if (suffix in (".jpg", ".jpeg") and face.mime == "image/jpeg") or (
        suffix in (".jp2", ".j2k") and face.mime == "image/jp2"
    ):
        path.write_bytes(face.data)
        return
    face.decode().convert("RGB").save(path)


def run_read(args: argparse.Namespace) -> int:
    from emrtd.trust import TrustStore
    from kiosk.chip import GENUINE, read_document

    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.portrait is not None and not args.portrait.parent.is_dir():
        raise UsageError(f"--portrait: directory {args.portrait.parent} does not exist")
    key, printed = _key(args)
    trust_dir = args.trust or default_trust_dir()
    trust = TrustStore.load(trust_dir) if trust_dir.is_dir() else TrustStore()
    outcome = read_document(
        _reader(args.reader),
        key,
        trust=trust,
        printed=printed,
        timeout=args.timeout,
        on_retry=lambda message: print(f"kiosk: {message}", file=sys.stderr),
    )
    if outcome.report is None:
        print(json.dumps(outcome.to_json()) if args.json else outcome.line)
        return 1
    result = outcome.to_json()
    if args.portrait is not None and outcome.report.faces:
        _write_portrait(args.portrait, outcome.report.faces[0])
        result["portrait"] = str(args.portrait)
    result["trust_store"] = str(trust_dir)
    if args.json:
        print(json.dumps(result))
    else:
        _print_text(result)
    return 0 if outcome.state == GENUINE else 1


def _print_text(result: dict[str, Any]) -> None:
    verdict = result["verdict"]
    print(f"chip: {verdict}" + (f" ({result['reason']})" if result["reason"] else ""))
    print(f"access: {result['access']}")
    print(f"data groups: {' '.join(result['data_groups'])}")
    for line in result["dg1_lines"]:
        print(f"DG1: {line}")
    if "dg1_differences" in result:
        diffs = result["dg1_differences"]
        print("DG1 vs printed MRZ: " + ("identical" if not diffs else "; ".join(diffs)))
    for face in result["faces"]:
        print(f"DG2: {face['mime']} {face['width']}x{face['height']}, {face['bytes']} bytes")
    if "portrait" in result:
        print(f"portrait written to {result['portrait']}")
    for check in result["checks"]:
        print(f"  {check['status']:<7} {check['name']:<22} {check['reason']}")
    for problem in result["problems"]:
        print(f"  problem: {problem}")
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in result["timings_ms"].items())
    print(f"timings: {timings} (card {result['card_ms']:.0f} ms, {result['apdus']} APDUs)")
