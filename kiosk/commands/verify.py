"""`kiosk verify PATH ... --keys DIR [--central-key FILE] [--json]`: the central side."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kiosk.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="central-side verification of sealed records",
        description=(
            "Check signatures against registered kiosk keys, decrypt with the central key, "
            "and report gaps, duplicates, broken chains and tampering. Exit status 1 when "
            "anything is wrong."
        ),
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help=".cose files, directories, nats://HOST:PORT/STREAM"
    )
    parser.add_argument("--keys", type=Path, required=True, help="directory of kiosk *.pem keys")
    parser.add_argument("--central-key", type=Path, help="central private key (to decrypt)")
    parser.add_argument("--json", action="store_true", help="JSON Lines: records, then kiosks")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from outbox.keys import load_central_private
    from outbox.verify import load_registry, read_sources, verify

    registry = load_registry(args.keys)
    central = load_central_private(args.central_key) if args.central_key else None
    records, kiosks = verify(read_sources(args.paths), registry, central)
    bad = [r for r in records if r.problems]
    if args.json:
        for record in records:
            print(json.dumps({"record": record.to_dict()}))
        for kiosk in kiosks:
            print(json.dumps({"kiosk": kiosk.to_dict()}))
    else:
        for record in bad:
            print(f"TAMPERED  {record.where}: {'; '.join(record.problems)}")
        for kiosk in kiosks:
            verdict = "ok" if kiosk.ok else "PROBLEMS"
            print(
                f"kiosk {kiosk.kiosk}: {kiosk.records} records, seq {kiosk.first_seq}.."
                f"{kiosk.last_seq}: {verdict}"
            )
            for first, last in kiosk.gaps:
                print(f"  gap: seq {first}..{last} missing")
            for name, ids in (
                ("duplicate delivery", kiosk.duplicates),
                ("conflicting records for one seq", kiosk.conflicts),
                ("chain broken at", kiosk.chain_breaks),
            ):
                for record_id in ids:
                    print(f"  {name}: {record_id}")
    ok = not bad and all(k.ok for k in kiosks)
    return 0 if ok else 1
