"""Names as the MRZ would print them, and the phonetic keys that block candidates.

A name written from Arabic, Cyrillic, Ge'ez or Chinese has many Latin spellings; the MRZ
also drops apostrophes, turns hyphens and spaces into fillers and truncates long names. So
both the listed name and the traveller's are brought to the same form:

1. transliterated to Latin ASCII (`anyascii`; Chinese characters one syllable each),
2. upper case, apostrophes dropped, everything else that is not A-Z a separator,
3. particles dropped (AL, EL, BIN, ABD, VAN ...; also AL- joined to the name as a second
   form), as the MRZ often does and lists often do not.

Each name part then gets a consonant *skeleton*: vowels, H, W and Y dropped, letters that
romanisations swap folded into one class (B/P/F/V, C/G/K/Q, S/Z/SH/CH/J, D/T/TH/DH), runs
collapsed. MUHAMMAD, MOHAMED and Arabic script's unvocalised "mhmd" all give "MT". The
skeleton blocks candidates; rapidfuzz and jellyfish's metaphone score them.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

# Dropped when they stand alone (the MRZ and many lists disagree about them).
PARTICLES = frozenset(
    [
        "AL",
        "EL",
        "UL",
        "AR",
        "AS",
        "AD",
        "AN",
        "AZ",
        "ASH",
        "AT",
        "ABD",
        "ABDUL",
        "ABDEL",
        "ABOU",
        "ABU",
        "BIN",
        "BINT",
        "BINTI",
        "BEN",
        "IBN",
        "UMM",
        "OULD",
        "DE",
        "DA",
        "DI",
        "DO",
        "DOS",
        "DAS",
        "DEL",
        "DELA",
        "DELLA",
        "DER",
        "DEN",
        "DU",
        "VAN",
        "VON",
        "LA",
        "LE",
        "LOS",
        "LAS",
        "Y",
    ]
)
# Joined articles ("ALHASSAN") also give the name without them as a second form.
_JOINED_ARTICLE = re.compile(r"^(?:AL|EL|UL)(?=[A-Z]{4})")
_APOSTROPHES = "'’‘`´ʼʻ"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u3040-\u30ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_NOT_LETTER = re.compile(r"[^A-Z]+")

# Longest first: each digraph becomes one letter of its class.
_DIGRAPHS = (
    ("TSCH", "S"),
    ("SHCH", "S"),
    ("TCH", "S"),
    ("SCH", "S"),
    ("DZH", "S"),
    ("CH", "S"),
    ("CZ", "S"),
    ("SZ", "S"),
    ("SH", "S"),
    ("ZH", "S"),
    ("DJ", "S"),
    ("DZ", "S"),
    ("TS", "S"),
    ("TZ", "S"),
    ("KH", "K"),
    ("GH", "K"),
    ("CK", "K"),
    ("PH", "P"),
    ("TH", "T"),
    ("DH", "T"),
)
_CLASS = str.maketrans(
    {
        **dict.fromkeys("AEIOUYWH", ""),
        **dict.fromkeys("BPFV", "P"),
        **dict.fromkeys("GKQCX", "K"),
        **dict.fromkeys("SZJ", "S"),
        **dict.fromkeys("DT", "T"),
    }
)


def to_ascii(text: str) -> str:
    """Latin ASCII, upper case, apostrophes removed; CJK characters one syllable each."""
    if text.isascii():
        return text.upper().replace("'", "").replace("`", "")
    text = unicodedata.normalize("NFC", text)
    if _CJK.search(text):
        text = _CJK.sub(lambda m: f" {anyascii(m.group())} ", text)
    arabic = bool(_ARABIC.search(text))
    for mark in _APOSTROPHES:
        text = text.replace(mark, "")
    out = anyascii(text).upper().replace("`", "").replace("'", "")
    if arabic:
        # anyascii writes the article al- as a bare "l" joined to the word, and the script
        # has no short vowels: abd, ibn and Abdullah come out as BD, BN, BD LLH.
        out = re.sub(r"\bBD LLH\b", "ABDULLAH", out)
        words = [w[1:] if w.startswith("L") and len(w) >= 4 else w for w in out.split()]
        out = " ".join({"BD": "ABD", "BN": "BIN"}.get(w, w) for w in words)
    return out


def tokens(text: str) -> list[str]:
    """The name's parts as the MRZ would print them, particles dropped."""
    parts = [p for p in _NOT_LETTER.split(to_ascii(text)) if p]
    kept = [p for p in parts if p not in PARTICLES]
    return kept or parts


def mrz_form(surname: str, given: str, length: int) -> tuple[list[str], list[str]]:
    """The name as an MRZ field of `length` characters prints it: SURNAME<<GIVEN<NAMES,
    cut at the field's end (the last part may be a stump)."""
    sur = [p for p in _NOT_LETTER.split(to_ascii(surname)) if p]
    giv = [p for p in _NOT_LETTER.split(to_ascii(given)) if p]
    field = ("<".join(sur) + "<<" + "<".join(giv))[:length]
    head, _, tail = field.partition("<<")
    keep = lambda ps: [p for p in ps if p and p not in PARTICLES] or [p for p in ps if p]  # noqa: E731
    return keep(head.split("<")), keep(tail.split("<"))


