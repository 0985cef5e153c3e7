"""`read_image`: locate, rectify, classify, and decode with the check digits via `mrz.parse`."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from mrz.checkdigit import neutral_pair
from mrz.correct import allowed_chars
from mrz.errors import MRZError
from mrz.formats import LAYOUTS, Kind
from mrz.image.classifier import ALPHABET, Classifier, Prediction, default_classifier
from mrz.image.locate import Grid, equalize, ink, iter_locate, rotate_grid, to_gray
from mrz.parser import _DOCUMENT_TYPES as DOCUMENT_TYPES
from mrz.parser import MRZResult, parse
from mrz.parser import Warning as ParseWarning

log = logging.getLogger(__name__)

# A character outside every check-digit-covered field that the classifier was less sure of
# than this keeps the read from being reported valid: names, codes, nationality and the
# composite-only optional data have no check digit of their own to catch a misread. On
# held-out small, blurred print (not the benchmark's seed) misread name and filler cells
# still reached 0.6-0.86, so the gate sits above them (see docs/mrz-images.md).
MIN_CONFIDENCE = 0.9
# Under a check digit the same: the check catches one misread, but not two or three whose
# errors cancel out (a rotated TD1 once read V->Y, O->0 and 8->B in its document number with
# both checks holding). A cell the classifier was torn about, or one the check-digit search
# changed against the classifier's reading, is a doubt wherever it is.
MIN_PROTECTED = 0.9


# The ways of looking at an image, tried in turn until one gives a valid read.
_VIEWS = (to_gray, ink, equalize)


def _colourful(image: np.ndarray) -> bool:
    """Whether some of the image is coloured (a stamp, a mark, tinted print): the spread
    between its channels, at the 99th percentile over a small copy, passes 40 grey levels."""
    import cv2

    if image.ndim != 3 or image.shape[2] < 3:
        return False
    scale = min(1.0, 256 / max(image.shape[:2]))
    small = cv2.resize(image[..., :3], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    spread = small.max(axis=2).astype(np.int16) - small.min(axis=2)
    return float(np.percentile(spread, 99)) > 40


@dataclass
class ImageRead:
    """What the reader saw in one image: the parsed MRZ (or none) and how it was read."""

    found: bool
    result: MRZResult | None = None
    lines: list[str] = field(default_factory=list)  # as classified, before any correction
    confidence: list[list[float]] = field(default_factory=list)  # per line, per character
    quad: list[list[float]] = field(default_factory=list)  # TL, TR, BR, BL in image pixels
    elapsed_ms: float = 0.0
    reader: str = "ours"
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.result is not None and self.result.valid

    def to_dict(self) -> dict[str, object]:
        """The #2 JSON keys plus `found` and `ocr` (the CLI's JSON line)."""
        out: dict[str, object] = {"found": self.found}
        if self.result is not None:
            out.update(self.result.to_dict())
        out["ocr"] = {
            "lines": self.lines,
            "confidence": [[round(c, 4) for c in line] for line in self.confidence],
            "quad": [[round(v, 1) for v in point] for point in self.quad],
            "elapsed_ms": round(self.elapsed_ms, 2),
            "reader": self.reader,
        }
        return out


def _text(pred: Prediction, grid: Grid) -> list[str]:
    n = grid.columns
    return ["".join(pred.chars[j * n : (j + 1) * n]) for j in range(grid.lines)]


def _candidates(pred: Prediction, grid: Grid) -> list[list[str]]:
    n = grid.columns
    return [pred.alternatives[j * n : (j + 1) * n] for j in range(grid.lines)]


def _score(result: MRZResult | None, pred: Prediction) -> tuple[int, float]:
    valid = 1 if result is not None and result.valid else 0
    return valid, float(np.mean(pred.confidence))


def _certain(result: MRZResult | None, pred: Prediction, grid: Grid) -> bool:
    """Whether a read that parsed is final though not valid: every cell read with at least
    MIN_CONFIDENCE, on a grid whose width is not in doubt. Another view or the other way up
    would read the same print, so the search stops (a specimen's wrong check digit)."""
    return result is not None and not grid.doubt and min(pred.confidence) >= MIN_CONFIDENCE


