"""`kiosk central intake|status|streams|nats-config`: the central side's intake of records
from the hub stream into PostgreSQL, its status, and the NATS topology it reads from
(code in the `central` package)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kiosk import UsageError
from kiosk.commands import Subparsers


def _servers(text: str) -> list[str]:
    return [u.strip() for u in text.split(",") if u.strip()]


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "central",
        help="the central intake (hub stream -> PostgreSQL) and its NATS topology",
        description="The central side: store every record of the hub stream in PostgreSQL "
        "exactly once, verified; see docs/deploy.md.",
    )
    commands = parser.add_subparsers(dest="central_command", metavar="COMMAND")
    commands.required = True

    intake = commands.add_parser(
        "intake",
        help="consume the hub stream into PostgreSQL",
        description="A durable pull consumer on the hub stream: each record is verified "
        "(signature, enrolment, chain per kiosk) and stored once; what fails goes to the "
        "quarantine table with the reason. Messages are acknowledged after the commit.",
    )
    intake.add_argument("--nats", required=True, metavar="URL[,URL...]", help="hub servers")
    intake.add_argument("--db", required=True, metavar="DSN", help="postgresql://...")
    intake.add_argument(
        "--keys", type=Path, required=True, metavar="DIR", help="directory of enrolments"
    )
    intake.add_argument("--stream", required=True, help="the hub stream, e.g. BORDER-NORTH")
    intake.add_argument("--durable", default="central-intake", help="consumer name")
    intake.add_argument("--batch", type=int, default=500, help="records per fetch and commit")
    intake.add_argument(
        "--central-key", type=Path, help="also check that each body decrypts with this key"
    )
    intake.add_argument(
        "--workers",
        type=int,
        default=0,
        help="verifier processes beside the main one (default 0: verify in the main "
        "process; more pays where the intake has cores of its own)",
    )
    intake.add_argument("--once", action="store_true", help="stop when the stream has nothing more")
    intake.set_defaults(func=run_intake)

    status = commands.add_parser(
        "status",
        help="per kiosk: last seq, gaps, last seen",
        description="What the intake has stored, per kiosk; exit status 1 when a kiosk has "
        "a gap, a quarantined record or a missing tail.",
    )
    status.add_argument("--db", required=True, metavar="DSN", help="postgresql://...")
    status.add_argument("--json", action="store_true", help="one JSON object per kiosk")
    status.set_defaults(func=run_status)

    streams = commands.add_parser(
        "streams",
        help="create the post stream on a leaf node, or the region's stream on the hub",
    )
    kinds = streams.add_subparsers(dest="streams_kind", metavar="post|hub")
    kinds.required = True
    post = kinds.add_parser("post", help="the post's stream, on its leaf node")
    post.add_argument("--nats", required=True, metavar="URL", help="the leaf node")
    post.add_argument("--post", required=True, help="post id (the leaf's JetStream domain)")
    post.add_argument("--max-bytes", type=int, default=-1, help="refuse records beyond this")
    post.set_defaults(func=run_streams)
    hub = kinds.add_parser("hub", help="the region's stream on the hub, sourcing the posts")
    hub.add_argument("--nats", required=True, metavar="URL[,URL...]", help="hub servers")
    hub.add_argument("--region", required=True)
    hub.add_argument("--post", action="append", required=True, help="a post id (repeat)")
    hub.add_argument("--replicas", type=int, default=3)
    hub.set_defaults(func=run_streams)

    config = commands.add_parser(
        "nats-config", help="write a nats-server configuration for a hub node or a post"
    )
    roles = config.add_subparsers(dest="role", metavar="hub|leaf")
    roles.required = True
    hub_node = roles.add_parser("hub", help="one node of the hub cluster")
    hub_node.add_argument("--name", required=True, help="server name, e.g. hub-1")
    hub_node.add_argument("--store", required=True, help="JetStream directory")
    hub_node.add_argument("--listen", default="0.0.0.0:4222", help="client address")
    hub_node.add_argument("--cluster", default="0.0.0.0:6222", help="cluster (route) address")
    hub_node.add_argument("--leafnodes", default="0.0.0.0:7422", help="leaf-node address")
    hub_node.add_argument(
        "--routes", required=True, metavar="HOST:PORT,...", help="every hub node's cluster port"
    )
    hub_node.add_argument("--sync-always", action="store_true", help="fsync every write too")
    hub_node.set_defaults(func=run_nats_config)
    leaf = roles.add_parser("leaf", help="the leaf node of a post")
    leaf.add_argument("--post", required=True, help="post id: the JetStream domain")
    leaf.add_argument("--store", required=True, help="JetStream directory")
    leaf.add_argument("--listen", default="0.0.0.0:4222", help="client address (kiosks)")
    leaf.add_argument(
        "--hubs", required=True, metavar="HOST:PORT,...", help="every hub node's leaf-node port"
    )
    leaf.set_defaults(func=run_nats_config)


def run_intake(args: argparse.Namespace) -> int:
    from central.intake import Settings, run_intake

    if args.batch < 1 or args.workers < 0:
        raise UsageError("--batch must be at least 1 and --workers at least 0")
    settings = Settings(
        servers=_servers(args.nats),
        dsn=args.db,
        keys=args.keys,
        stream=args.stream,
        durable=args.durable,
        batch=args.batch,
        central_key=args.central_key,
        once=args.once,
        workers=args.workers,
    )
    totals = run_intake(settings)
    print(
        f"{totals.stored} stored, {totals.duplicates} duplicates, "
        f"{totals.quarantined} quarantined, {totals.heartbeats} heartbeats"
    )
    return 0


def run_status(args: argparse.Namespace) -> int:
    from central import CentralError, db

    conn = db.connect(args.db, create=False)
    import psycopg

    try:
        kiosks, quarantined = db.status(conn)
    except psycopg.Error as exc:
        raise CentralError(f"{db.where(args.db)}: {db.describe(exc)}") from None
    finally:
        conn.close()
    bad = quarantined > 0
    for k in kiosks:
        bad = bad or bool(k.gaps or k.missing_tail)
        if args.json:
            print(json.dumps(k.to_dict()), flush=True)
            continue
        d = k.to_dict()
        gaps = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in k.gaps) or "none"
        line = (
            f"{k.kiosk}  post {k.post}  last seq {k.last_seq}  records {k.records}  "
            f"gaps {gaps}  last seen {d['last_seen']}"
        )
        if k.sealed is not None:
            line += f"  sealed {k.sealed}" + (
                f" ({k.missing_tail} missing)" if k.missing_tail else ""
            )
        if k.quarantined:
            line += f"  quarantined {k.quarantined}"
        print(line, flush=True)
    if args.json:
        print(json.dumps({"quarantined": quarantined, "kiosks": len(kiosks)}))
    elif not kiosks:
        print(f"no records stored yet; {quarantined} quarantined")
    elif quarantined:
        print(f"{quarantined} message(s) in quarantine (table quarantine: status, reason)")
    return 1 if bad else 0


def run_streams(args: argparse.Namespace) -> int:
    import asyncio

    from central import natsconfig

    if args.streams_kind == "post":
        done = asyncio.run(
            natsconfig.ensure_post_stream(_servers(args.nats), args.post, args.max_bytes)
        )
    else:
        done = asyncio.run(
            natsconfig.ensure_hub_stream(_servers(args.nats), args.region, args.post, args.replicas)
        )
    print(done)
    return 0


def run_nats_config(args: argparse.Namespace) -> int:
    from central import natsconfig
    from central.natsconfig import Endpoint

    if args.role == "hub":
        text = natsconfig.hub_config(
            args.name,
            args.store,
            client=Endpoint.parse(args.listen, 4222),
            cluster=Endpoint.parse(args.cluster, 6222),
            leafnodes=Endpoint.parse(args.leafnodes, 7422),
            routes=[Endpoint.parse(r, 6222) for r in _servers(args.routes)],
            sync_always=args.sync_always,
        )
    else:
        text = natsconfig.leaf_config(
            args.post,
            args.store,
            client=Endpoint.parse(args.listen, 4222),
            hubs=[Endpoint.parse(h, 7422) for h in _servers(args.hubs)],
        )
    print(text, end="")
    return 0
