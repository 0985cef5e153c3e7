"""Checking one traveller against the list: documents exactly, persons by name and birth.

Persons are found in two steps. Blocking: the traveller's name gives the same kind of keys
every listed person has in `name_keys` (skeleton pairs, skeleton + birth year ±1); the
entries sharing most keys are the candidates. Scoring: name parts are aligned one to one
(rapidfuzz's ratio, the skeleton and jellyfish's metaphone, a truncated MRZ stump), the
date of birth and nationality adjust the score, and every adjustment is a reason the
officer sees.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import jellyfish
from rapidfuzz import fuzz

from alerts.entries import COLUMNS, Entry, Traveller, normalise_number, normalise_state, parse_birth
from alerts.names import Name, mrz_form, pair_keys, skeletons, year_keys
from alerts.store import Store, parts_name


@dataclass(frozen=True)
class Thresholds:
    """From `[alerts]` in the configuration: a person is a hit at `person` (0-100) when
    the name alone reaches `name_min`, the name's paired parts reach both the listed
    surname and given names, and the name and the date of birth together give `evidence`
    bits (a rare name needs less from the date than a common one; see docs/alerts.md); at
    most `candidates` entries are scored per check."""

    person: float = 85.0
    name_min: float = 75.0
    candidates: int = 32
    evidence: float = 20.0


@dataclass(frozen=True)
class Hit:
    entry: Entry
    kind: str  # "document" or "person"
    score: float
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "score": round(self.score, 1),
            "action": self.entry.action,
            "list_id": self.entry.list_id,
            "reference": self.entry.reference,
            "reasons": self.reasons,
            "entry": asdict(self.entry),
        }


@lru_cache(maxsize=16384)
def _metaphone(part: str) -> str:
    return str(jellyfish.metaphone(part))


# Particles that are written joined to the name (ALHASSAN, ABDELRAHMAN, BINLADEN).
_JOINED = sorted(("AL", "EL", "UL", "ABD", "ABDUL", "ABDEL", "ABU", "ABOU", "BIN", "BEN",
                  "IBN"), key=len, reverse=True)  # fmt: skip


_VOWELS = frozenset("AEIOUY")
_VOWEL_RUN = re.compile(r"[AEIOUY]+")
_DOUBLE = re.compile(r"([B-DF-HJ-NP-TV-Z])\1+")


@lru_cache(maxsize=32768)
def _fold(part: str) -> str:
    """Every run of vowels as one A, doubled consonants single, an initial J read as Y (a
    vowel here): KAREEM -> KARAM, JUSUF -> ASAF."""
    if part.startswith("J"):
        part = "Y" + part[1:]
    return _VOWEL_RUN.sub("A", _DOUBLE.sub(r"\1", part))


PART_MIN = 80.0  # two parts less alike than this are different names

# Pinyin as Wade-Giles writes it (the MRZ drops its apostrophes): ZHOU/CHOU, XIAO/HSIAO,
# JIE/CHIEH, ZI/TZU, YONG/YUNG. In pinyin C, J, Q, X and Z only begin syllables, so the
# letters can be mapped anywhere in a joined given name (QIXUAN/CHIHSUAN). YANG/WANG or
# XIN/QIN stay apart.
_WADE = (("ZH", "CH"), ("X", "HS"), ("Q", "CH"), ("J", "CH"))
_WADE_TS = re.compile(r"[CZ](?!H)")
_WADE_FINALS = (("IEH", "IE"), ("ONG", "UNG"))


@lru_cache(maxsize=4096)
def wade_giles(text: str) -> str:
    """A pinyin name as Wade-Giles spells it (without apostrophes); a Wade-Giles name as
    it is."""
    for pinyin, wade in _WADE:
        text = text.replace(pinyin, wade)
    text = _WADE_TS.sub("TS", text)
    for pinyin, wade in _WADE_FINALS:
        text = text.replace(pinyin, wade)
    return text


@lru_cache(maxsize=32768)
def part_similarity(a: str, b: str) -> tuple[float, str]:
    """How alike two name parts are (0-100) and why ("" when equal)."""
    if a == b:
        return 100.0, ""
    ratio = fuzz.ratio(a, b)
    best, why = ratio, "spelling"
    fa, fb = _fold(a), _fold(b)
    # equal once folded (KAREEM, KARIM) is likely; merely close once folded is weak
    # (MAHMOUD, MOHAMMED are two names)
    # (an all-vowel fold says nothing: JIEYU and JIE both fold to A)
    folded = 90.0 if fa == fb and len(fa) >= 3 else 0.85 * fuzz.ratio(fa, fb)
    if folded > best:
        # romanisations differ most in vowels and doubled letters (KARIM/KAREEM, LI/LEE)
        best, why = folded, "vowels"
    short = min(a, b, key=len)
    if not set(short) & _VOWELS - {"Y"}:
        # written without vowels (Arabic script: MHMD, HSYN): the skeleton is all there is
        if set(skeletons(a)) & set(skeletons(b)):
            best, why = max(best, 88.0), "sounds alike"
    elif len(short) <= 2:
        # two letters leave ratio no room (LI/LEE, HE/HO): the skeleton and the first
        # letter must both agree
        if a[0] == b[0] and set(skeletons(a)) & set(skeletons(b)) and len(a) + len(b) <= 6:
            best, why = max(best, 80.0), "sounds alike"
    else:
        # a shared skeleton or metaphone lifts a spelling that is already close, never a
        # different name that happens to share its consonant classes (CHEN, XIN)
        shared = set(skeletons(a)) & set(skeletons(b))
        if shared and len(short) <= 4 and a[0] == b[0] and ratio >= 70:
            # short parts only when they begin alike (IWAN/IVAN; not YANG/WANG, JUN/YUN)
            best, why = max(best, min(90.0, ratio + 15)), "sounds alike"
        elif shared and len(short) >= 5:
            # short syllables share their few consonants by chance (YANG, WANG; JUN, YUN)
            # four consonant classes or more in the same order is strong evidence
            # (CHRUSCHTSCHOW/KHRUSHCHEV: KRSP); two or three is common (MT, SN)
            # but only for spellings that are already half alike (XINQIANG, JUNGUANG are not)
            strong = max(map(len, shared)) >= 4 and ratio >= 55
            lifted = max(ratio + 25, 85.0) if strong else ratio + 15
            if min(90.0, lifted) > best and ratio >= 60:
                best, why = min(90.0, lifted), "sounds alike"
        if _metaphone(a) == _metaphone(b) and min(88.0, ratio + 20) > best and ratio >= 60:
            best, why = min(88.0, ratio + 20), "sounds alike"
    if best < 90 and wade_giles(a) == wade_giles(b):
        best, why = 90.0, "Wade-Giles"
    for x, y in ((a, b), (b, a)):
        # a particle written together with the name (ALHASSAN, ABDULRAHMAN, BINLADEN)
        for particle in _JOINED:
            if x.startswith(particle) and len(x) - len(particle) >= 3:
                rest, _ = part_similarity(x[len(particle) :], y)
                if rest * 0.97 > best:
                    best, why = rest * 0.97, f"without {particle}"
                break
    return best, why


@dataclass(frozen=True)
class Alignment:
    """Two names' parts paired one to one: the score (0-100), the officer's account of it,
    the pairs (traveller's part index, listed part index, similarity) and whether the
    pairs reach both the listed surname and the listed given names (a surname alone, or a
    given name alone, is shared by too many people to name one)."""

    score: float
    text: str
    pairs: tuple[tuple[int, int, float], ...] = ()
    both: bool = False


def align(query: Name, listed: Name, stump: bool = False) -> Alignment:
    """Pair the traveller's name parts with the listed ones (see `name_score`)."""
    q, e = query.parts, listed.parts
    if not q or not e:
        return Alignment(0.0, "")
    pairs = []
    for i, a in enumerate(q):
        for j, b in enumerate(e):
            sim, why = part_similarity(a, b)
            if stump and (i == len(q) - 1) and len(a) >= 2 and b.startswith(a) and sim < 95:
                sim, why = 95.0, "truncated"
            pairs.append((sim, i, j, why))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_e: set[int] = set()
    chosen: list[tuple[int, int, float]] = []
    total = 0.0
    notes = []
    for sim, i, j, why in pairs:
        if i in used_q or j in used_e or sim < PART_MIN:
            continue
        used_q.add(i)
        used_e.add(j)
        chosen.append((i, j, sim))
        total += sim
        notes.append(f"{q[i]}~{e[j]} ({why})" if why else q[i])
    # a part the list has and the document lacks is common (MRZs drop patronymics and
    # middle names); a part only the document has counts more against
    matched = len(used_q)
    weight = matched + (len(q) - matched) * 0.5 + (len(e) - matched) * 0.25
    aligned = min(100.0, total / weight) if weight else 0.0
    surname_j = set(range(len(listed.surname)))
    both = bool(used_e & surname_j or not listed.surname) and bool(
        used_e - surname_j or not listed.given
    )
    if not (query.surname and query.given):
        both = both or bool(used_e)  # the document holds one name only (a truncated MRZ)
    joined_q = "".join(q)
    swapped_q = "".join([*query.given, *query.surname])
    joined_e = "".join(e)
    joined = 0.0
    if len(q) != len(e):  # one side wrote two parts as one (ABDUL RAHMAN, ABDULRAHMAN)
        joined = max(fuzz.ratio(joined_q, joined_e), fuzz.ratio(swapped_q, joined_e))
        if joined < 95 and wade_giles(joined_e) in (wade_giles(joined_q), wade_giles(swapped_q)):
            joined = 95.0  # and spelled it in Wade-Giles (JUNMIN, CHUN MIN)
    if joined >= 95 and joined > aligned:
        every = tuple((0, j, joined) for j in range(len(e)))
        return Alignment(joined, f"{joined_q}~{joined_e} (written together)", every, True)
    missing = [e[j] for j in range(len(e)) if j not in used_e]
    extra = [q[i] for i in range(len(q)) if i not in used_q]
    text = ", ".join(notes)
    if missing:
        text += f"; listed only: {' '.join(missing)}"
    if extra:
        text += f"; read only: {' '.join(extra)}"
    return Alignment(aligned, text, tuple(chosen), both)


def name_score(query: Name, listed: Name, stump: bool = False) -> tuple[float, str]:
    """0-100 for two names, with a short account of how the parts were paired."""
    found = align(query, listed, stump)
    return found.score, found.text


# What each kind of agreement of the dates of birth adds to the score (0-100 scale) and how
# much it tells apart (bits: about -log2 of the chance that two people drawn at random agree
# so, with listed dates spread over some 65 years; a year apart and a partial date are
# weighed lower than chance alone, as the bench's seed 1 showed them to be the loosest).
# "different" rules a person out.
_DATES: dict[str, tuple[float, float]] = {
    "same": (10.0, 14.5),
    "swapped": (6.0, 12.5),
    "day": (2.0, 12.5),
    "year": (0.0, 6.0),
    "partial": (0.0, 3.0),
    "partial year": (-20.0, 4.0),
    "none": (0.0, 0.0),
    "different": (-25.0, 0.0),
}


def birth_agreement(traveller: str, listed: str) -> tuple[str, str | None]:
    """How the dates of birth agree (a key of `_DATES`) and the officer's reason."""
    try:
        t, e = parse_birth(traveller), parse_birth(listed)
    except ValueError:
        return "none", None
    if t is None or e is None:
        return "none", "no date of birth to compare" if e is None else None
    (ty, tm, td), (ey, em, ed) = t, e
    if None not in (tm, td, em, ed):
        if (ty, tm, td) == (ey, em, ed):
            return "same", f"born {listed}: same date"
        if ty == ey and (tm, td) == (ed, em):
            return "swapped", f"born {listed}: day and month swapped"
        if ty == ey and tm == em and abs(int(td or 0) - int(ed or 0)) == 1:
            return "day", f"born {listed}: one day apart"
        if (tm, td) == (em, ed) and abs(ty - ey) == 1:
            return "year", f"born {listed}: one year apart"
        return "different", f"born {listed}, traveller {traveller}: different dates"
    if ty == ey and (em is None or tm is None or em == tm):
        return "partial", f"born {listed} (partial): agrees"
    if abs(ty - ey) == 1 and (em is None or tm is None):
        return "partial year", f"born {listed} (partial): one year apart"
    return "different", f"born {listed}, traveller {traveller}: different dates"


def birth_adjustment(traveller: str, listed: str) -> tuple[float, str | None]:
    """Points for the date of birth and the reason: exact, partial, off by one, swapped."""
    kind, why = birth_agreement(traveller, listed)
    return _DATES[kind][0], why


# Tuned on the bench's seed 1 (bench/alerts_bench.py --seed 1), reported on seed 2.
FUZZY_BITS = 4.0  # a part that agrees only in spelling is worth this much less than an equal one
LISTED_ONLY_BITS = 1.0  # a listed part the document lacks (a dropped middle name)
READ_ONLY_BITS = 6.0  # a part on the document the list lacks


# A short list says little about how common a name is: shares are taken of at least this
# many persons, so in a list of forty every part seen once counts as rare.
PRIOR_PERSONS = 100_000


def part_bits(count: int, persons: int) -> float:
    """How much one name part tells apart: -log2 of its share of the listed persons (a part
    the list does not hold, such as a truncated stump, counts as held once)."""
    persons = max(persons, PRIOR_PERSONS)
    return math.log2(persons / max(min(count, persons), 1))


def name_evidence(
    query: Name, listed: Name, found: Alignment, counts: dict[str, int], persons: int
) -> tuple[float, list[str]]:
    """Bits of evidence the name gives that the traveller is this listed person: the rarer
    the parts that agree, the more; spelling-only agreement and unpaired parts cost."""
    bits = 0.0
    notes = []
    listed_parts = listed.parts
    for _, j, sim in found.pairs:
        part = listed_parts[j]
        share = part_bits(counts.get(part, 0), persons)
        bits += max(0.0, share - FUZZY_BITS * (100 - sim) / 20)
        notes.append(f"{part} {share:.0f}")
    bits -= LISTED_ONLY_BITS * (len(listed_parts) - len(found.pairs))
    bits -= READ_ONLY_BITS * max(0, len(query.parts) - len(found.pairs))
    return bits, notes


class Matcher:
    """Checks travellers against one store. Cheap to keep for the kiosk's lifetime."""

    def __init__(self, store: Store, thresholds: Thresholds | None = None) -> None:
        self.store = store
        self.thresholds = thresholds or Thresholds()

    def check(self, traveller: Traveller) -> list[Hit]:
        """Every hit for this traveller, best first (documents before persons)."""
        hits = self.check_document(traveller)
        seen = {hit.entry.key for hit in hits}
        hits += [h for h in self.check_person(traveller) if h.entry.key not in seen]
        return hits

    def check_document(self, traveller: Traveller) -> list[Hit]:
        number = normalise_number(traveller.doc_number)
        if not number:
            return []
        rows = self.store.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM entries WHERE doc_number = ? "
            "AND doc_number != ''",  # lets SQLite use the partial index
            (number,),
        ).fetchall()
        state = normalise_state(traveller.doc_state)
        kind = traveller.doc_type.upper().replace("<", "")[:1]
        hits = []
        for row in rows:
            entry = Entry(*row)
            if entry.doc_state and state and entry.doc_state != state:
                continue
            if entry.doc_type and kind and entry.doc_type[:1] != kind:
                continue
            reasons = [f"document number {number} is listed"]
            reasons.append(
                f"issuing state {entry.doc_state}" if entry.doc_state else "any issuing state"
            )
            if entry.doc_type:
                reasons.append(f"document type {entry.doc_type}")
            hits.append(Hit(entry, "document", 100.0, reasons))
        return hits

    def candidates(self, query: Name, birth_date: str) -> list[int]:
        """Ids of the listed persons sharing most blocking keys with the traveller."""
        parts = query.parts
        try:
            birth = parse_birth(birth_date)
        except ValueError:
            birth = None
        if birth:
            years = [birth[0] - 1, birth[0], birth[0] + 1]
            keys = pair_keys(parts, [0, *years]) | year_keys(parts, years)
        else:  # no date to go by: every year a listed person may carry
            keys = pair_keys(parts, [0, *range(1900, dt.date.today().year + 1)])
        if not keys:
            return []
        marks = ", ".join("?" * len(keys))
        dates = self._compatible_dates(birth)
        where = ""
        if dates is not None:
            where = f" AND birth IN ({', '.join('?' * len(dates))})"
        rows = self.store.conn.execute(
            f"SELECT id FROM name_keys WHERE k IN ({marks}){where} "
            "GROUP BY id ORDER BY count(*) DESC LIMIT ?",
            (*keys, *(dates or ()), self.thresholds.candidates),
        ).fetchall()
        return [row[0] for row in rows]

    def _compatible_dates(
        self, birth: tuple[int, int | None, int | None] | None
    ) -> list[str] | None:
        """The listed dates of birth that can still reach the threshold beside the
        traveller's (the same, day and month swapped, a day or a year apart, a partial date
        that agrees, none): the rest cost more points than any name gives. None when the
        traveller's date is not a full one or the threshold is low enough for anything."""
        if birth is None or None in birth or self.thresholds.person <= 100 - 20 + 2:
            return None
        y, m, d = birth
        assert m is not None and d is not None
        dates = {f"{y:04d}-{m:02d}-{d:02d}", f"{y:04d}-{m:02d}", f"{y:04d}", ""}
        for year, month, day in ((y, d, m), (y, m, d - 1), (y, m, d + 1), (y - 1, m, d),
                                 (y + 1, m, d)):  # fmt: skip
            try:
                dates.add(dt.date(year, month, day).isoformat())
            except ValueError:
                continue
        return sorted(dates)

    def check_person(self, traveller: Traveller) -> list[Hit]:
        query = Name.of(traveller.surname, traveller.given_names)
        if not query.parts:
            return []
        ids = self.candidates(query, traveller.birth_date)
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = self.store.conn.execute(
            f"SELECT {', '.join(COLUMNS)}, parts FROM entries WHERE id IN ({marks})", ids
        ).fetchall()
        stump = False
        if traveller.name_field:
            field_text = "<".join(query.surname) + "<<" + "<".join(query.given)
            stump = len(field_text) >= traveller.name_field
        names = [parts_name(row[-1]) for row in rows]
        counts = self.store.part_counts(part for name in names for part in name.parts)
        persons = self.store.persons()
        hits = []
        for row, listed in zip(rows, names, strict=True):
            entry = Entry(*row[:-1])
            if stump and traveller.name_field:
                listed = Name(
                    *map(tuple, mrz_form(entry.surname, entry.given_names, traveller.name_field))
                )
            hit = self._score(traveller, query, entry, listed, stump, counts, persons)
            if hit is not None:
                hits.append(hit)
        hits.sort(key=lambda h: -h.score)
        return hits

    def _score(
        self,
        traveller: Traveller,
        query: Name,
        entry: Entry,
        listed: Name,
        stump: bool,
        counts: dict[str, int],
        persons: int,
    ) -> Hit | None:
        kind, why = birth_agreement(traveller.birth_date, entry.birth_date)
        points, date_bits = _DATES[kind]
        if 100 + points + 2 < self.thresholds.person:
            return None  # the dates rule it out whatever the name: skip the name's cost
        found = align(query, listed, stump)
        name = found.score
        if name < self.thresholds.name_min or not found.both:
            return None
        bits, notes = name_evidence(query, listed, found, counts, persons)
        if bits + date_bits < self.thresholds.evidence:
            return None  # a common name with a date that agrees only loosely
        reasons = [f"name {name:.0f}: {found.text}"]
        score = name + points
        if why:
            reasons.append(why)
        reasons.append(
            f"evidence {bits + date_bits:.0f} bits: name {bits:.0f} (rarity of "
            f"{', '.join(notes)}), date {date_bits:.0f}"
        )
        if traveller.nationality and entry.nationality:
            if normalise_state(traveller.nationality) == entry.nationality:
                score += 2
                reasons.append(f"nationality {entry.nationality}: same")
            else:
                score -= 3
                reasons.append(
                    f"nationality {entry.nationality}, traveller {traveller.nationality} (a hint)"
                )
        if traveller.sex in ("M", "F") and entry.sex in ("M", "F") and traveller.sex != entry.sex:
            score -= 10
            reasons.append(f"sex {entry.sex}, traveller {traveller.sex}")
        score = max(0.0, min(100.0, score))
        if score < self.thresholds.person:
            return None
        return Hit(entry, "person", score, reasons)