def read_image(
    image: np.ndarray | str | Path, *, classifier: Classifier | None = None
) -> ImageRead:
    """Find and read the MRZ in a BGR/grey array or an image file.

    Returns `found=False` when no MRZ-shaped text is in the image. Never reports a read as
    valid unless every check digit holds after the check-digit-guided correction.
    """
    start = time.perf_counter()
    if isinstance(image, str | Path):
        image = load(image)
    model = classifier or default_classifier()
    t_read = 0.0
    best: tuple[tuple[int, float], Grid, Prediction, MRZResult | None] | None = None
    # Later passes only when the ones before found nothing final, so they cost time on hard
    # images only: black ink alone (coloured print, stamps and marks drawn over the MRZ
    # fade), then a locally equalised copy (print under strong glare). Final is a valid read,
    # or a certain one (`_certain`): a document printed with a wrong check digit reads the
    # same through every view, and a read of the wrong way up is never certain.
    done = False
    for view in _VIEWS:
        if view is ink and not _colourful(image):
            continue  # the brightest channel of a grey picture is the picture
        attempt = view(image)
        for grid in iter_locate(attempt):
            for oriented in (grid, rotate_grid(grid)):
                t1 = time.perf_counter()
                pred = model.predict(oriented.cells)
                lines = _text(pred, oriented)
                try:
                    result: MRZResult | None = parse(lines, candidates=_candidates(pred, oriented))
                except MRZError:
                    result = None
                if result is not None and result.valid and oriented.doubt:
                    result.valid = False
                    result.warnings.append(ParseWarning("ocr", oriented.doubt))
                t_read += time.perf_counter() - t1
                score = _score(result, pred)
                if best is None or score > best[0]:
                    best = (score, oriented, pred, result)
                done = bool(score[0]) or _certain(result, pred, oriented)
                if done:
                    break  # this way up is final: the other way cannot be
            if done:
                break
        if done:
            break
    elapsed = (time.perf_counter() - start) * 1000
    timings = {"locate_ms": elapsed - t_read * 1000, "read_ms": t_read * 1000}
    if best is None:
        return ImageRead(False, elapsed_ms=elapsed, timings=timings)
    _, grid, pred, result = best
    if result is not None and not result.valid and not _looks_like_mrz(result, pred):
        log.debug("the best candidate reads like ordinary print, not an MRZ")
        return ImageRead(False, elapsed_ms=elapsed, timings=timings)
    n = grid.columns
    if result is not None and result.valid:
        _gate(result, pred, grid.lines, n)
    if result is not None and not result.valid:
        result = _as_read(result, _text(pred, grid))
    return ImageRead(
        found=result is not None,
        result=result,
        lines=_text(pred, grid),
        confidence=[pred.confidence[j * n : (j + 1) * n] for j in range(grid.lines)],
        quad=grid.quad.astype(float).tolist(),
        elapsed_ms=elapsed,
        timings=timings,
    )


def _as_read(result: MRZResult, lines: list[str]) -> MRZResult:
    """An invalid result with the characters as they were read, not as corrected.

    A correction is proven only when it makes every check digit hold. When the result is
    not valid anyway, the document may carry a wrong check digit as printed (specimens do),
    and changes made to satisfy some of its checks would show text that is not on it. Only
    the O/0 twins are settled by the field's class (a `0` in a name is an `O`), as the gate
    does, and only when most check digits hold: they confirm the layout whose fields say
    which twin belongs where (a French ID card read as a TD2 has names where a TD2 has
    dates).
    """
    allowed = _allowed(result.format)
    twins = {"0": "O", "O": "0"}
    settled = [
        "".join(
            twins[c]
            if c in twins
            and not allowed.get((j, i), _ANY)[_INDEX[c]]
            and allowed.get((j, i), _ANY)[_INDEX[twins[c]]]
            else c
            for i, c in enumerate(line)
        )
        for j, line in enumerate(lines)
    ]
    try:
        plain = parse(settled, strict=True)
        if sum(plain.checks.values()) * 2 <= len(plain.checks):
            plain = parse(lines, strict=True)
    except MRZError:
        return result
    if plain.format != result.format:
        return result
    plain.valid = False
    plain.warnings.extend(w for w in result.warnings if w.field == "ocr")
    return plain


# An MRZ read, even a damaged one, is read with near certainty on average (0.987 or more on
# the synthetic sets); lines of ordinary OCR-B print, whose word gaps are no MRZ character,
# stay below 0.9.
MRZ_LIKE_CONFIDENCE = 0.95


def _looks_like_mrz(result: MRZResult, pred: Prediction) -> bool:
    """Whether a read whose checks fail is still an MRZ (found) rather than other print.

    Most of its check digits hold, or its characters were read with near certainty.
    """
    holding = sum(result.checks.values())
    if holding * 2 > len(result.checks):
        return True
    return float(np.mean(pred.confidence)) >= MRZ_LIKE_CONFIDENCE


def _protected(format: str) -> set[tuple[int, int]]:
    """Positions of fields that carry their own check digit (and those digits)."""
    layout = LAYOUTS[format]
    out: set[tuple[int, int]] = set()
    for f in layout.fields:
        if f.check is not None:
            out.update((f.line, c) for c in range(f.start, f.stop))
            out.add((f.line, f.check))
    return out


# A name field as ICAO Doc 9303 writes it: name parts joined by single fillers, at most one
# `<<` between primary and secondary identifier, fillers only at the end.
_NAME_FORM = re.compile(r"[A-Z]+(<[A-Z]+)*(<<[A-Z]+(<[A-Z]+)*)?<*")


