"""What a list holds (`Entry`), who is checked (`Traveller`), and the CSV form of both lists
and deltas (the columns are documented in docs/alerts.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields

from alerts.errors import ListError

CATEGORIES = ("document", "person")
ACTIONS = ("refer", "deny", "notify")
COLUMNS = (
    "list_id",
    "reference",
    "category",
    "action",
    "doc_type",
    "doc_state",
    "doc_number",
    "surname",
    "given_names",
    "birth_date",
    "nationality",
    "sex",
    "note",
)
REQUIRED = ("list_id", "reference", "category", "action")
_BIRTH = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_CODE = re.compile(r"[A-Z<]{1,3}")


def normalise_number(number: str) -> str:
    """A document number as the MRZ holds it: upper case, no spaces, dashes or fillers."""
    return re.sub(r"[^0-9A-Z]", "", number.upper())


def normalise_state(code: str) -> str:
    return code.strip().upper().replace("<", "")


@dataclass(frozen=True)
class Entry:
    """One listed document or person. `birth_date` is YYYY-MM-DD, YYYY-MM or YYYY (or "")."""

    list_id: str
    reference: str
    category: str
    action: str
    doc_type: str = ""
    doc_state: str = ""
    doc_number: str = ""
    surname: str = ""
    given_names: str = ""
    birth_date: str = ""
    nationality: str = ""
    sex: str = ""
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.list_id, self.reference)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Traveller:
    """What the kiosk read: document fields and the name as printed. `name_field` is the
    MRZ name field's length when the name came from an MRZ (it may be truncated there)."""

    surname: str = ""
    given_names: str = ""
    birth_date: str = ""  # ISO, or partial (YYYY-MM, YYYY), or ""
    nationality: str = ""
    sex: str = ""
    doc_type: str = ""
    doc_state: str = ""
    doc_number: str = ""
    name_field: int | None = None


def parse_birth(value: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of a full or partial date; None for an empty one."""
    value = value.strip()
    if not value:
        return None
    match = _BIRTH.fullmatch(value)
    if not match:
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(match.group(1))
    month, day = (int(g) if g else None for g in match.groups()[1:])
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"{value!r}: month {month} does not exist")
    if day is not None:
        assert month is not None
        dt.date(year, month, day)  # ValueError for 31 February
    return year, month, day


def _check(entry: Entry) -> str | None:
    """The first problem of an entry, or None."""
    for name in REQUIRED:
        if not getattr(entry, name):
            return f"{name} is empty"
    if entry.category not in CATEGORIES:
        return f"category {entry.category!r}: use one of {', '.join(CATEGORIES)}"
    if entry.action not in ACTIONS:
        return f"action {entry.action!r}: use one of {', '.join(ACTIONS)}"
    if entry.category == "document" and not entry.doc_number:
        return "a document entry needs doc_number"
    if entry.category == "person" and not (entry.surname or entry.given_names):
        return "a person entry needs surname or given_names"
    for name in ("doc_state", "nationality"):
        value = getattr(entry, name)
        if value and not _CODE.fullmatch(value):
            return f"{name} {value!r}: use the MRZ's 3-letter code (e.g. UTO, D, GBD)"
    if entry.sex not in ("", "M", "F", "X"):
        return f"sex {entry.sex!r}: use M, F, X or leave it empty"
    try:
        parse_birth(entry.birth_date)
    except ValueError as exc:
        return f"birth_date {exc}"
    return None


def make_entry(row: dict[str, str]) -> Entry:
    """An entry from CSV cells, normalised (codes upper case, number without spaces)."""
    clean = {name: (row.get(name) or "").strip() for name in COLUMNS}
    return _normalised(clean)


def _normalised(clean: dict[str, str]) -> Entry:
    clean["category"] = clean["category"].lower()
    clean["action"] = clean["action"].lower()
    clean["doc_type"] = clean["doc_type"].upper()
    clean["doc_state"] = normalise_state(clean["doc_state"])
    clean["nationality"] = normalise_state(clean["nationality"])
    clean["sex"] = clean["sex"].upper()
    clean["doc_number"] = normalise_number(clean["doc_number"])
    return Entry(**clean)


def read_csv(
    lines: str | Iterable[str], source: str, ops: bool = False, unique: bool = True
) -> Iterator[tuple[str, Entry]]:
    """(op, entry) for every row of CSV text or a text stream; op is "upsert" or "delete"
    (deltas carry an `op` column). A malformed row raises ListError naming `source` and the
    line. `unique=False` leaves the duplicate check to the store's unique index (a million
    keys in a Python set would cost more memory than the whole store)."""
    reader = csv.reader(io.StringIO(lines) if isinstance(lines, str) else lines)
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ListError(f"{source}:1: missing column(s) {', '.join(missing)}; see docs/alerts.md")
    unknown = [c for c in header if c not in COLUMNS and c != "op"]
    if unknown:
        raise ListError(f"{source}:1: unknown column(s) {', '.join(unknown)}; see docs/alerts.md")
    absent = [c for c in COLUMNS if c not in header]
    width = len(header)
    seen: set[tuple[str, str]] = set()
    for cells in reader:
        line = reader.line_num
        if not cells:
            continue
        if len(cells) > width:
            raise ListError(f"{source}:{line}: more cells than columns")
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=False)}
        for name in absent:
            row[name] = ""
        for name in header[len(cells) :]:
            row[name] = ""
        op = (row.pop("op", "") or "upsert") if ops else "upsert"
        row.pop("op", None)
        entry = _normalised(row)
        if op == "delete":
            if not (entry.list_id and entry.reference):
                raise ListError(f"{source}:{line}: a delete needs list_id and reference")
        elif op != "upsert":
            raise ListError(f"{source}:{line}: op {op!r}: use upsert or delete")
        else:
            problem = _check(entry)
            if problem:
                raise ListError(f"{source}:{line}: {problem}")
        if unique:
            if entry.key in seen:
                raise ListError(
                    f"{source}:{line}: {entry.list_id}/{entry.reference} appears twice; "
                    "(list_id, reference) must be unique"
                )
            seen.add(entry.key)
        yield op, entry


def write_csv(rows: Iterable[tuple[str, Entry]], ops: bool = False) -> str:
    """The CSV text of (op, entry) rows, in the columns read_csv reads."""
    out = io.StringIO()
    names = [*COLUMNS, "op"] if ops else list(COLUMNS)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for op, entry in rows:
        cells = [getattr(entry, f.name) for f in fields(Entry)]
        writer.writerow([*cells, op] if ops else cells)
    return out.getvalue()
