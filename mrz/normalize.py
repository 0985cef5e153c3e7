"""From what readers and OCR deliver to clean MRZ lines of the right shape.

Readers add spaces, carriage returns, control characters and lower case; OCR turns `<<`
into `«` and `<` into look-alikes. None of that changes what was printed, so it is
normalised silently in both modes. Lines of the wrong length are an error naming the line;
in lenient mode a line that is off only by trailing fillers is repaired (and the repair is
listed as a correction).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mrz.checkdigit import ALPHABET
from mrz.errors import MRZError
from mrz.formats import LAYOUTS, Layout, layout_for

_LOOKALIKES = str.maketrans(
    {
        "‹": "<",
        "〈": "<",
        "⟨": "<",
        "＜": "<",
        "˂": "<",
        "ᐸ": "<",
        "≺": "<",
        "«": "<<",
    }
)
_CLEAN_LINE = re.compile(r"[A-Z0-9<]+")
_MRZ_CHARS = frozenset(ALPHABET)


@dataclass(frozen=True, slots=True)
class LineRepair:
    line: int  # 1-based
    was: str
    now: str
    reason: str


def split_lines(source: str | Sequence[str]) -> list[str]:
    """Normalised non-empty lines; a whole MRZ delivered on one line is split."""
    raw = source.splitlines() if isinstance(source, str) else list(source)
    lines: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise MRZError(f"MRZ lines must be text, not {type(item).__name__}")
        if _CLEAN_LINE.fullmatch(item):
            lines.append(item)
            continue
        line = "".join(item.split()).upper().translate(_LOOKALIKES)
        if line and not _CLEAN_LINE.fullmatch(line):
            line = _strip_stray(line)
        if line:
            lines.append(line)
    if not lines:
        raise MRZError("no MRZ text found")
    if len(lines) == 1:
        lines = _split_joined(lines[0])
    for number, line in enumerate(lines, 1):
        if not _CLEAN_LINE.fullmatch(line):
            column, char = next((i, c) for i, c in enumerate(line, 1) if c not in _MRZ_CHARS)
            raise MRZError(
                f"line {number}, column {column}: {char!r} is not an MRZ character (A-Z, 0-9, <)"
            )
    return lines


def _strip_stray(line: str) -> str:
    """Drop characters that cannot be MRZ at either end (STX/ETX, quotes, OCR dust)."""
    start, end = 0, len(line)
    while start < end and line[start] not in _MRZ_CHARS:
        start += 1
    while end > start and line[end - 1] not in _MRZ_CHARS:
        end -= 1
    return line[start:end]


def _split_joined(line: str) -> list[str]:
    for layout in LAYOUTS.values():
        if len(line) == layout.lines * layout.length:
            n = layout.length
            return [line[i : i + n] for i in range(0, len(line), n)]
    return [line]


def fit_layout(lines: list[str], lenient: bool) -> tuple[Layout, list[str], list[LineRepair]]:
    """The layout these lines follow, with lengths repaired where only fillers are off."""
    layout = layout_for(len(lines), len(lines[0]), lines[0][0])
    if layout is not None and all(len(line) == layout.length for line in lines):
        return layout, lines, []
    expected = _expected_layout(lines)
    repaired: list[str] = []
    repairs: list[LineRepair] = []
    for number, line in enumerate(lines, 1):
        fixed = _repair_length(line, expected.length) if lenient else None
        if len(line) == expected.length:
            repaired.append(line)
        elif fixed is not None:
            reason = (
                "trailing fillers trimmed to the line length"
                if len(line) > expected.length
                else "missing trailing fillers added"
            )
            repairs.append(LineRepair(number, line, fixed, reason))
            repaired.append(fixed)
        else:
            raise MRZError(
                f"line {number} has {len(line)} characters; "
                f"{_format_label(expected)} lines have {expected.length}"
            )
    return expected, repaired, repairs


def _format_label(layout: Layout) -> str:
    return {"MRVA": "MRV-A", "MRVB": "MRV-B"}.get(layout.name, layout.name)


def _expected_layout(lines: list[str]) -> Layout:
    if len(lines) == 3:
        return LAYOUTS["TD1"]
    if len(lines) != 2:
        raise MRZError(
            f"found {len(lines)} lines; an MRZ has 2 (TD2, TD3, visas) or 3 (TD1); "
            "separate MRZs with a blank line"
        )
    mean = sum(len(line) for line in lines) / 2
    visa = lines[0][0] == "V"
    if abs(mean - 44) <= abs(mean - 36):
        return LAYOUTS["MRVA" if visa else "TD3"]
    return LAYOUTS["MRVB" if visa else "TD2"]


def _repair_length(line: str, length: int) -> str | None:
    if len(line) > length and line[length - 1 :].strip("<") == "":
        return line[:length]
    if len(line) < length and line.endswith("<"):
        return line.ljust(length, "<")
    return None
