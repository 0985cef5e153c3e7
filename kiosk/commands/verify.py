"""`kiosk verify PATH ... --keys DIR [--central-key FILE] [--state FILE] [--json]`: the
central side. DIR holds enrolments (`kiosk provision show --enrolment FILE`)."""

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
            "Check each record against the enrolment of its key (the kiosk, post and time "
            "it is enrolled for), decrypt with the central key, and report gaps, duplicates, "
            "broken chains and tampering. Exit status 1 when anything is wrong."
        ),
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help=".cose files, directories, nats://HOST:PORT/STREAM"
    )
    parser.add_argument(
        "--keys",
        type=Path,
        required=True,
        help="directory of enrolments (*.json); a bare <kiosk id>.pem is enrolled for that kiosk",
    )
    parser.add_argument("--central-key", type=Path, help="central private key (to decrypt)")
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="remember each kiosk's last verified seq and hash here, and continue from it",
    )
    parser.add_argument("--json", action="store_true", help="JSON Lines: records, then kiosks")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from outbox.keys import load_central_private
    from outbox.verify import load_registry, load_state, read_sources, save_state, verify

    registry = load_registry(args.keys)
    central = load_central_private(args.central_key) if args.central_key else None
    state = load_state(args.state) if args.state else {}
    records, kiosks = verify(read_sources(args.paths), registry, central, state)
    bad = [r for r in records if r.problems]
    if args.state:
        for kiosk in kiosks:
            if kiosk.state is not None:
                state[kiosk.kiosk] = kiosk.state
        save_state(args.state, state)
    if args.json:
        for record in records:
            print(json.dumps({"record": record.to_dict()}))
        for kiosk in kiosks:
            print(json.dumps({"kiosk": kiosk.to_dict()}))
    else:
        for record in bad:
            print(f"{record.status.upper()}  {record.where}: {'; '.join(record.problems)}")
        for kiosk in kiosks:
            verdict = "ok" if kiosk.ok else "PROBLEMS"
            resumed = f" (continuing from seq {kiosk.resumed_from})" if kiosk.resumed_from else ""
            print(
                f"kiosk {kiosk.kiosk}: {kiosk.records} records, seq {kiosk.first_seq}.."
                f"{kiosk.last_seq}{resumed}: {verdict}"
            )
            if kiosk.earlier:
                print(f"  already verified before: {len(kiosk.earlier)} record(s)")
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
