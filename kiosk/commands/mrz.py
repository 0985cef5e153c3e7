"""`kiosk mrz parse|scan`: MRZ text and images (issues #2 and #3)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from kiosk import KioskError, UsageError
from kiosk.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("mrz", help="parse MRZ text, read the MRZ in images")
    mrz_commands = parser.add_subparsers(dest="mrz_command", metavar="ACTION")
    mrz_commands.required = True

    parse = mrz_commands.add_parser(
        "parse",
        help="parse and validate MRZ text",
        description=(
            "Parse MRZ text given as arguments (the lines of one MRZ) or on standard input "
            "(one or more MRZs separated by blank lines). Exit status: 0 when every MRZ "
            "could be read (even with failed checks: see 'valid'), 1 when one could not."
        ),
    )
    parse.add_argument("lines", nargs="*", metavar="LINE", help="the lines of one MRZ")
    parse.add_argument("--json", action="store_true", help="one JSON object per MRZ (JSON Lines)")
    parse.add_argument(
        "--strict",
        action="store_true",
        help="no corrections: report exactly what was read (default: lenient, for OCR text)",
    )
    parse.set_defaults(func=run_parse)

    scan = mrz_commands.add_parser(
        "scan",
        help="find and read the MRZ in images",
        description=(
            "Find and read the MRZ in image files. One result per image; an image without "
            "an MRZ gives found=false (exit 0); an unreadable file is an error (exit 1)."
        ),
    )
    scan.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    scan.add_argument("--json", action="store_true", help="one JSON object per image (JSON Lines)")
    scan.add_argument(
        "--reader",
        choices=["ours", "passporteye"],
        default="ours",
        help="our OCR-B reader (default) or the PassportEye baseline (needs the bench extra)",
    )
    scan.set_defaults(func=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    """Read every image; errors for one file do not stop the others."""
    from mrz.image.reader import load, read_image

    status = 0
    for path in args.images:
        try:
            image = load(path)
        except OSError as exc:
            reason = f"{path}: {exc.strerror}" if exc.strerror else str(exc)
            print(f"kiosk: error: {reason}", file=sys.stderr)
            status = 1
            continue
        if args.reader == "passporteye":
            from mrz.image.passporteye_reader import read_image_passporteye

            read = read_image_passporteye(image)
        else:
            read = read_image(image)
        if args.json:
            print(json.dumps({"image": path, **read.to_dict()}, ensure_ascii=False))
        elif read.result is None:
            print(f"{path}: no MRZ found ({read.elapsed_ms:.0f} ms)")
        else:
            state = "valid" if read.result.valid else "INVALID"
            print(f"{path}: {read.result.format} {state} ({read.elapsed_ms:.0f} ms, {read.reader})")
            print(format_result(read.result))
    return status


def _stdin_lines() -> Iterator[str]:
    """Standard input as UTF-8 lines; a byte that is not UTF-8 stops with one error line
    naming its offset (what was read before it has been printed)."""
    offset = 0
    for raw in sys.stdin.buffer:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = offset + exc.start
            raise KioskError(
                f"standard input is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {where}"
            ) from None
        offset += len(raw)


def _stdin_blocks() -> Iterator[list[str]]:
    """MRZs on standard input, separated by one or more blank lines."""
    block: list[str] = []
    for line in _stdin_lines():
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def run_parse(args: argparse.Namespace) -> int:
    import mrz

    if args.lines:
        blocks: Iterator[list[str]] = iter([args.lines])
    elif sys.stdin.isatty():
        raise UsageError("give MRZ lines as arguments or on standard input")
    else:
        blocks = _stdin_blocks()
    status = 0
    count = 0
    for count, block in enumerate(blocks, 1):
        try:
            result = mrz.parse(block, strict=args.strict)
        except mrz.MRZError as exc:
            label = f"MRZ {count}: " if not args.lines else ""
            print(f"kiosk: error: {label}{exc}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=False)
        else:
            if count > 1:
                print()
            print(format_result(result))
    if count == 0:
        print("kiosk: error: no MRZ text on standard input", file=sys.stderr)
        return 1
    return status


_FORMAT_NAMES = {
    "TD1": "TD1 identity card",
    "TD2": "TD2 identity document",
    "TD3": "TD3 passport",
    "MRVA": "MRV-A visa",
    "MRVB": "MRV-B visa",
}


def format_result(result: object) -> str:
    """A table a person reads: every field, each check, then corrections and warnings."""
    from mrz import MRZResult

    assert isinstance(result, MRZResult)
    checks = result.checks

    def mark(name: str) -> str:
        if name not in checks:
            return ""
        return "check ok" if checks[name] else "check FAILED"

    def date(value: object, raw: str) -> str:
        return str(value) if value else f"{raw} (not a full date)"

    verdict = "VALID" if result.valid else "INVALID"
    rows = [
        ("Document code", result.document_code, ""),
        ("Issuing state", result.issuing_state, ""),
        ("Document number", result.document_number, mark("document_number")),
        ("Nationality", result.nationality, ""),
        ("Surname", result.surname, ""),
        ("Given names", result.given_names, ""),
        ("Birth date", date(result.birth_date, result.birth_date_raw), mark("birth_date")),
        ("Sex", result.sex or "?", ""),
        ("Expiry date", date(result.expiry_date, result.expiry_date_raw), mark("expiry_date")),
        ("Optional data", result.optional_data, mark("optional_data")),
    ]
    if result.format == "TD1":
        rows.append(("Optional data 2", result.optional_data_2, ""))
    if "composite" in checks:
        rows.append(("Composite", "", mark("composite")))
    out = [f"{_FORMAT_NAMES[result.format]}: {verdict}"]
    out += [f"  {label:<16} {value:<32} {check}".rstrip() for label, value, check in rows]
    if result.corrections:
        out.append("Corrections:")
        out += [
            f"  line {c.line} column {c.column}: {c.was} -> {c.now} ({c.field}: {c.reason})"
            for c in result.corrections
        ]
    if result.warnings:
        out.append("Warnings:")
        out += [f"  {w.field}: {w.message}" for w in result.warnings]
    out.append("Lines:")
    out += [f"  {line}" for line in result.lines]
    return "\n".join(out)
