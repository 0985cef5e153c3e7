"""`kiosk outbox status|list|export|inject|verify-chain`: what is waiting, what was
delivered, and whether the chain the outbox keeps is whole."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from kiosk.commands import Subparsers


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="configuration file (default $KIOSK_CONFIG or /etc/border-kiosk/kiosk.toml)",
    )


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("outbox", help="what is waiting, what was delivered")
    actions = parser.add_subparsers(dest="outbox_command", metavar="ACTION")
    actions.required = True

    status = actions.add_parser("status", help="backlog and link figures")
    status.add_argument("--json", action="store_true")
    listing = actions.add_parser("list", help="records with their state")
    listing.add_argument("--state", choices=["pending", "delivered"])
    listing.add_argument("--limit", type=int, default=50, help="newest N (default 50; 0: all)")
    listing.add_argument("--json", action="store_true")
    export = actions.add_parser("export", help="copy records as .cose files into a directory")
    export.add_argument("directory", type=Path)
    export.add_argument("--state", choices=["pending", "delivered"])
    export.add_argument("--json", action="store_true")
    inject = actions.add_parser("inject", help="seal synthetic records of type 'test'")
    inject.add_argument("--count", type=int, default=1)
    inject.add_argument("--size", type=int, default=1024, help="body size in bytes")
    inject.add_argument("--json", action="store_true")
    chain = actions.add_parser(
        "verify-chain",
        help="check signatures, seq and links of every record kept, bodies or not",
        description=(
            "Check the chain this outbox keeps: every record's signature, its seq and its "
            "link to the record before, and each body still there against its signed hash "
            "(bodies of delivered records are dropped after the retention; their headers "
            "stay). Says what it checked; one line per gap, broken link or bad signature, "
            "and exit status 1 then."
        ),
    )
    chain.add_argument(
        "--keys",
        type=Path,
        metavar="DIR",
        help="enrolments to check signatures with (default: this kiosk's key and the "
        "enrolments it keeps)",
    )
    chain.add_argument(
        "--outbox", type=Path, metavar="FILE", help="an outbox file (default: the configured one)"
    )
    chain.add_argument("--json", action="store_true")
    for command in (status, listing, export, inject, chain):
        add_config_option(command)
        command.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kiosk import UsageError, config
    from kiosk.lane.sealer import identity, open_outbox

    if args.outbox_command == "verify-chain":
        return verify_chain(args)
    cfg = config.load(args.config)
    with open_outbox(cfg) as outbox:
        if args.outbox_command == "status":
            figures = outbox.status().to_dict()
            if args.json:
                print(json.dumps(figures))
            else:
                age = figures["oldest_pending_age_s"]
                print(f"pending     {figures['pending']} records, {figures['pending_bytes']} bytes")
                print(f"oldest      {_age(age) if age is not None else '-'}")
                print(
                    f"delivered   {figures['delivered']} ({figures['header_only']} of them "
                    "header only: bodies dropped after the retention)"
                )
                print(f"last seq    {figures['last_seq']}")
                print(f"link        {_link(figures)}")
        elif args.outbox_command == "list":
            for seq, record_id, kind, size, state, sealed_at, delivered_at in outbox.records(
                args.state, args.limit or None
            ):
                row = {
                    "seq": seq,
                    "id": str(uuid.UUID(bytes=record_id)),
                    "type": kind,
                    "size": size,
                    "state": state,
                    "sealed_at": _iso(sealed_at),
                    "delivered_at": _iso(delivered_at) if delivered_at else None,
                }
                if args.json:
                    print(json.dumps(row))
                else:
                    print(
                        f"{seq:>8}  {row['id']}  {kind:<9} {size:>8}  {state:<9} {row['sealed_at']}"
                    )
        elif args.outbox_command == "export":
            from outbox.record import fsync_directory

            args.directory.mkdir(parents=True, exist_ok=True)
            count = 0
            for seq, data in outbox.data(args.state):
                target = args.directory / f"{cfg.kiosk_id}-{seq:012d}.cose"
                temporary = target.with_name("." + target.name + ".tmp")
                temporary.write_bytes(data)
                with temporary.open("rb") as handle:
                    os.fsync(handle.fileno())
                temporary.replace(target)
                count += 1
            fsync_directory(args.directory)
            print(json.dumps({"exported": count}) if args.json else f"exported {count} records")
        elif args.outbox_command == "inject":
            if args.count < 1 or args.size < 0:
                raise UsageError("--count must be at least 1 and --size not negative")
            who = identity(cfg)
            start = time.perf_counter()
            for n in range(args.count):
                outbox.seal(
                    who, "test", "technician", "entry", {"test": n, "pad": os.urandom(args.size)}
                )
            elapsed = time.perf_counter() - start
            result = {"sealed": args.count, "seconds": round(elapsed, 3)}
            if args.json:
                print(json.dumps(result))
            else:
                print(f"sealed {args.count} test records in {elapsed:.2f} s")
    return 0


def verify_chain(args: argparse.Namespace) -> int:
    """`kiosk outbox verify-chain`: the outbox's own chain, bodies or not."""
    from kiosk import config
    from outbox.chain import check_chain
    from outbox.errors import OutboxError
    from outbox.store import Outbox

    # The configuration only for what was not given: a copied outbox file checked with
    # enrolments needs none.
    cfg = config.load(args.config) if args.outbox is None or args.keys is None else None
    path: Path = args.outbox if cfg is None or args.outbox is not None else cfg.outbox_path
    if not path.is_file():
        raise OutboxError(f"{path}: no outbox file there")
    key_for = _chain_keys(cfg, args.keys)
    with Outbox(path) as box:
        report = check_chain(box.chain_rows(), key_for, box.purged_hashes(), box.head())
    if args.json:
        print(json.dumps({"outbox": str(path), **report.to_dict()}))
    else:
        print(f"outbox {path}")
        for line in report.summary():
            print(line)
        for line in report.problems:
            print(line)
        print("chain ok" if report.ok else f"chain has {len(report.problems)} problem(s)")
    return 0 if report.ok else 1


def _chain_keys(cfg: Any, keys: Path | None) -> Any:
    """kid -> public key: the enrolments under --keys, or this kiosk's own key and every
    enrolment it kept (earlier keys, after a rotation)."""
    from outbox.enrolment import load_registry
    from outbox.keys import kid, load_signer

    if keys is not None:
        return load_registry(keys).get
    own = load_signer(cfg.signing_key_spec).public_key()
    own_kid = kid(own)
    kept = cfg.keys_dir / "enrolments"
    registry = load_registry(kept) if kept.is_dir() else None

    def key_for(record_kid: bytes | None) -> Any:
        if record_kid == own_kid:
            return own
        return registry.get(record_kid) if registry is not None else None

    return key_for


def _link(figures: dict[str, Any]) -> str:
    """The link as the forwarder last saw it: state, since when, why, and the last error."""
    state, detail = figures["link"], figures["link_detail"]
    if state == "unknown" or figures["link_since"] is None:
        return f"{state} (the forwarder has not reported yet)"
    text = f"{state} since {_when(figures['link_since'])}"
    text += f" ({detail})" if detail else ""
    text += f"; last seen {_when(figures['link_seen_at'])}"
    if state == "up" and figures["last_error"]:
        text += f"; last error {_when(figures['last_error_at'])}: {figures['last_error']}"
    return text


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    if moment.date() == dt.datetime.now(dt.UTC).date():
        return f"{moment:%H:%M:%S} UTC"
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
