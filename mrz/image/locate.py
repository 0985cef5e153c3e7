"""Find the MRZ in an image and cut it into character cells.

Why this way: the MRZ is two or three long, parallel lines of a fixed-pitch font. Morphology on
a downscaled copy finds those lines cheaply whatever the position and rotation; connected
components in a deskewed strip then give the centres of the first and last characters of each
line, and a homography through them maps every character onto a regular grid, which undoes
rotation, perspective and scale at once. Cells are cut from the full-resolution image.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from mrz.errors import MRZError

log = logging.getLogger(__name__)

PITCH = 16  # canonical cell width in pixels
CELL_H = 24  # canonical cell height in pixels
LOCATE_SIZE = 1024  # the longer side of the image the locator works on
_WIDTHS = {3: (30,), 2: (36, 44)}
# The first character's centre lies this many pitches inside a located line's left end.
_LEFT_INSET = 0.45
# No character is larger than this share of the image's longer side (an MRZ line of 30
# characters filling the image has characters of about 1/25 of it).
_MAX_GLYPH = 0.08


@dataclass
class Grid:
    """One MRZ candidate, rectified: its cells and where it lies in the image."""

    cells: np.ndarray  # (lines * columns, CELL_H, PITCH) uint8, reading order
    lines: int
    columns: int
    quad: np.ndarray  # 4x2 float32 corners in the input image (TL, TR, BR, BL of the text)
    # Why the width cannot be trusted (print fading out at the right end of a 36-column
    # read, where a 44-column MRZ's last fillers may be lost), or "" when it can.
    doubt: str = ""


@dataclass
class _Line:
    box: np.ndarray  # 4x2 corners in locator coordinates
    centre: np.ndarray
    angle: float  # radians, of the long axis, in (-pi/2, pi/2]
    length: float
    thickness: float


def to_gray(image: np.ndarray) -> np.ndarray:
    """Greyscale uint8 from grey, BGR or BGRA input (luminance)."""
    if image.ndim == 2:
        gray = image
    elif image.ndim == 3 and image.shape[2] == 3:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 4:
        gray = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    else:
        raise MRZError(f"an image must be grey, BGR or BGRA, not of shape {image.shape}")
    if gray.dtype != np.uint8:
        gray = cv2.normalize(gray, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)  # type: ignore[call-overload]
    return gray


def _print_mask(small: np.ndarray) -> np.ndarray:
    """Dark print on its lighter surroundings, binarised (the locator's input)."""
    # A light blur first: sensor noise on small print otherwise passes the threshold as
    # speckle that glues everything into one blob.
    smooth = cv2.GaussianBlur(small, (0, 0), 1.0)
    dark = cv2.morphologyEx(
        smooth, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    )
    _, binary = cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Drop what is far larger than any character (a card's printed frame, rules, the
    # portrait's edges): the closing would otherwise join the MRZ lines to them.
    _, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    big = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    drop = big > _MAX_GLYPH * max(binary.shape)
    drop[0] = False
    for i in np.flatnonzero(drop):  # few, so one box each beats a lookup over every pixel
        x, y, w, h = stats[i, :4]
        box = binary[y : y + h, x : x + w]
        box[labels[y : y + h, x : x + w] == i] = 0
    return np.asarray(binary)


def _line_blobs(binary: np.ndarray, kernel: tuple[int, int] = (21, 1)) -> list[_Line]:
    """Long text lines in the print mask, as rotated rectangles.

    `kernel` is the closing that joins characters into lines: (21, 1) for lines across the
    image, (1, 21) for lines up it (a page turned by 90 degrees).
    """
    size = max(binary.shape)
    mask = cv2.morphologyEx(
        binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, kernel)
    )
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    # Every contour, not only the outer ones: a frame printed round the page would
    # otherwise hide everything inside it.
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    pieces = []
    for contour in contours:
        line = _as_line(cv2.minAreaRect(contour))
        if (
            line.length >= size * 0.03
            and line.thickness >= 4
            and line.length / line.thickness >= 2.5
        ):
            pieces.append(line)
    return [
        line
        for line in _merge_collinear(pieces)
        if line.length >= size * 0.15 and line.length / line.thickness >= 8
    ]


def _as_line(rect: tuple[Sequence[float], Sequence[float], float]) -> _Line:
    (cx, cy), (w, h), angle = rect
    if w < h:
        w, h, angle = h, w, angle + 90.0
    rad = np.deg2rad(angle)
    rad = (rad + np.pi / 2) % np.pi - np.pi / 2
    box = cv2.boxPoints(((cx, cy), (w, h), np.rad2deg(rad)))
    return _Line(box, np.array([cx, cy]), float(rad), float(w), float(h))


def _merge_collinear(lines: list[_Line]) -> list[_Line]:
    """Join pieces of one text line that a glare spot or a gap cut apart.

    Greedy, longest first: the first pair (in that order) that lies on one line is joined,
    and the search starts again. The pairwise tests are kept in a matrix of which only the
    joined piece's row and column change, so a page full of print (hundreds of pieces) costs
    milliseconds, not a Python loop over every pair after every join.
    """
    lines = sorted(lines, key=lambda line: -line.length)
    n = len(lines)
    if n < 2:
        return lines
    angle = np.array([line.angle for line in lines])
    centre = np.array([line.centre for line in lines], np.float64)
    length = np.array([line.length for line in lines])
    thick = np.array([line.thickness for line in lines])

    def joins(a: int, others: np.ndarray, long_first: bool) -> np.ndarray:
        """Whether piece `a` and each of `others` lie on one line; `long_first`: `a` is
        the earlier (longer) of each pair, whose axis the test measures along."""
        if long_first:
            la, lo = np.full(len(others), a), others
        else:
            la, lo = others, np.full(len(others), a)
        d_angle = np.abs((angle[lo] - angle[la] + np.pi / 2) % np.pi - np.pi / 2)
        offset = centre[lo] - centre[la]
        cos, sin = np.cos(angle[la]), np.sin(angle[la])
        across = np.abs(offset[:, 0] * -sin + offset[:, 1] * cos)
        gap = np.abs(offset[:, 0] * cos + offset[:, 1] * sin) - (length[la] + length[lo]) / 2
        big = np.maximum(thick[la], thick[lo])
        return (d_angle < 0.1) & (across < 0.4 * big) & (gap < 3 * big)

    alive = np.ones(n, bool)
    pairs = np.zeros((n, n), bool)  # pairs[a, b], a < b: a and b lie on one line
    for a in range(n - 1):
        pairs[a, a + 1 :] = joins(a, np.arange(a + 1, n), True)
    while True:
        flat = np.flatnonzero(pairs)
        if not len(flat):
            break
        a, b = divmod(int(flat[0]), n)
        points = np.concatenate([lines[a].box, lines[b].box]).astype(np.float32)
        lines[a] = _as_line(cv2.minAreaRect(points))
        angle[a], centre[a] = lines[a].angle, lines[a].centre
        length[a], thick[a] = lines[a].length, lines[a].thickness
        alive[b] = False
        pairs[b, :] = False
        pairs[:, b] = False
        later = np.flatnonzero(alive[a + 1 :]) + a + 1
        earlier = np.flatnonzero(alive[:a])
        pairs[a, :] = False
        pairs[a, later] = joins(a, later, True)
        pairs[earlier, a] = joins(a, earlier, False)
    return [line for line, keep in zip(lines, alive, strict=True) if keep]


def _groups(lines: list[_Line]) -> list[list[_Line]]:
    """Sets of two or three parallel, equally long, adjacent lines: MRZ candidates."""
    lines = sorted(lines, key=lambda line: -line.length)
    groups: list[list[_Line]] = []
    for seed in lines:
        direction = np.array([np.cos(seed.angle), np.sin(seed.angle)])
        normal = np.array([-direction[1], direction[0]])
        members = []
        for other in lines:
            d_angle = abs((other.angle - seed.angle + np.pi / 2) % np.pi - np.pi / 2)
            offset = other.centre - seed.centre
            along, across = float(offset @ direction), float(offset @ normal)
            if (
                d_angle < 0.08
                and abs(other.length - seed.length) < 0.2 * seed.length
                and abs(along) < 0.15 * seed.length
                and abs(across) < 3.5 * 2 * seed.thickness
            ):
                members.append((across, other))
        members.sort(key=lambda m: m[0])
        found = [m[1] for m in members]
        # A printed line next to a two-line MRZ can join its group: try the pairs too.
        options = [found] if len(found) in (2, 3) else []
        if len(found) == 3:
            options += [found[:2], found[1:]]
        for group in options:
            if not any({id(x) for x in group} == {id(x) for x in g} for g in groups):
                groups.append(group)
    # Evenly spaced groups first: an MRZ's lines stand about two line heights apart, while a
    # thick line (a heading, a band of print) gathers lines from much farther off. The
    # reader stops at the first final read, so the MRZ's own group costs no detours.
    return sorted(groups, key=lambda group: _spread(group) > _MAX_SPREAD)


# The gap between adjacent lines of a group over their mean thickness (the located line
# blobs are about a cap height and a few pixels thick): 1.3-2.3 in the MRZs of the real set,
# 0.9-1.7 in renderings.
_MAX_SPREAD = 3.0


def _spread(group: list[_Line]) -> float:
    """The widest gap between adjacent lines of the group, in their mean thickness."""
    normal = np.array([-np.sin(group[0].angle), np.cos(group[0].angle)])
    spread = 0.0
    for a, b in itertools.pairwise(group):
        gap = abs(float((b.centre - a.centre) @ normal))
        spread = max(spread, gap / ((a.thickness + b.thickness) / 2))
    return spread


def _components(binary: np.ndarray, dark: np.ndarray, char_h: float) -> np.ndarray:
    """Character-sized blobs as rows (x centre, y centre, width, height, contrast).

    Contrast is the blob's strongest black-hat response: how much darker than its
    surroundings the print is (it fades towards a glare spot).
    """
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    x, y, w, h, area = (stats[1:, k] for k in range(5))
    # Wide blobs stay: characters that touch (bold print, bleeding ink) make one blob,
    # which `_split_wide` cuts apart once the pitch is known.
    keep = np.flatnonzero(
        (0.25 * char_h <= h) & (h <= 1.6 * char_h) & (w <= 8 * char_h) & (area >= 4)
    )
    rows = [
        (
            x[i] + w[i] / 2,
            y[i] + h[i] / 2,
            w[i],
            h[i],
            float(dark[y[i] : y[i] + h[i], x[i] : x[i] + w[i]].max()),
        )
        for i in keep
    ]
    return np.array(rows, np.float64).reshape(-1, 5)


def _assign_rows(
    comps: np.ndarray, group: list[_Line], to_locator: np.ndarray
) -> list[np.ndarray] | None:
    """Blobs (strip coordinates) assigned to the group's line nearest to each, top first.

    Each line keeps its own angle, so a perspective view whose lines converge still splits.
    """
    if len(comps) < len(group) * 10:
        return None
    pts = np.hstack([comps[:, :2], np.ones((len(comps), 1))]) @ to_locator.T
    dists = []
    for line in group:
        direction = np.array([np.cos(line.angle), np.sin(line.angle)])
        normal = np.array([-direction[1], direction[0]])
        off = pts - line.centre
        across = np.abs(off @ normal)
        along = np.abs(off @ direction)
        far = (across > 0.75 * line.thickness) | (along > line.length / 2 + line.thickness)
        dists.append(np.where(far, np.inf, across))
    d = np.array(dists)
    nearest = d.argmin(axis=0)
    ok = np.isfinite(d.min(axis=0))
    rows = []
    for j in range(len(group)):
        row = comps[ok & (nearest == j)]
        if len(row) == 0:
            return None
        rows.append(row[np.argsort(row[:, 0])])
    rows.sort(key=lambda r: float(np.median(r[:, 1])))
    return rows


def _split_wide(row: np.ndarray, pitch: float) -> np.ndarray:
    """The row with each blob wider than a character cut into as many as it spans.

    Touching characters (bold or bleeding print, `000000` in a document number) make one
    blob; its width in pitches tells how many characters it holds, spread evenly.
    """
    wide = row[:, 2] > 1.6 * pitch
    if not wide.any():
        return row
    out = [row[~wide]]
    for x, y, w, h, contrast in row[wide]:
        k = max(1, round(w / pitch))
        left = x - w / 2
        xs = left + (np.arange(k) + 0.5) * w / k
        out.append(
            np.column_stack(
                [xs, np.full(k, y), np.full(k, w / k), np.full(k, h), np.full(k, contrast)]
            )
        )
    merged = np.concatenate(out)
    return merged[np.argsort(merged[:, 0])]


def _trim(row: np.ndarray, pitch_guess: float) -> np.ndarray:
    """Drop blobs that lie apart from the line's run of characters (stray print, edges)."""
    if len(row) < 3:
        return row
    xs = row[:, 0]
    gaps = np.diff(xs)
    limit = 2.5 * max(pitch_guess, float(np.median(gaps)))
    start, best = 0, (0, 0)
    for i, gap in enumerate(gaps):
        if gap > limit:
            if i + 1 - start > best[1] - best[0]:
                best = (start, i + 1)
            start = i + 1
    if len(row) - start > best[1] - best[0]:
        best = (start, len(row))
    return row[best[0] : best[1]]


def _columns(row: np.ndarray, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """The row's blobs, one per character, and their column counted from the first blob.

    Steps between neighbours are rounded to whole pitches measured locally, so a run of
    characters lost under glare still leaves the columns after it right; a character broken
    into two blobs keeps only its first.
    """
    xs = row[:, 0]
    diffs = np.diff(xs)
    steps = diffs[(diffs > 0.7 * pitch) & (diffs < 1.3 * pitch)]
    local = float(np.median(steps)) if len(steps) else pitch
    keep, cols = [0], [0]
    for k in range(1, len(row)):
        step = round(float(xs[k] - xs[keep[-1]]) / local)
        if step <= 0:
            continue
        keep.append(k)
        cols.append(cols[-1] + step)
    return row[keep], np.array(cols)


def _fit_grid(
    indexed: list[tuple[np.ndarray, np.ndarray]],
    columns: int,
    spacing: float,
    line_lefts: list[float] | None = None,
) -> np.ndarray | None:
    """Homography from strip coordinates onto the cell grid, through every character blob.

    MRZ lines begin and end in the same columns. A line whose blobs span fewer columns than
    the format (its first or last characters faded under glare) is placed by the lines that
    span them all, or, when the width came from the located lines' length, by `line_lefts`
    (where column 0 of each line lies by its located left end); then every full-height blob
    (letters and digits, not the lower `<`) is a point of a robust fit, which also follows
    perspective better than the line ends alone.
    """
    full = [(row, cols) for row, cols in indexed if cols[-1] + 1 == columns]
    lefts = np.array([[row[0, 0], np.median(row[:, 1])] for row, _ in full]).reshape(-1, 2)
    src, dst = [], []
    for j, (row, cols) in enumerate(indexed):
        span = int(cols[-1]) + 1
        offset = 0
        if span < columns and line_lefts is not None:
            pitch = float(np.median(np.diff(row[:, 0]) / np.diff(cols)))
            offset = round((row[0, 0] - line_lefts[j]) / pitch)
        elif span < columns and len(lefts):
            y = float(np.median(row[:, 1]))
            if len(lefts) > 1:
                x0 = float(np.polyval(np.polyfit(lefts[:, 1], lefts[:, 0], 1), y))
            else:
                x0 = float(lefts[0, 0])
            pitch = (row[-1, 0] - row[0, 0]) / max(1, span - 1)
            offset = round((row[0, 0] - x0) / pitch)
        offset = min(max(offset, 0), max(0, columns - span))
        cap = float(np.percentile(row[:, 3], 80))
        tall = row[:, 3] >= 0.8 * cap
        ys = row[:, 1].copy()
        if tall.sum() >= 2 and (~tall).any():
            # Fillers sit lower than letters: place them on the line through the letters'
            # centres. They still count for where their columns are, which matters where a
            # line ends in a long run of them on a bent page.
            slope, icpt = np.polyfit(row[tall, 0], row[tall, 1], 1)
            ys[~tall] = slope * row[~tall, 0] + icpt
        for x, yc, col in zip(row[:, 0], ys, cols, strict=True):
            if 0 <= col + offset < columns:
                src.append((x, yc))
                dst.append((PITCH / 2 + (col + offset) * PITCH, CELL_H / 2 + j * spacing))
    if len(src) < 8:
        return None
    homography, _ = cv2.findHomography(
        np.array(src, np.float32), np.array(dst, np.float32), cv2.RANSAC, PITCH * 0.3
    )
    return homography


def ink(image: np.ndarray) -> np.ndarray:
    """The brightest channel of a colour image (grey input as it is).

    MRZ ink is black (it must absorb infrared), so it stays dark in every channel, while
    coloured security print, stamps and marks drawn over the page turn light in at least
    one channel and fade from view.
    """
    if image.ndim == 3 and image.shape[2] in (3, 4):
        b, g, r = cv2.split(image)[:3]
        return np.asarray(cv2.max(cv2.max(b, g), r))
    return to_gray(image)


def equalize(image: np.ndarray) -> np.ndarray:
    """Local contrast equalisation (CLAHE): gives back the print under a glare spot."""
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    return np.asarray(clahe.apply(to_gray(image)))


def locate(image: np.ndarray, max_candidates: int = 4) -> list[Grid]:
    """MRZ candidates in `image` (grey or BGR), best first; empty when none is found."""
    return list(iter_locate(image, max_candidates))


def iter_locate(image: np.ndarray, max_candidates: int = 4) -> Iterator[Grid]:
    """`locate`, one candidate at a time: a reader that is satisfied stops the work early.

    Lines across the image come first; lines up the image (a page turned by 90 degrees)
    are looked for only after those candidates.
    """
    gray = to_gray(image)
    # Small scans (a card scanned at 300 px across) carry print only ~8 px high: enlarge
    # them first, so blobs of neighbouring characters stay apart and the filters fit.
    up = LOCATE_SIZE / max(gray.shape)
    if up > 1.2:
        gray = cv2.resize(gray, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
    else:
        up = 1.0
    scale = min(1.0, LOCATE_SIZE / max(gray.shape))
    small = (
        cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if scale < 1
        else gray
    )
    binary = _print_mask(small)
    for kernel in ((21, 1), (1, 21)):
        for group in _groups(_line_blobs(binary, kernel))[:max_candidates]:
            for grid in _rectify(gray, group, scale):
                grid.quad = grid.quad / np.float32(up)
                yield grid


def _rectify(gray: np.ndarray, group: list[_Line], scale: float) -> list[Grid]:
    """Deskew the group's region, find its character centres, warp it onto the grid."""
    points = np.concatenate([line.box for line in group]) / scale
    thickness = float(np.median([line.thickness for line in group])) / scale
    (cx, cy), (w, h), angle = cv2.minAreaRect(points.astype(np.float32))
    if w < h:
        w, h, angle = h, w, angle + 90.0
    pad = thickness * 1.2
    w, h = w + 2 * pad, h + 2 * pad
    # Affine map from the image to an upright strip; at most ~3x the text height in pixels.
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    matrix[:, 2] += np.array([w / 2 - cx, h / 2 - cy])
    strip = cv2.warpAffine(
        gray, matrix, (int(w), int(h)), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    count = len(group)
    char_h = h / (count * 1.9 + 0.6)  # rough: line spacing ~1.7-1.9 cap heights
    kernel = max(5, int(char_h * 1.2) | 1)
    dark = cv2.morphologyEx(
        strip, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel))
    )
    _, binary = cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    comps = _components(binary, dark, thickness * 0.8)
    # Strip -> image -> locator coordinates, to use the located lines' own axes.
    inv = cv2.invertAffineTransform(matrix)
    to_locator = np.vstack([inv * scale, [0, 0, 1]])[:2]
    rows = _assign_rows(comps, group, to_locator)
    if rows is None:
        log.debug("only %d character blobs in a %d-line candidate", len(comps), count)
        return []
    narrow = [r[r[:, 2] <= 1.5 * char_h] for r in rows]
    steps = np.concatenate([np.diff(r[:, 0]) for r in narrow if len(r) > 1] or [np.zeros(0)])
    steps = steps[steps > 0.3 * char_h]
    if len(steps) == 0:
        return []
    rows = [_trim(_split_wide(row, float(np.median(steps))), char_h) for row in rows]
    if min(len(r) for r in rows) < 8:
        log.debug("a line of the candidate has fewer than 8 characters")
        return []
    pitch = float(np.median(np.concatenate([np.diff(r[:, 0]) for r in rows])))
    if pitch < 2:
        return []
    indexed = [_columns(row, pitch) for row in rows]
    # Where the located lines begin and end in the strip: they still span the whole MRZ
    # when glare has erased characters the blobs miss.
    ends = sorted(
        (float(np.median(b[:, 1])), float(b[:, 0].min()), float(b[:, 0].max()))
        for b in (cv2.transform((line.box / scale)[None], matrix)[0] for line in group)
    )
    # The longest line: glare, stamps and marks only ever shorten a line's run of blobs.
    est = float(max(int(cols[-1]) + 1 for _, cols in indexed))
    columns = min(_WIDTHS.get(count, ()), key=lambda n: abs(n - est), default=0)
    lefts = None
    if not columns or abs(columns - est) > 0.12 * columns:
        est = float(np.median([(right - left) / pitch for _, left, right in ends]))
        columns = min(_WIDTHS.get(count, ()), key=lambda n: abs(n - est), default=0)
        log.debug("line group of %d lines with ~%.1f characters by its length", count, est)
        if not columns or abs(columns - est) > 0.06 * columns:
            return []
        lefts = [left + _LEFT_INSET * pitch for _, left, _ in ends]
    line_gap = float(np.median(np.diff([float(np.median(r[:, 1])) for r in rows])))
    spacing = PITCH * line_gap / pitch
    homography = _fit_grid(indexed, columns, spacing, lefts)
    if homography is None:
        return []
    total = homography @ np.vstack([matrix, [0, 0, 1]])
    grid = _cut(gray, total, count, columns, spacing)
    if count == 2 and columns == min(_WIDTHS[2]) and _fades_out(rows):
        grid.doubt = "the print fades out at the right end: 36 or 44 columns is not certain"
        return [grid, _cut(gray, total, count, max(_WIDTHS[2]), spacing)]
    return [grid]


def _fades_out(rows: list[np.ndarray]) -> bool:
    """Whether a line's last characters are much fainter than the rest of it."""
    for row in rows:
        contrast = row[:, 4]
        if np.median(contrast[-3:]) < 0.6 * np.median(contrast):
            return True
    return False


def _cut(gray: np.ndarray, total: np.ndarray, count: int, columns: int, spacing: float) -> Grid:
    """Warp the image onto the cell grid through `total` and cut it into cells."""
    out_w = columns * PITCH
    out_h = round(CELL_H + (count - 1) * spacing)
    # One pitch of margin each side, so a line whose characters drift can be re-centred,
    # and _MARGIN_Y rows above and below for the same along the height.
    shift = np.array([[1, 0, PITCH], [0, 1, _MARGIN_Y], [0, 0, 1]], np.float64)
    canon = cv2.warpPerspective(
        gray,
        shift @ total,
        (out_w + 2 * PITCH, out_h + 2 * _MARGIN_Y),
        flags=cv2.INTER_AREA,
        borderMode=cv2.BORDER_REPLICATE,
    )
    cells = []
    tall = CELL_H + 2 * _MARGIN_Y
    for j in range(count):
        top = round(j * spacing)
        band = canon[top : top + tall]
        if band.shape[0] != tall:
            band = cv2.copyMakeBorder(band, 0, tall - band.shape[0], 0, 0, cv2.BORDER_REPLICATE)
        band = _recentre(band, columns)
        for i in range(columns):
            cells.append(band[:, i * PITCH : (i + 1) * PITCH])
    inverse = np.linalg.inv(total)
    corners = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    quad = cv2.perspectiveTransform(corners[None], inverse)[0]
    return Grid(np.stack(cells), count, columns, quad.astype(np.float32))


# Rows of margin above and below each line's band: room to re-centre characters that drift
# up or down (a bent page).
_MARGIN_Y = 6


def _drift_fit(cols: np.ndarray, offsets: np.ndarray, columns: int) -> np.ndarray | None:
    """A robust degree-2 curve through the characters' offsets over their columns, or None
    when too few characters agree on one."""
    use = np.ones(len(cols), bool)
    fit = np.zeros(3)
    for _ in range(3):
        fit = np.polyfit(cols[use], offsets[use], 2)
        residual = np.abs(np.polyval(fit, cols) - offsets)
        use = residual < max(1.5, 2.5 * float(np.median(residual)))
        if use.sum() < columns // 3:
            return None
    return fit


def _recentre(tall: np.ndarray, columns: int) -> np.ndarray:
    """One line of the grid (with a pitch of margin each side and _MARGIN_Y rows above and
    below), its characters moved onto their cells' centres; the margins are cut off.

    Why: one homography describes a flat page. On a bent page, or from a printer whose
    pitch wanders, the characters of a line drift off their cells by up to half a pitch
    towards one end, and along a bent line up or down off the straight line the fit drew
    through the letters (which a long run of fillers only extends); a smooth curve (degree
    2) through each character's offset from its cell's centre, across and along, takes that
    out.
    """
    band = tall[_MARGIN_Y : _MARGIN_Y + CELL_H]
    plain = band[:, PITCH : PITCH + columns * PITCH]
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (PITCH + 1, CELL_H + 1))
    dark = cv2.morphologyEx(band, cv2.MORPH_BLACKHAT, kernel)
    _, binary = cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    keep = (
        (stats[:, cv2.CC_STAT_HEIGHT] >= CELL_H * 0.25)
        & (stats[:, cv2.CC_STAT_WIDTH] <= PITCH * 1.2)
        & (stats[:, cv2.CC_STAT_AREA] >= 6)
    )
    keep[0] = False
    xs = centroids[keep, 0] - PITCH  # in grid coordinates
    # The middle of each blob's height: letters and fillers share it, their centroids not.
    ys = stats[keep, cv2.CC_STAT_TOP] + stats[keep, cv2.CC_STAT_HEIGHT] / 2
    cols = np.floor(xs / PITCH)
    inside = (cols >= 0) & (cols < columns)
    xs, ys, cols = xs[inside], ys[inside], cols[inside]
    if len(xs) < columns // 3:
        return plain
    fit = _drift_fit(cols, xs - (cols + 0.5) * PITCH, columns)
    if fit is None:
        return plain
    grid_x = np.arange(columns * PITCH, dtype=np.float32)
    drift = np.clip(np.polyval(fit, grid_x / PITCH - 0.5), -0.6 * PITCH, 0.6 * PITCH)
    if np.abs(drift).max() < 0.2 * PITCH:
        drift[:] = 0  # within the classifier's tolerance: resampling would only blur
    # Up or down: against the line's own middle (the homography put its letters there).
    fit_y = _drift_fit(cols, ys - float(np.median(ys)), columns)
    lift = np.zeros_like(grid_x)
    if fit_y is not None:
        lift = np.clip(np.polyval(fit_y, grid_x / PITCH - 0.5), -_MARGIN_Y, _MARGIN_Y)
        if np.abs(lift).max() < _MIN_LIFT:
            lift[:] = 0
    if not drift.any() and not lift.any():
        return plain
    map_x = np.tile((grid_x + PITCH + drift).astype(np.float32), (CELL_H, 1))
    rows = np.arange(CELL_H, dtype=np.float32)[:, None] + _MARGIN_Y
    map_y = (rows + lift[None, :]).astype(np.float32)
    return np.asarray(
        cv2.remap(tall, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    )


# A line whose characters drift up or down by less than this many pixels (of a 24 px cell)
# is left as it is.
_MIN_LIFT = 2.5


def rotate_grid(grid: Grid) -> Grid:
    """The same MRZ read the other way up (the document lay upside down)."""
    n = grid.lines * grid.columns
    cells = np.stack([cv2.rotate(grid.cells[n - 1 - k], cv2.ROTATE_180) for k in range(n)])
    quad = grid.quad[[2, 3, 0, 1]]
    return Grid(cells, grid.lines, grid.columns, quad, grid.doubt)
