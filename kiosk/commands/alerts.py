"""`kiosk alerts sync|status|check|publish`: alert lists at the kiosk; publishing them
centrally (docs/alerts.md)."""

from __future__ import annotations

import argparse
import json
import logging
import random
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from kiosk.commands import Subparsers
from kiosk.commands.outbox import add_config_option

log = logging.getLogger(__name__)


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("alerts", help="alert lists: sync, status, check, publish")
    actions = parser.add_subparsers(dest="alerts_command", metavar="ACTION")
    actions.required = True

    sync = actions.add_parser("sync", help="update the list from the signed repository")
    sync.add_argument("--once", action="store_true", help="one update, then exit")
    sync.add_argument("--json", action="store_true", help="with --once: the outcome as JSON")
    add_config_option(sync)
    sync.set_defaults(func=run_sync)

    status = actions.add_parser("status", help="version, entries, expiry; exit 1 when stale")
    status.add_argument("--json", action="store_true")
    add_config_option(status)
    status.set_defaults(func=run_status)

    check = actions.add_parser("check", help="check one traveller against the list")
    check.add_argument("--mrz", nargs="+", metavar="LINE", help="the document's MRZ lines")
    check.add_argument("--name", help='"SURNAME, GIVEN NAMES" (any script)')
    check.add_argument("--birth", default="", help="YYYY-MM-DD, YYYY-MM or YYYY")
    check.add_argument("--nationality", default="", help="3-letter code (a hint)")
    check.add_argument("--sex", default="", choices=["", "M", "F", "X"])
    check.add_argument("--document", default="", help="document number")
    check.add_argument("--state", default="", help="issuing state of --document")
    check.add_argument("--json", action="store_true")
    add_config_option(check)
    check.set_defaults(func=run_check)

    publish = actions.add_parser("publish", help="central: sign a list into a TUF repository")
    publish.add_argument("list", nargs="?", type=Path, metavar="LIST.csv")
    publish.add_argument("--repo", type=Path, required=True, help="the repository directory")
    publish.add_argument("--keys", type=Path, required=True, help="directory of the role keys")
    publish.add_argument("--new-keys", action="store_true", help="create the keys first")
    publish.add_argument(
        "--refresh", action="store_true", help="no new list: re-sign snapshot and timestamp"
    )
    publish.add_argument("--demo", action="store_true", help="publish the demo's list")
    publish.add_argument(
        "--timestamp-hours", type=float, default=24, help="timestamp validity (default 24)"
    )
    publish.add_argument("--upload", metavar="nats://HOST:PORT/BUCKET",
                         help="also mirror the repository into a NATS object store")  # fmt: skip
    publish.add_argument("--json", action="store_true")
    publish.set_defaults(func=run_publish)


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from alerts import Store
    from kiosk import config
    from kiosk.alerting import settings

    cfg = config.load(args.config)
    opts = settings(cfg)
    return opts, Store(opts.store)


# -- sync ---------------------------------------------------------------------------------
def run_sync(args: argparse.Namespace) -> int:
    from alerts import UpdateError
    from alerts.fetchers import make_fetcher
    from alerts.update import Client
    from kiosk import KioskError

    opts, store = _open(args)
    if not opts.url:
        raise KioskError(f"{args.config or 'the configuration'}: [alerts] url is not set")
    fetcher = make_fetcher(opts.url, opts.transport)
    client = Client(store, opts.url, opts.root, opts.store.parent / "alerts-tuf", fetcher)
    try:
        if args.once:
            try:
                result = client.sync()
            except UpdateError as exc:
                if args.json:
                    print(json.dumps({"ok": False, "error": str(exc), "version": store.version}))
                print(f"kiosk: error: {exc}; keeping list version {store.version}",
                      file=sys.stderr)  # fmt: skip
                return 1
            if args.json:
                done = {"ok": True, "version": result.version, "how": result.how,
                        "entries": result.entries, "changes": result.changes}  # fmt: skip
                print(json.dumps(done))
            else:
                print(result.line())
            return 0
        return _daemon(client, opts.interval)
    finally:
        close = getattr(fetcher, "close", None)
        if close:
            close()
        store.close()


def _daemon(client: Any, interval: float) -> int:
    """Sync every `interval` seconds (with jitter); after a failure retry sooner, doubling
    up to the interval. SIGTERM ends it between syncs."""
    from alerts import UpdateError

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    retry = 30.0
    while not stop.is_set():
        try:
            log.warning("%s", client.sync().line())
            wait, retry = interval, 30.0
        except UpdateError as exc:
            log.error("%s; keeping list version %s", exc, client.store.version)
            wait, retry = min(retry, interval), min(retry * 2, interval)
        stop.wait(wait * random.uniform(0.9, 1.1))
    return 0


