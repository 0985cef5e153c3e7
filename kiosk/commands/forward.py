"""`kiosk forward [--once]`: the forwarder daemon (systemd: border-forwarder.service)."""

from __future__ import annotations

import argparse
import json

from kiosk.commands import Subparsers
from kiosk.commands.outbox import add_config_option


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("forward", help="send pending records to the central side")
    parser.add_argument("--once", action="store_true", help="send what is pending, then exit")
    parser.add_argument("--json", action="store_true", help="with --once: figures as JSON")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from kiosk import config
    from kiosk.lane.sealer import forwarder, open_outbox

    cfg = config.load(args.config)
    with open_outbox(cfg) as outbox:
        worker = forwarder(cfg, outbox)
        if args.once:
            delivered = asyncio.run(worker.run_once())
            left = outbox.status().pending
            if args.json:
                print(json.dumps({"delivered": delivered, "pending": left}))
            else:
                print(f"delivered {delivered}, {left} pending")
            return 0

        async def daemon() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await worker.run(stop=stop)

        asyncio.run(daemon())
    return 0
