"""`kiosk run [--sim] [--config PATH]`: the officer UI."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kiosk.commands import Subparsers
from kiosk.commands.outbox import add_config_option


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="the officer UI; --sim runs it on emulated devices",
        description="The officer UI. With --sim: a demo kiosk provisioned in --sim-dir "
        "(officer 'demo', PIN 123456; technician 'tech', PIN 654321) with scripted travellers.",
    )
    parser.add_argument("--sim", action="store_true", help="emulated devices, demo travellers")
    parser.add_argument(
        "--sim-dir",
        type=Path,
        default=Path(os.environ.get("KIOSK_SIM_DIR", Path.home() / ".cache" / "border-kiosk-sim")),
        help="where --sim keeps its demo kiosk (default ~/.cache/border-kiosk-sim)",
    )
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kiosk import config
    from kiosk.ui.app import KioskApp
    from kiosk.ui.services import Services

    if args.sim:
        from kiosk import sim  # the only production import of the simulator

        cfg = config.load(args.config) if args.config else sim.prepare(args.sim_dir)
        services = Services.build(cfg, demo=sim.counter(cfg, forward=True))
    else:
        services = Services.build(config.load(args.config))
    app = KioskApp(services)
    app.run()
    return app.return_code or 0
