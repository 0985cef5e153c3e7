"""`kiosk verify PATH ... --keys DIR [--central-key FILE] [--state FILE] [--json]`: the
central side. DIR holds enrolments (`kiosk provision show --enrolment FILE`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

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
    parser.add_argument(
        "--expect-complete",
        action="store_true",
        help="compare with each kiosk's newest heartbeat (its last sealed seq): records "
        "sealed but missing here, or no heartbeat at all, are problems",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes that check records side by side in large batches (default 1; 0: one "
        "per CPU; worth it only where cores are free)",
    )
    nats = parser.add_argument_group("for nats:// and tls:// sources")
    nats.add_argument("--nats-ca", metavar="PEM", help="CA certificate(s) of the NATS servers")
    nats.add_argument("--nats-cert", metavar="PEM", help="client certificate (mutual TLS)")
    nats.add_argument("--nats-key", metavar="PEM", help="the client certificate's key")
    nats.add_argument("--nats-creds", metavar="FILE", help="NATS credentials (.creds) file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from outbox.heartbeat import Diverted, check_tails
    from outbox.keys import load_central_private
    from outbox.verify import load_registry, load_state, read_sources, save_state, verify

    registry = load_registry(args.keys)
    central = load_central_private(args.central_key) if args.central_key else None
    nats = {
        "ca": args.nats_ca,
        "cert": args.nats_cert,
        "key": args.nats_key,
        "credentials": args.nats_creds,
    }
    sources = Diverted(
        read_sources(args.paths, {k: v for k, v in nats.items() if v}), note_hashes=False
    )
    state = load_state(args.state) if args.state else {}
    records, kiosks = verify(sources, registry, central, state, workers=args.workers)
    hashes: dict[str, dict[int, bytes]] = {}
    for record in records:  # every readable record, trusted or not, as the heartbeats see
        if record.kiosk is not None and record.seq is not None and record.record_hash:
            hashes.setdefault(record.kiosk, {})[record.seq] = record.record_hash
    arrived = {k.kiosk: (k.last_seq, hashes.get(k.kiosk, {})) for k in kiosks}
    tails, bad_beats = check_tails(sources.heartbeats, registry.get, arrived, registry.refusal)
    if not args.expect_complete:  # only what the heartbeats prove wrong counts then
        for tail in tails:
            tail.missing = None
            tail.problems = [p for p in tail.problems or [] if "chain hash" in p]
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
        for tail in tails:
            print(json.dumps({"tail": tail.to_dict()}))
        for line in bad_beats:
            print(json.dumps({"heartbeat_problem": line}))
    else:
        for record in bad:
            print(f"{record.status.upper()}  {record.where}: {'; '.join(record.problems)}")
        header_only: dict[str, int] = {}
        for record in records:
            if record.has_body is False and record.kiosk is not None and not record.problems:
                header_only[record.kiosk] = header_only.get(record.kiosk, 0) + 1
        for kiosk in kiosks:
            verdict = "ok" if kiosk.ok else "PROBLEMS"
            resumed = f" (continuing from seq {kiosk.resumed_from})" if kiosk.resumed_from else ""
            print(
                f"kiosk {kiosk.kiosk}: {kiosk.records} records, seq {kiosk.first_seq}.."
                f"{kiosk.last_seq}{resumed}: {verdict}"
            )
            if header_only.get(kiosk.kiosk):
                print(
                    f"  header only: {header_only[kiosk.kiosk]} record(s) without their body "
                    "(dropped after delivery): signature, seq and chain checked"
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
        _print_tails(tails, bad_beats)
    tails_ok = all(not t.missing and not t.problems for t in tails) and not bad_beats
    ok = not bad and all(k.ok for k in kiosks) and tails_ok
    return 0 if ok else 1


def _print_tails(tails: list[Any], bad_beats: list[str]) -> None:
    import datetime as dt

    for tail in tails:
        beat = tail.heartbeat
        if beat is not None:
            at = dt.datetime.fromtimestamp(beat.time_ms / 1000, dt.UTC)
            print(
                f"kiosk {tail.kiosk}: heartbeat {at:%Y-%m-%d %H:%M:%S} UTC: last sealed seq "
                f"{beat.last_seq}, {beat.pending} pending at the kiosk then"
            )
        if tail.missing:
            first, last = tail.missing
            print(f"  missing tail: seq {first}..{last} sealed at the kiosk but not here")
        for problem in tail.problems or []:
            print(f"  {tail.kiosk}: {problem}")
    for line in bad_beats:
        print(f"HEARTBEAT  {line}")