# -- status -------------------------------------------------------------------------------
def run_status(args: argparse.Namespace) -> int:
    opts, store = _open(args)
    try:
        status = store.status(opts.max_age)
    finally:
        store.close()
    if args.json:
        print(json.dumps(status.to_dict()))
    else:
        rows = [
            ("list version", status.version if status.version is not None else "none"),
            ("entries", f"{status.entries:,}"),
            ("signed at", status.signed_at or "-"),
            ("expires", status.expires or "-"),
            ("last sync", status.last_sync or "never"),
            ("last attempt", status.last_attempt or "never"),
        ]
        if status.last_error:
            rows.append(("last error", status.last_error))
        rows.append(("state", f"STALE: {status.stale}" if status.stale else "current"))
        for label, value in rows:
            print(f"{label:<13} {value}")
    return 1 if status.stale else 0


# -- check --------------------------------------------------------------------------------
def _traveller(args: argparse.Namespace) -> Any:
    from alerts import Traveller
    from kiosk import UsageError

    if bool(args.mrz) == bool(args.name or args.document):
        raise UsageError("error: give either --mrz LINE... or --name/--document")
    if args.mrz:
        import mrz
        from kiosk.alerting import traveller_from_mrz

        return traveller_from_mrz(mrz.parse(args.mrz))
    surname, _, given = (args.name or "").partition(",")
    return Traveller(
        surname=surname.strip(),
        given_names=given.strip(),
        birth_date=args.birth,
        nationality=args.nationality,
        sex=args.sex,
        doc_number=args.document,
        doc_state=args.state,
    )


def run_check(args: argparse.Namespace) -> int:
    from alerts import Matcher
    from alerts.entries import parse_birth
    from kiosk import UsageError

    try:
        parse_birth(args.birth)
    except ValueError as exc:
        raise UsageError(f"error: --birth {exc}") from None
    traveller = _traveller(args)
    opts, store = _open(args)
    try:
        status = store.status(opts.max_age)
        hits = Matcher(store, opts.thresholds).check(traveller)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"list_version": status.version, "stale": status.stale,
                          "hits": [hit.to_dict() for hit in hits]}))  # fmt: skip
    else:
        if status.stale:
            print(f"WARNING: alert list is stale: {status.stale}")
        for hit in hits:
            entry = hit.entry
            print(f"HIT {entry.action.upper()} {hit.kind} {hit.score:.0f}  "
                  f"{entry.list_id}/{entry.reference}")  # fmt: skip
            for reason in hit.reasons:
                print(f"    {reason}")
            if entry.note:
                print(f"    note: {entry.note}")
        if not hits:
            print(f"no hit (list version {status.version}, {status.entries:,} entries)")
    return 0


# -- publish ------------------------------------------------------------------------------
def run_publish(args: argparse.Namespace) -> int:
    import datetime as dt
    import tempfile

    from alerts.entries import write_csv
    from alerts.publish import Lifetimes, Repository, create_keys
    from kiosk import UsageError

    if sum((args.list is not None, args.refresh, args.demo)) != 1:
        raise UsageError("error: give one of LIST.csv, --refresh or --demo")
    if args.timestamp_hours <= 0:
        raise UsageError("error: --timestamp-hours must be greater than 0")
    if args.new_keys:
        for path in create_keys(args.keys):
            print(f"created {path}", file=sys.stderr)
    lifetimes = Lifetimes(timestamp=dt.timedelta(hours=args.timestamp_hours))
    repo = Repository(args.repo, args.keys, lifetimes)
    outcome: dict[str, Any]
    if args.refresh:
        outcome = {"refreshed": True, "timestamp_version": repo.refresh()}
        line = f"re-signed the timestamp (version {outcome['timestamp_version']})"
    else:
        source = args.list
        with tempfile.TemporaryDirectory() as scratch:
            if args.demo:
                from kiosk.alerting import demo_list

                source = Path(scratch) / "demo.csv"
                source.write_text(write_csv(("upsert", e) for e in demo_list()))
            published = repo.publish(source)
        outcome = {"version": published.version, "entries": published.entries,
                   "upserted": published.upserted, "deleted": published.deleted}  # fmt: skip
        line = (
            f"published list version {published.version}: {published.entries:,} entries "
            f"({published.upserted:,} new or changed, {published.deleted:,} removed)"
        )
    if args.upload:
        import asyncio

        from alerts.fetchers import upload_to_nats

        outcome["uploaded"] = asyncio.run(upload_to_nats(args.repo, args.upload))
        line += f"; {outcome['uploaded']} file(s) put into {args.upload}"
    print(json.dumps(outcome) if args.json else line)
    if not args.json and not args.refresh:
        root = args.repo / "metadata" / "1.root.json"
        print(f"kiosks trust {root} (install it as [alerts] root)", file=sys.stderr)
    return 0