_READINGS = (
    (re.compile("J"), "Y"),
    (re.compile("(?<![STH])CH"), "KH"),
    (re.compile("KH"), "H"),
    (re.compile("W"), "V"),
    (re.compile("C(?![HKZ])"), "S"),
    (re.compile("X"), "S"),  # pinyin X is Wade-Giles HS (Xiao, Hsiao; Weixin, Weihsin)
)


_DIGRAPH = re.compile("|".join(d for d, _ in _DIGRAPHS))  # longest first wins
_DIGRAPH_LETTER = {d: letter.lower() for d, letter in _DIGRAPHS}
_RUNS = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)
def skeletons(token: str) -> tuple[str, ...]:
    """The consonant skeleton(s) of one name part, one per way its letters may read: J is Y
    in Jusuf/Jewgeni/Dmitrij, CH is KH in German (Chruschtschow), Cyrillic X gives KH for
    the Arabic H (Mukhammad), W is V in German (Iwanow), C is TS (Kuznecov), an initial
    X is pinyin's HS."""
    forms = {token}
    for pattern, replacement in _READINGS:
        if pattern.search(token):
            forms |= {pattern.sub(replacement, form) for form in forms}
    result = set()
    for form in forms:
        form = _DIGRAPH.sub(lambda m: _DIGRAPH_LETTER[m.group()], form)
        form = form.upper().translate(_CLASS)
        result.add(_RUNS.sub(r"\1", form) or "_" + token[:1])
    return tuple(sorted(result))


@lru_cache(maxsize=65536)
def _codes(token: str) -> tuple[tuple[int, bool], ...]:
    """(32-bit code, long enough for a year key) of each skeleton of a part."""
    return tuple((zlib.crc32(s.encode()), len(s) >= 2) for s in skeletons(token))


def units(parts: list[str]) -> list[tuple[str, int]]:
    """The parts, adjacent parts joined (ABDUL RAHMAN ~ ABDULRAHMAN), joined articles
    stripped (ALHASSAN ~ HASSAN): every form a part may take on the other side, each with
    the bit set of the parts it covers."""
    parts = parts[:6]
    out = [(p, 1 << i) for i, p in enumerate(parts)]
    out += [(a + b, 3 << i) for i, (a, b) in enumerate(itertools.pairwise(parts))]
    out += [
        (_JOINED_ARTICLE.sub("", p), 1 << i)
        for i, p in enumerate(parts)
        if _JOINED_ARTICLE.match(p)
    ]
    return out


def _key(high: int, low: int) -> int:
    """Two 32-bit codes as one signed 64-bit SQLite integer."""
    value = (high << 32) | low
    return value - (1 << 64) if value >= 1 << 63 else value


def pair_keys(parts: list[str], years: Iterable[int] = (0,)) -> set[int]:
    """Unordered pairs of skeletons of two different name forms (swapped names, a missing
    middle name or a truncated last part still leave a pair in common), each bound to a
    birth year (0: unknown). A listed person born more than a year from the traveller can
    never score a hit (the dates cost more than a name can give), so blocking by year
    loses nothing and keeps common names from crowding the candidates."""
    forms = [(_codes(u), covers) for u, covers in units(parts)]
    pairs = set()
    if len(parts) == 1:
        pairs = {(a, a) for codes, _ in forms for a, _ in codes}
    for i, (first, covers) in enumerate(forms):
        for second, other in forms[i + 1 :]:
            if covers & other:
                continue  # a joined form and its own part: never both on one document
            for a, _ in first:
                for b, _ in second:
                    pairs.add((a, b) if a <= b else (b, a))
    return {_key(zlib.crc32(b"%d" % year, a), b) for year in years for a, b in pairs}


_YEAR = 0x7E570000  # year keys: the low word is this plus the year


def year_keys(parts: list[str], years: list[int]) -> set[int]:
    """One skeleton with a birth year: finds a listed person when only one name part
    survives the romanisation but the year agrees."""
    codes = {code for part in parts[:6] for code, long in _codes(part) if long}
    return {_key(code, _YEAR + year) for code in codes for year in years}


@dataclass(frozen=True)
class Name:
    """A person's name ready to compare: parts (surname first) and their skeletons."""

    surname: tuple[str, ...]
    given: tuple[str, ...]

    @classmethod
    def of(cls, surname: str, given: str) -> Name:
        return cls(
            tuple(tokens(surname)) if surname.strip() else (),
            tuple(tokens(given)) if given.strip() else (),
        )

    @property
    def parts(self) -> list[str]:
        return [*self.surname, *self.given]