def _gate(result: MRZResult, pred: Prediction, lines: int, columns: int) -> None:
    """Withdraw `valid` when a character no check digit covers may be misread.

    That is: a country code is unknown or the document type does not fit the format; a name
    field does not have the form of names (a letter read in the run of fillers after the
    name); or a character is doubtful (`_doubtful`). The field's class counts as evidence
    only through the classifier's own probabilities for the characters it allows.
    """
    # Country codes and the document type have no check digit either; a code the parser
    # does not know, or a type that does not fit the format, is far more often a misread
    # than a new state.
    doubts = [w.message for w in result.warnings if w.field in ("issuing_state", "nationality")]
    if result.document_code[:1] not in DOCUMENT_TYPES[result.format]:
        doubts.append(f"{result.document_code!r} is not a {result.format} document type")
    if doubts:
        result.valid = False
        result.warnings.append(ParseWarning("ocr", f"{doubts[0]}: probably misread"))
        return
    for f in LAYOUTS[result.format].fields:
        if f.kind is Kind.NAME and not _NAME_FORM.fullmatch(result.lines[f.line][f.start : f.stop]):
            result.valid = False
            result.warnings.append(
                ParseWarning("ocr", f"line {f.line + 1}: the name field is not a well-formed name")
            )
            return
    low = _doubtful(result, pred, lines, columns)
    if low:
        where = ", ".join(f"line {j + 1} column {i + 1}" for j, i in low[:5])
        result.valid = False
        result.warnings.append(
            ParseWarning("ocr", f"{len(low)} character(s) read with low confidence: {where}")
        )


def _doubtful(
    result: MRZResult, pred: Prediction, lines: int, columns: int
) -> list[tuple[int, int]]:
    """Positions whose final character is not sure enough, given what the field allows.

    The classifier's probabilities are renormalised over the characters the field may hold
    (a name cannot hold `0`, so a cell read `0` 0.68 / `O` 0.31 in a name is an `O` at 0.97).
    Where no check digit covers the position, that share must reach MIN_CONFIDENCE; where
    one does, MIN_PROTECTED, and as the check cannot tell characters whose values differ by
    a multiple of 10 (G/Q, 0/A/K/U/<, ...), their share must stay below 1 - MIN_CONFIDENCE.
    """
    if pred.probs is None:
        return []
    protected = _protected(result.format)
    allowed = _allowed(result.format)
    out = []
    for j in range(lines):
        for i in range(columns):
            char = result.lines[j][i]
            mask = allowed.get((j, i), _ANY)
            p = _fold_twins(pred.probs[j * columns + i], mask)
            total = float(p[mask].sum()) or 1.0
            own = float(p[_INDEX[char]]) / total
            if (j, i) in protected:
                # Several misreads in one field can still satisfy its check digit (one time
                # in ten per check), so an unsure cell is a doubt there too; and a check
                # digit never tells apart characters whose values differ by ten.
                blind = _NEUTRAL[_INDEX[char]] & mask
                if own < MIN_PROTECTED or float(p[blind].sum()) / total > 1 - MIN_CONFIDENCE:
                    out.append((j, i))
            elif own < MIN_CONFIDENCE:
                out.append((j, i))
    return out


_INDEX = {c: k for k, c in enumerate(ALPHABET)}
# OCR-B draws letter O and digit 0 alike but for their width, which small print loses.
_TWINS = ((_INDEX["O"], _INDEX["0"]), (_INDEX["0"], _INDEX["O"]))


def _fold_twins(p: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`p` with the probability of a 0 in a field that holds no digits given to O (and of
    an O in a digit field to 0): there the field's class tells the twins apart."""
    out = p
    for keep, drop in _TWINS:
        if mask[keep] and not mask[drop]:
            out = out.copy()
            out[keep] += out[drop]
    return out


_ANY = np.ones(len(ALPHABET), bool)
# Per character: the other characters a check digit cannot tell from it.
_NEUTRAL = np.array([[a != b and neutral_pair(a, b) for b in ALPHABET] for a in ALPHABET])


@cache
def _allowed(format: str) -> dict[tuple[int, int], np.ndarray]:
    """Per position, a mask over ALPHABET of the characters it may hold."""
    layout = LAYOUTS[format]
    digit = np.array([c in "0123456789<" for c in ALPHABET])
    out = {(f.line, f.check): digit for f in layout.fields if f.check is not None}
    if layout.composite_at is not None:
        out[layout.composite_at] = digit
    for position, chars in allowed_chars(layout).items():
        out[position] = np.array([c in chars for c in ALPHABET])
    return out


def load(path: str | Path) -> np.ndarray:
    """An image file as a BGR array; `OSError` when it cannot be read as an image."""
    import cv2

    data = np.fromfile(str(path), np.uint8)  # raises OSError for a missing file
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise OSError(f"{path}: not an image file OpenCV can decode")
    return image
