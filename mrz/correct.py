"""Lenient correction of OCR confusions, guided by field classes and check digits.

Rules (issue #2): a character impossible for its field (a letter in a date, a digit in a
name) is mapped to its usual look-alike; in fields a check digit covers, a change is
accepted only when exactly one candidate with the fewest changes satisfies that check
digit. Pairs whose check-digit values differ by a multiple of 10 (6/G, K/<, L/1, ...) are
never swapped on check-digit evidence, because there is none. Every change is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations, product

from mrz.checkdigit import check_digit, neutral_pair
from mrz.countries import is_known
from mrz.formats import Field, Kind, Layout

# What OCR reads for each character of the OCR-B MRZ alphabet, both ways.
CONFUSABLE: dict[str, str] = {
    "0": "ODQ",
    "O": "0",
    "D": "0",
    "Q": "0",
    "1": "IL",
    "I": "1",
    "L": "1",
    "2": "Z",
    "Z": "2",
    "5": "S",
    "S": "5",
    "6": "G",
    "G": "6",
    "8": "B",
    "B": "8",
    "K": "<",
    "<": "K",
}
DIGITS = frozenset("0123456789")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

Position = tuple[int, int]  # (line, column), zero-based


@dataclass(frozen=True, slots=True)
class Correction:
    field: str
    line: int  # 1-based, as a person counts
    column: int  # 1-based
    was: str
    now: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "from": self.was,
            "to": self.now,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CheckedSpan:
    """Characters one check digit covers (a field, a long number, the composite)."""

    name: str
    positions: tuple[Position, ...]
    check: Position
    empty_check: bool = False  # an all-filler field may carry `<` as its check digit

    @cached_property
    def slices(self) -> tuple[tuple[int, int, int], ...]:
        """The positions as (line, start, stop) runs, for fast text extraction."""
        runs: list[list[int]] = []
        for line, column in self.positions:
            if runs and runs[-1][0] == line and runs[-1][2] == column:
                runs[-1][2] = column + 1
            else:
                runs.append([line, column, column + 1])
        return tuple((line, start, stop) for line, start, stop in runs)

    @cached_property
    def single(self) -> tuple[int, int, int] | None:
        return self.slices[0] if len(self.slices) == 1 else None

    def holds(self, lines: Sequence[str]) -> bool:
        """Whether the check digit matches what `lines` hold in this span."""
        single = self.single
        if single is not None:
            text = lines[single[0]][single[1] : single[2]]
        else:
            text = "".join([lines[line][start:stop] for line, start, stop in self.slices])
        digit = lines[self.check[0]][self.check[1]]
        if digit == check_digit(text):
            return True
        return self.empty_check and digit in "<0" and not text.strip("<")


class Grid:
    """The MRZ as mutable characters, with the corrections made so far."""

    def __init__(self, lines: Sequence[str], candidates: Sequence[Sequence[str]] | None):
        self.rows = [list(line) for line in lines]
        self.candidates = candidates
        self.corrections: list[Correction] = []

    def __getitem__(self, position: Position) -> str:
        return self.rows[position[0]][position[1]]

    def text(self, positions: Sequence[Position]) -> str:
        return "".join(self.rows[line][column] for line, column in positions)

    def set(self, position: Position, char: str, field: str, reason: str) -> None:
        line, column = position
        was = self.rows[line][column]
        self.rows[line][column] = char
        self.corrections.append(Correction(field, line + 1, column + 1, was, char, reason))

    def alternatives(self, position: Position) -> str:
        """The reader's alternatives at a position (most likely first), if it gave any."""
        if self.candidates is None:
            return ""
        line, column = position
        try:
            return self.candidates[line][column]
        except IndexError:
            return ""

    def lines(self) -> list[str]:
        return ["".join(row) for row in self.rows]


def span_holds(grid: Grid, span: CheckedSpan) -> bool:
    return span.holds(grid.lines())


def fix_classes(grid: Grid, layout: Layout, checks: Sequence[CheckedSpan]) -> None:
    """Replace characters that are impossible for their field by their look-alike."""
    for field in layout.fields:
        if field.kind is Kind.DATE:
            _fix_digits(grid, field.name, _positions(field), allow="<")
        elif field.kind is Kind.NAME:
            _fix_name(grid, field)
        elif field.kind in (Kind.CODE, Kind.COUNTRY):
            _fix_code(grid, field)
        elif field.kind is Kind.SEX:
            position = (field.line, field.start)
            if grid[position] == "K":
                grid.set(position, "<", field.name, "K read for the filler")
    for span in checks:
        _fix_digits(grid, span.name, (span.check,), allow="<" if span.empty_check else "")


