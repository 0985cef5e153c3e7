"""`kiosk selftest`: open every device the configuration names, as the kiosk would, and say
for each whether it answered (the technician's check after wiring or replacing one)."""

from __future__ import annotations

import argparse
import json
import logging

from kiosk.commands import Subparsers
from kiosk.commands.outbox import add_config_option


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "selftest", help="open each configured device and report whether it answers"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per device")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds each device has to open (default 5)"
    )
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from drivers import DeviceError
    from kiosk import KioskError, config
    from kiosk.lane.devices import DeviceHub, specs_from_config

    specs = specs_from_config(config.load(args.config))
    if not specs:
        raise KioskError(
            "no devices are configured: add [devices.<role>] with driver and port "
            "(kiosk provision init --device ROLE=DRIVER:PORT)"
        )
    if args.log_level == "WARNING":
        # Each failure is reported on its own line below; the drivers' warnings would
        # only say it again on stderr.
        logging.getLogger("drivers").setLevel(logging.ERROR)
    hub = DeviceHub(specs)
    hub.start()
    failed = 0
    try:
        for spec in specs:
            try:
                detail, ok = hub.wait_open(spec.role, args.timeout), True
            except DeviceError as exc:
                detail, ok = str(exc), False
                failed += 1
            if args.json:
                row = {"role": spec.role, "driver": spec.driver, "port": spec.port}
                print(json.dumps({**row, "ok": ok, "detail": detail}))
            else:
                verdict = "ok    " if ok else "FAILED"
                print(f"{spec.role:<12} {spec.driver:<10} {spec.port}  {verdict} {detail}")
    finally:
        hub.stop()
    return 1 if failed else 0
