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

from mrz.checkdigit import digit_for_values, neutral_pair, values_of
from mrz.countries import is_known
from mrz.formats import Field, Kind, Layout

# The confusions of issue #2 (0/O, 1/I, 2/Z, 5/S, 6/G, 8/B, K/<) plus D and Q for 0 and L
# for 1, which OCR also produces. A letter in a digit-only field has one digit it can be;
# a digit in a name has one letter (the pair): D, Q and L are used only where a
# check digit or the list of country codes can confirm them.
DIGIT_FOR_LETTER = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5"}
DIGIT_FOR_LETTER |= {"G": "6", "B": "8"}
LETTER_FOR_DIGIT = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B"}
CODE_LETTERS_FOR_DIGIT = LETTER_FOR_DIGIT | {"0": "ODQ", "1": "IL"}


def _both_ways(pairs: dict[str, str]) -> dict[str, str]:
    table = {"K": "<", "<": "K"}
    for letter, digit in pairs.items():
        table[letter] = table.get(letter, "") + digit
        table[digit] = table.get(digit, "") + letter
    return table


# Every character and what OCR may have read in its place, for check-digit search.
CONFUSABLE = _both_ways(DIGIT_FOR_LETTER)
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

    def holds(self, lines: Sequence[str], values: Sequence[bytes] | None = None) -> bool:
        """Whether the check digit matches what `lines` hold in this span.

        `values` are the lines already passed through `values_of`, so that a parse
        translates each line once for all its check digits.
        """
        if values is None:
            values = [values_of(line) for line in lines]
        single = self.single
        if single is not None:
            covered = values[single[0]][single[1] : single[2]]
        else:
            covered = b"".join([values[line][start:stop] for line, start, stop in self.slices])
        digit = lines[self.check[0]][self.check[1]]
        if digit == digit_for_values(covered):
            return True
        return self.empty_check and digit in "<0" and not any(covered) and self._all_fillers(lines)

    def _all_fillers(self, lines: Sequence[str]) -> bool:
        return all(lines[line][column] == "<" for line, column in self.positions)


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
        options += DIGIT_FOR_LETTER.get(char, "")
        if options:
            grid.set(position, options[0], name, f"letter {char} in a digit-only field")


def _fix_name(grid: Grid, field: Field) -> None:
    positions = _positions(field)
    for position in positions:
        char = grid[position]
        if char in DIGITS:
            options = [c for c in grid.alternatives(position) if c in LETTERS]
            options += LETTER_FOR_DIGIT.get(char, "")
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
        options += CODE_LETTERS_FOR_DIGIT.get(char, "") + ("<" if char == "K" else "")
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


def allowed_chars(layout: Layout) -> dict[Position, frozenset[str]]:
    """What each position may hold, by its field's kind (check digits: digits)."""
    by_kind = {
        Kind.DATE: DIGITS,
        Kind.ALNUM: DIGITS | LETTERS | {"<"},
        Kind.NAME: LETTERS | {"<"},
        Kind.CODE: LETTERS | {"<"},
        Kind.COUNTRY: LETTERS | {"<"},
        Kind.SEX: frozenset("MFX<"),
    }
    allowed: dict[Position, frozenset[str]] = {}
    for field in layout.fields:
        for position in _positions(field):
            allowed[position] = frozenset(by_kind[field.kind])
    return allowed


def search(
    grid: Grid,
    span: CheckedSpan,
    allowed: dict[Position, frozenset[str]],
    fixed: frozenset[Position] = frozenset(),
) -> bool:
    """Make `span` satisfy its check digit with the fewest confusion swaps, if unique.

    Returns whether the span holds afterwards. Positions in `fixed` are already covered by
    another check digit and are left alone; a swap must stay within `allowed` (a check
    digit, which no field covers, must stay a digit).
    """
    if span_holds(grid, span):
        return True
    choices: list[tuple[Position, str]] = []
    for position in (*span.positions, span.check):
        if position in fixed:
            continue
        current = grid[position]
        permitted = allowed.get(position, DIGITS)
        for char in grid.alternatives(position) + CONFUSABLE.get(current, ""):
            if char == current or char not in permitted:
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