def _positions(field: Field) -> tuple[Position, ...]:
    return tuple((field.line, column) for column in range(field.start, field.stop))


def _fix_digits(grid: Grid, name: str, positions: Sequence[Position], allow: str) -> None:
    for position in positions:
        char = grid[position]
        if char in DIGITS or char in allow:
            continue
        options = [c for c in grid.alternatives(position) if c in DIGITS]
        options += [c for c in CONFUSABLE.get(char, "") if c in DIGITS]
        if options:
            grid.set(position, options[0], name, f"letter {char} in a digit-only field")


def _fix_name(grid: Grid, field: Field) -> None:
    positions = _positions(field)
    for position in positions:
        char = grid[position]
        if char in DIGITS:
            options = [c for c in grid.alternatives(position) if c in LETTERS]
            options += [c for c in CONFUSABLE.get(char, "") if c in LETTERS]
            if options:
                grid.set(position, options[0], field.name, f"digit {char} in a name")
    # After the primary/secondary separator and a second `<<`, only fillers may follow:
    # a K there is a filler misread.
    text = grid.text(positions)
    first = text.find("<<")
    second = text.find("<<", first + 2) if first > 0 else -1
    if second > 0:
        for offset in range(second + 2, len(text)):
            if text[offset] == "K":
                grid.set(positions[offset], "<", field.name, "K read for a filler")


def _fix_code(grid: Grid, field: Field) -> None:
    """Digits in a code field: choose the look-alike that gives a known code, if unique."""
    positions = _positions(field)
    text = grid.text(positions)
    bad = [i for i, c in enumerate(text) if c not in LETTERS and c != "<"]
    if field.kind is Kind.COUNTRY:
        filler_run = len(text) - len(text.rstrip("<"))
        bad += [i for i, c in enumerate(text) if c == "K" and i >= len(text) - filler_run - 1]
    if not bad:
        return
    options_at = []
    for i in bad:
        char = text[i]
        options = [char] if char in LETTERS else []
        options += [c for c in grid.alternatives(positions[i]) if c in LETTERS or c == "<"]
        options += [c for c in CONFUSABLE.get(char, "") if c in LETTERS or c == "<"]
        options_at.append(list(dict.fromkeys(options)) or [char])
    chosen: list[tuple[str, ...]] = []
    for combo in product(*options_at):
        candidate = list(text)
        for i, char in zip(bad, combo, strict=True):
            candidate[i] = char
        code = "".join(candidate)
        if field.kind is Kind.CODE or is_known(code.replace("<", "")):
            chosen.append(combo)
    if field.kind is Kind.CODE:
        chosen = chosen[:1]
    if len(chosen) != 1:
        return
    for i, char in zip(bad, chosen[0], strict=True):
        if char != text[i]:
            grid.set(positions[i], char, field.name, f"{text[i]} is not possible in a code")


def search(grid: Grid, span: CheckedSpan, fixed: frozenset[Position] = frozenset()) -> bool:
    """Make `span` satisfy its check digit with the fewest confusion swaps, if unique.

    Returns whether the span holds afterwards. Positions in `fixed` are already covered by
    another check digit and are left alone.
    """
    if span_holds(grid, span):
        return True
    choices: list[tuple[Position, str]] = []
    for position in (*span.positions, span.check):
        if position in fixed:
            continue
        current = grid[position]
        digit_only = position == span.check
        for char in grid.alternatives(position) + CONFUSABLE.get(current, ""):
            if char == current or (digit_only and char not in DIGITS):
                continue
            if neutral_pair(char, current) or (position, char) in choices:
                continue
            choices.append((position, char))
    for changes in (1, 2):
        combos = _combinations(choices, changes)
        found = [combo for combo in combos if _holds_with(grid, span, combo)]
        if len(found) == 1:
            for position, char in found[0]:
                grid.set(position, char, span.name, "the only change the check digit accepts")
            return True
        if found:
            return False  # ambiguous: stay invalid rather than guess
    return False


def _combinations(
    choices: Sequence[tuple[Position, str]], size: int
) -> Iterator[tuple[tuple[Position, str], ...]]:
    for combo in combinations(choices, size):
        if len({position for position, _ in combo}) == size:
            yield combo


def _holds_with(grid: Grid, span: CheckedSpan, combo: Sequence[tuple[Position, str]]) -> bool:
    saved = [(position, grid[position]) for position, _ in combo]
    for (line, column), char in combo:
        grid.rows[line][column] = char
    try:
        return span_holds(grid, span)
    finally:
        for (line, column), char in saved:
            grid.rows[line][column] = char
