"""The `kiosk` command line (the stable contract in DESIGN.md).

Each command group lives in its own module under `kiosk.commands` and exposes
`register(subparsers)`. Modules import their heavy libraries inside the handler, so
`kiosk mrz parse` does not pay for OpenCV or Textual.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from kiosk import KioskError, NotAvailable, UsageError, __version__

# Order is the order shown in `kiosk --help`.
COMMAND_MODULES = (
    "run",
    "mrz",
    "devices",
    "selftest",
    "biometrics",
    "provision",
    "outbox",
    "forward",
    "verify",
    "chip",
    "alerts",
    "central",
)


def _error_types() -> tuple[type[BaseException], ...]:
    """Every package's error base class, so the CLI can print one line for each."""
    types: list[type[BaseException]] = [KioskError, OSError]
    for module_name, class_name in (
        ("mrz", "MRZError"),
        ("drivers", "DeviceError"),
        ("biometrics", "BiometricsError"),
        ("outbox", "OutboxError"),
        ("emrtd", "EMRTDError"),
        ("alerts", "AlertsError"),
        ("central", "CentralError"),
    ):
        module = sys.modules.get(module_name)
        error = getattr(module, class_name, None) if module else None
        if isinstance(error, type) and issubclass(error, BaseException):
            types.append(error)
    return tuple(types)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Border-post kiosk: officer UI, MRZ tools, devices, records and forwarding.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging threshold (default: WARNING)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"kiosk.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        _refuse_root(args, list(sys.argv[1:] if argv is None else argv))
        status: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kiosk ... | head` closed the pipe: not an error worth a message.
        sys.stderr.close()
        return 0
    except (UsageError, NotAvailable) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    except _error_types() as exc:
        print(f"kiosk: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    return status


def _refuse_root(args: argparse.Namespace, argv: list[str]) -> None:
    """State files must belong to the service user: see `provisioning.refuse_root`."""
    if os.geteuid() != 0 or getattr(args, "sim", False):
        return  # --sim: the demo kiosk lives in the caller's own cache directory
    from kiosk.provisioning import refuse_root

    words = [args.command, getattr(args, "provision_command", None)]
    refuse_root(" ".join(w for w in words if w), argv)


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {text}"
    return " ".join(text.split())
