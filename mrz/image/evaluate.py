"""Scoring reads against a folder of real images with verified transcriptions.

Why here: the benchmark (`bench/mrz_scan.py`) and the test that guards the real-set figure
(`tests/mrz/test_image_real.py`) must count the same way. The folder is laid out as
`../shared/data/mrz-real` is: `images/<name>` and `truth.json` mapping each name to its
printed `lines` (`[]` for an image without an MRZ), `format`, `capture`, `check_digits`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mrz.image.reader import ImageRead

# The development set next to the repository (it is there in CI too).
REAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mrz-real"

# Where the image itself contradicts truth.json, the image wins (as the set's README says
# of its own transcriptions). Each entry: the lines as printed, whether every printed check
# digit then holds, and why. Glyphs were counted against the other lines' columns, which
# MRZ lines share: a character too many shifts the rest of its line by one column.
ERRATA: dict[str, tuple[list[str], bool, str]] = {
    "arg_rp_Portugal.png": (
        [
            "IRPRT1234AZ5679<<<<<<<<<<<<<<<",
            "7404076F0912220BRA<<<<<<<<<<<4",
            "GARCAO<DE<MAGALHAES<<INES<<<<<",
        ],
        True,
        "line 1 prints 15 characters before its fillers (its 9 stands above line 2's 15th, "
        "a 0), not 16: truth.json has one 9 too many; as printed, every check digit holds",
    ),
    "imagejs_id_fail.png": (
        [
            "IDAUT000009993<<<<<<<<<<<<<<<<",
            "7109094F111231AUT<<<<<<<<<<<<0",
            "MUSTERFRAU<<ISOLDE<<<<<<<<<<<<",
        ],
        False,
        "line 1 prints five 0s, not six (its 3 stands above line 2's 14th character, a 1): "
        "truth.json has one 0 too many; the checks fail either way",
    ),
}


@dataclass
class Entry:
    """One image of the set and what is printed on it."""

    name: str
    path: Path
    lines: list[str]
    format: str | None
    capture: str
    source: str  # the file-name prefix: which repository the image came from
    checks_hold: bool  # every printed check digit holds (so a right read is valid)
    licence: str = ""  # of the repository the image came from
    erratum: str = ""


def load_truth(root: Path = REAL_DIR, errata: bool = True) -> list[Entry]:
    """The set's entries in name order, with `ERRATA` applied unless told not to."""
    data = json.loads((root / "truth.json").read_text())
    out = []
    for name, item in sorted(data.items()):
        lines, holds, why = list(item["lines"]), item["check_digits"] == "all hold", ""
        if errata and name in ERRATA:
            lines, holds, why = ERRATA[name]
        out.append(
            Entry(
                name=name,
                path=root / "images" / name,
                lines=lines,
                format=item["format"],
                capture=item["capture"],
                source=name.split("_", 1)[0],
                checks_hold=holds and item["format"] != "FRA-CNI",
                licence=item.get("licence", ""),
                erratum=why,
            )
        )
    return out


@dataclass
class Outcome:
    """How one read of one image compares with its truth."""

    exact: bool  # the MRZ as printed (or, for a negative, none found)
    wrong_valid: bool  # reported valid, yet not what is printed
    withheld: bool  # read as printed but not reported valid, though every check holds
    cause: str  # "" when exact; else why not ("not located", "misread", ...)
    diff: str = ""  # truth -> read per differing cell, for misreads


def judge(read: ImageRead, entry: Entry) -> Outcome:
    """Compare `read` with `entry`: exact means the lines as printed (valid or not)."""
    result = read.result
    lines = list(result.lines) if result is not None else []
    if not entry.lines:
        wrong = read.valid
        return Outcome(
            not read.found, wrong, False, "" if not read.found else "found in a negative"
        )
    if result is None:
        return Outcome(False, False, False, "not located")
    exact = lines == entry.lines
    # Valid is wrong for anything but what is printed, and for a printed MRZ whose own
    # check digits fail (or a layout that is not ICAO's, such as the French ID card).
    wrong_valid = read.valid and (not exact or not entry.checks_hold)
    if exact:
        withheld = entry.checks_hold and not read.valid
        return Outcome(True, wrong_valid, withheld, "valid though printed wrong" * wrong_valid)
    if len(lines) != len(entry.lines) or len(lines[0]) != len(entry.lines[0]):
        shape = f"{len(lines)}x{len(lines[0]) if lines else 0}"
        want = f"{len(entry.lines)}x{len(entry.lines[0])}"
        return Outcome(False, wrong_valid, False, f"located as {shape}, not {want}")
    diffs = [
        f"{a}>{b}"
        for want_line, got in zip(entry.lines, lines, strict=True)
        for a, b in zip(want_line, got, strict=True)
        if a != b
    ]
    return Outcome(False, wrong_valid, False, "misread", " ".join(diffs))
