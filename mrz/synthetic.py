"""Seeded renderer of document images with a valid MRZ in OCR-B, with controllable damage.

Tests, the classifier's training script, the benchmark and the simulated counter all draw
their images here, so nothing is downloaded: the font is Debian's public-domain OCR-B
(`fonts-ocr-b`) and every other pixel is drawn from a seeded random generator.
Imports numpy, OpenCV and Pillow: import this module only where images are made.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mrz.compose import compose
from mrz.errors import MRZError

log = logging.getLogger(__name__)

FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),
    Path("/usr/share/fonts/truetype/ocr-b/OCRB.ttf"),
)
FORMATS = ("TD1", "TD2", "TD3", "MRVA", "MRVB")
# What each damage does when switched on; `Degradation.random` draws within these ranges.
KINDS = ("blur", "noise", "rotation", "perspective", "scale", "gradient", "glare", "jpeg", "flip")

_STATES = ("UTO", "D<<", "FRA", "GBR", "ITA", "NLD", "USA", "CAN", "ESP", "CHE", "AUT", "BEL")
_SURNAMES = ("ERIKSSON", "MUSTERMANN", "DUPONT", "ROSSI", "SMITH", "VAN DER BERG", "OKAFOR")
_GIVEN = ("ANNA MARIA", "JOHN", "LI", "MARIE CLAIRE", "PEDRO", "FATIMA", "KAI", "OLGA")


@dataclass(frozen=True)
class Degradation:
    """How to damage one rendered document. Zero / None means "not applied"."""

    char_height: float = 28.0  # cap height of the MRZ characters in output pixels
    rotation: float = 0.0  # degrees, counter-clockwise
    perspective: float = 0.0  # relative displacement of the page corners, 0..0.1
    blur: float = 0.0  # Gaussian sigma in pixels
    noise: float = 0.0  # Gaussian noise sigma in grey levels
    gradient: float = 0.0  # illumination fall-off across the image, 0..0.7
    glare: float = 0.0  # peak brightness of a glare spot, 0..1
    jpeg: int | None = None  # JPEG quality
    flip: bool = False  # the document upside down

    @staticmethod
    def random(rng: random.Random, kinds: tuple[str, ...] = KINDS) -> Degradation:
        """A random mix of the named damages at strengths a counter camera produces."""
        d = Degradation(char_height=rng.uniform(22, 34))
        if "scale" in kinds:
            d = replace(d, char_height=rng.uniform(14, 40))
        if "rotation" in kinds:
            d = replace(d, rotation=rng.uniform(-15, 15))
        if "perspective" in kinds:
            d = replace(d, perspective=rng.uniform(0.02, 0.07))
        if "blur" in kinds:
            d = replace(d, blur=rng.uniform(0.6, 1.6))
        if "noise" in kinds:
            d = replace(d, noise=rng.uniform(4, 14))
        if "gradient" in kinds:
            d = replace(d, gradient=rng.uniform(0.3, 0.6))
        if "glare" in kinds:
            d = replace(d, glare=rng.uniform(0.4, 0.8))
        if "jpeg" in kinds:
            d = replace(d, jpeg=rng.randint(35, 75))
        if "flip" in kinds:
            d = replace(d, flip=True)
        return d


@dataclass(frozen=True)
class Style:
    """How the document itself was printed, beyond the camera's damage (`Degradation`).

    The plain renderer draws grey pages with exact OCR-B at the font's own pitch. Real
    documents differ: coloured guilloche under the MRZ, ink that bleeds or prints thin,
    printers whose pitch is wider than the font's and whose characters sit a little off
    their cells, motion blur from a hand-held phone. `Style.random` draws each of those.
    """

    pitch: float = 1.0  # character pitch as a multiple of the font's advance
    wobble: float = 0.0  # per-character offset, as a share of the cap height
    bleed: float = 0.0  # grow (> 0) or thin (< 0) the strokes, in pixels
    ink: tuple[int, int, int] = (20, 20, 20)  # BGR
    paper: tuple[int, int, int] = (225, 225, 225)  # BGR
    guilloche: float = 0.0  # contrast of the coloured line pattern behind the print
    motion: float = 0.0  # length of a motion blur in pixels
    squeeze: float = 1.0  # glyph width as a multiple of the font's

    @staticmethod
    def random(rng: random.Random) -> Style:
        paper = tuple(rng.randint(150, 250) for _ in range(3))
        dark = rng.randint(0, 90)
        ink = tuple(min(255, dark + rng.randint(0, 40)) for _ in range(3))
        return Style(
            pitch=rng.choice([1.0, 1.0, rng.uniform(0.97, 1.12), rng.uniform(1.1, 1.3)]),
            wobble=rng.choice([0.0, rng.uniform(0.0, 0.06)]),
            bleed=rng.choice([0.0, rng.uniform(-0.8, 1.6)]),
            ink=ink,  # type: ignore[arg-type]
            paper=paper,  # type: ignore[arg-type]
            guilloche=rng.choice([0.0, rng.uniform(0.1, 0.5)]),
            motion=rng.choice([0.0, 0.0, rng.uniform(2, 6)]),
            squeeze=rng.choice([1.0, rng.uniform(0.85, 1.1)]),
        )


@dataclass
class Sample:
    """One rendered image with its truth."""

    image: np.ndarray  # BGR uint8
    lines: list[str]
    quad: np.ndarray  # 4x2 float32: the MRZ's corners in the image (TL, TR, BR, BL)
    degradation: Degradation
    format: str = ""
    extra: dict[str, object] = field(default_factory=dict)


@cache
def font_path() -> Path:
    """The OCR-B font file; a clear error when the Debian package is missing."""
    for path in FONT_PATHS:
        if path.exists():
            return path
    raise MRZError("the OCR-B font is missing: install the Debian package fonts-ocr-b")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


def random_mrz(rng: random.Random, format: str | None = None) -> list[str]:
    """The lines of a random, valid MRZ of `format` (random format when None)."""
    fmt = format or rng.choice(FORMATS)
    code = {"TD1": "I", "TD2": "I", "TD3": "P", "MRVA": "V", "MRVB": "V"}[fmt]
    code += rng.choice(["<", "<", rng.choice(string.ascii_uppercase)])
    alnum = string.ascii_uppercase + string.digits
    number_len = rng.choice([8, 9, 9, 9] + ([12] if fmt in ("TD1", "TD2") else []))
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
    expiry = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 15))
    given = rng.choice(_GIVEN) if rng.random() < 0.9 else ""
    optional = ""
    if number_len <= 9 and rng.random() < 0.5:
        optional = "".join(rng.choice(alnum) for _ in range(rng.randint(2, 6)))
    return compose(
        fmt,
        document_code=code,
        issuing_state=rng.choice(_STATES),
        document_number="".join(rng.choice(alnum) for _ in range(number_len)),
        nationality=rng.choice(_STATES),
        birth_date=birth,
        sex=rng.choice("MFX"),
        expiry_date=expiry,
        surname=rng.choice(_SURNAMES),
        given_names=given,
        optional_data=optional,
    )


def _page(rng: random.Random, lines: list[str], ch: float) -> tuple[np.ndarray, np.ndarray]:
    """The flat document page (grey) and its MRZ corners, at cap height `ch` pixels."""
    font_size = max(8, round(ch / 0.7))  # OCR-B cap height is about 0.7 em
    font = _font(font_size)
    pitch = font.getlength("M")
    line_gap = ch * rng.uniform(1.55, 1.9)
    ncols = len(lines[0])
    mrz_w = pitch * ncols
    margin = ch * rng.uniform(1.2, 2.5)
    page_w = int(mrz_w + 2 * margin)
    page_h = int(page_w * (0.70 if len(lines) == 2 else 0.63))
    tone = rng.randint(200, 245)
    page = np.full((page_h, page_w), tone, np.float32)
    # A faint security-print texture: low-frequency waves and speckle.
    yy, xx = np.mgrid[0:page_h, 0:page_w].astype(np.float32)
    for _ in range(3):
        fx, fy, ph = rng.uniform(0.01, 0.05), rng.uniform(0.01, 0.05), rng.uniform(0, 6.3)
        page += rng.uniform(3, 9) * np.sin(fx * xx + fy * yy + ph)
    img = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    # Portrait and printed fields above the MRZ: distractors for the locator.
    top_of_mrz = page_h - margin - line_gap * (len(lines) - 1) - ch
    ph_w = int(page_w * 0.25)
    draw.rectangle(
        (int(margin), int(margin), int(margin) + ph_w, int(top_of_mrz - ch)),
        fill=rng.randint(90, 170),
    )
    small = _font(max(6, font_size // 2))
    y = margin
    while y < top_of_mrz - 2 * ch:
        words = " ".join(rng.choice(_SURNAMES + _GIVEN) for _ in range(rng.randint(1, 3)))
        draw.text((margin + ph_w + ch, y), words, fill=rng.randint(20, 90), font=small)
        y += ch * rng.uniform(1.1, 1.8)
    ink = rng.randint(0, 60)
    x0 = margin
    ys = [page_h - margin - line_gap * (len(lines) - 1 - i) - ch for i in range(len(lines))]
    for text, y_line in zip(lines, ys, strict=True):
        for i, char in enumerate(text):
            # Draw each character in its own cell: the MRZ's fixed pitch, as printers do it.
            draw.text((x0 + i * pitch, y_line), char, fill=ink, font=font)
    top = ys[0] + (font_size - ch) * 0.0
    bbox_top = top + font.getbbox("M")[1]
    bbox_bottom = ys[-1] + font.getbbox("M")[3]
    quad = np.array(
        [[x0, bbox_top], [x0 + mrz_w, bbox_top], [x0 + mrz_w, bbox_bottom], [x0, bbox_bottom]],
        np.float32,
    )
    return np.asarray(img, np.uint8), quad


def _styled_page(
    rng: random.Random, lines: list[str], ch: float, style: Style
) -> tuple[np.ndarray, np.ndarray]:
    """A colour (BGR) page printed in `style`, and its MRZ corners, at cap height `ch`."""
    font_size = max(8, round(ch / 0.7))
    font = _font(font_size)
    advance = font.getlength("M")
    pitch = advance * style.pitch
    line_gap = ch * rng.uniform(1.5, 2.0)
    ncols = len(lines[0])
    mrz_w = pitch * ncols
    margin = ch * rng.uniform(1.2, 2.5)
    page_w = int(mrz_w + 2 * margin)
    page_h = int(page_w * (0.70 if len(lines) == 2 else 0.63))
    yy, xx = np.mgrid[0:page_h, 0:page_w].astype(np.float32)
    page: np.ndarray = np.empty((page_h, page_w, 3), np.float32)
    page[:] = np.array(style.paper, np.float32)
    for _ in range(rng.randint(1, 3)):
        # Soft colour washes across the page (tinted security backgrounds).
        fx, fy, ph = rng.uniform(0.002, 0.02), rng.uniform(0.002, 0.02), rng.uniform(0, 6.3)
        tint = np.array([rng.uniform(-30, 30) for _ in range(3)], np.float32)
        page += np.sin(fx * xx + fy * yy + ph)[..., None] * tint
    if style.guilloche:
        # Fine interlaced line patterns in colour, as printed under many MRZs.
        for _ in range(rng.randint(2, 4)):
            period = rng.uniform(0.15, 0.5) * ch
            amp, wave = rng.uniform(0.5, 3) * ch, rng.uniform(0.005, 0.03)
            phase = yy + amp * np.sin(wave * xx + rng.uniform(0, 6.3))
            lines_ = (np.cos(2 * np.pi * phase / period) > 0.6).astype(np.float32)
            colour = np.array([rng.uniform(-120, 20) for _ in range(3)], np.float32)
            page += lines_[..., None] * colour * style.guilloche
    # The MRZ as an ink mask, character by character in its own cell.
    mask = Image.new("L", (page_w, page_h), 0)
    draw = ImageDraw.Draw(mask)
    x0 = margin
    ys = [page_h - margin - line_gap * (len(lines) - 1 - i) - ch for i in range(len(lines))]
    glyph_w = int(advance * 1.6)
    for text, y_line in zip(lines, ys, strict=True):
        for i, char in enumerate(text):
            dx = rng.uniform(-1, 1) * style.wobble * ch
            dy = rng.uniform(-1, 1) * style.wobble * ch
            x = x0 + i * pitch + (pitch - advance) / 2 + dx
            if style.squeeze != 1.0:
                glyph = Image.new("L", (glyph_w, font_size * 2), 0)
                ImageDraw.Draw(glyph).text((0, 0), char, fill=255, font=font)
                width = max(1, round(glyph_w * style.squeeze))
                glyph = glyph.resize((width, font_size * 2), Image.Resampling.BILINEAR)
                shift = (advance - advance * style.squeeze) / 2
                mask.paste(glyph, (round(x + shift), round(y_line + dy)), glyph)
            else:
                draw.text((x, y_line + dy), char, fill=255, font=font)
    ink_mask = np.asarray(mask, np.float32) / 255
    if style.bleed:
        radius = abs(style.bleed)
        blurred = cv2.GaussianBlur(ink_mask, (0, 0), max(0.3, radius))
        # Thresholding the blurred mask low grows the strokes, high thins them.
        level = 0.5 - 0.25 * np.sign(style.bleed) * min(1.0, radius)
        ink_mask = np.clip((blurred - level) * 4 + 0.5, 0, 1).astype(np.float32)
    ink = np.array(style.ink, np.float32)
    page = page * (1 - ink_mask[..., None]) + ink * ink_mask[..., None]
    # Other print above the MRZ (distractors), in the same ink.
    img = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
    text_draw = ImageDraw.Draw(img)
    small = _font(max(6, font_size // 2))
    top_of_mrz = ys[0]
    ph_w = int(page_w * 0.25)
    text_draw.rectangle(
        (int(margin), int(margin), int(margin) + ph_w, int(top_of_mrz - ch)),
        fill=tuple(rng.randint(60, 200) for _ in range(3)),
    )
    y = margin
    while y < top_of_mrz - 2 * ch:
        words = " ".join(rng.choice(_SURNAMES + _GIVEN) for _ in range(rng.randint(1, 3)))
        text_draw.text((margin + ph_w + ch, y), words, fill=style.ink[::-1], font=small)
        y += ch * rng.uniform(1.1, 1.8)
    top = ys[0] + font.getbbox("M")[1]
    bottom = ys[-1] + font.getbbox("M")[3]
    right = x0 + mrz_w
    quad = np.array([[x0, top], [right, top], [right, bottom], [x0, bottom]], np.float32)
    return np.asarray(img, np.uint8), quad


def render(
    lines: list[str],
    degradation: Degradation,
    rng: random.Random | int = 0,
    style: Style | None = None,
) -> Sample:
    """Render `lines` on a document page placed in a camera image, then damage it.

    Without a `style`, a grey page in plain OCR-B (the seeded sets the benchmark has always
    used); with one, a colour page printed that way.
    """
    if isinstance(rng, int):
        rng = random.Random(rng)
    d = degradation
    if style is None:
        page, quad = _page(rng, lines, d.char_height)
    else:
        page, quad = _styled_page(rng, lines, d.char_height, style)
    ph, pw = page.shape[:2]
    colour = page.ndim == 3
    # Place the page on a darker desk with a margin, then rotate/warp the corners.
    pad = int(max(pw, ph) * rng.uniform(0.08, 0.2))
    out_w, out_h = pw + 2 * pad, ph + 2 * pad
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    centre = np.array([out_w / 2, out_h / 2], np.float32)
    corners = src - np.array([pw / 2, ph / 2], np.float32)
    angle = np.deg2rad(d.rotation + (180.0 if d.flip else 0.0))
    rot = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]], np.float32)
    corners = corners @ rot.T
    if d.perspective:
        jitter = np.array([[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(4)], np.float32)
        corners = corners + jitter * d.perspective * max(pw, ph)
    # Grow the canvas so the rotated page fits.
    span = corners.max(axis=0) - corners.min(axis=0)
    out_w = int(max(out_w, span[0] + 2 * pad))
    out_h = int(max(out_h, span[1] + 2 * pad))
    centre = np.array([out_w / 2, out_h / 2], np.float32)
    dst = (corners + centre).astype(np.float32)
    homography = cv2.getPerspectiveTransform(src, dst)
    desk: np.ndarray = np.full((out_h, out_w), rng.randint(30, 110), np.uint8)
    desk = cv2.add(
        desk, np.random.default_rng(rng.randrange(2**32)).integers(0, 25, desk.shape, np.uint8)
    )
    if colour:
        desk = cv2.cvtColor(desk, cv2.COLOR_GRAY2BGR)
    warped = cv2.warpPerspective(
        page, homography, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=0
    )
    mask = cv2.warpPerspective(
        np.full_like(page, 255), homography, (out_w, out_h), flags=cv2.INTER_NEAREST
    )
    img = np.where(mask > 0, warped, desk).astype(np.float32)
    mrz_quad = cv2.perspectiveTransform(quad[None], homography)[0]
    nrng = np.random.default_rng(rng.randrange(2**32))
    if d.gradient:
        gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
        yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
        ramp = (gx * (xx / out_w - 0.5) + gy * (yy / out_h - 0.5)) * 2
        shade = 1.0 - d.gradient * (ramp + 1) / 2
        img *= shade[..., None] if colour else shade
    if d.glare:
        cx, cy = rng.uniform(0.2, 0.8) * out_w, rng.uniform(0.3, 0.9) * out_h
        radius = rng.uniform(0.08, 0.2) * out_w
        yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
        spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2))
        img = img + (255 - img) * d.glare * (spot[..., None] if colour else spot)
    if d.blur:
        img = np.asarray(cv2.GaussianBlur(img, (0, 0), d.blur), np.float32)
    if style is not None and style.motion:
        length = max(2, round(style.motion))
        kernel: np.ndarray = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        turn = cv2.getRotationMatrix2D((length / 2, length / 2), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, turn, (length, length))
        img = np.asarray(cv2.filter2D(img, -1, kernel / max(1e-6, kernel.sum())), np.float32)
    if d.noise:
        img = img + nrng.normal(0, d.noise, img.shape).astype(np.float32)
    bgr: np.ndarray
    if colour:
        bgr = np.clip(img, 0, 255).astype(np.uint8)
    else:
        gray = np.clip(img, 0, 255).astype(np.uint8)
        tint = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.95, 1.0), 1.0], np.float32)
        bgr = np.clip(gray[..., None].astype(np.float32) * tint, 0, 255).astype(np.uint8)
    if d.jpeg is not None:
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg])
        if not ok:
            raise MRZError("JPEG encoding of a synthetic image failed")
        bgr = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR))
    fmt = "TD1" if len(lines) == 3 else {36: "TD2", 44: "TD3"}[len(lines[0])]
    return Sample(bgr, list(lines), mrz_quad.astype(np.float32), d, fmt, {"style": style})


def iter_dataset(count: int, seed: int, kinds: tuple[str, ...] = KINDS) -> Iterator[Sample]:
    """`count` seeded samples, one at a time; each damage kind is on in about half of them."""
    rng = random.Random(seed)
    for _ in range(count):
        on = tuple(k for k in kinds if rng.random() < 0.5)
        lines = random_mrz(rng)
        yield render(lines, Degradation.random(rng, on), rng)


def iter_small_print(count: int, seed: int) -> Iterator[Sample]:
    """Harder than `iter_dataset`: all print small (cap height 14-20 px), mostly blurred.

    The other damage is mixed as in `iter_dataset`. Training draws on it (M/R/H/W and 0/O
    blur together there) and the benchmark reports it beside the ordinary set.
    """
    rng = random.Random(seed)
    for _ in range(count):
        on = tuple(k for k in KINDS if rng.random() < 0.5)
        lines = random_mrz(rng)
        d = Degradation.random(rng, on)
        blur = rng.uniform(0.8, 1.7) if rng.random() < 0.7 else d.blur
        yield render(lines, replace(d, char_height=rng.uniform(14, 20), blur=blur), rng)


def iter_printed(count: int, seed: int) -> Iterator[Sample]:
    """Documents as real printers and cameras make them: each with a random `Style`
    (colour guilloche, bleeding or thin ink, wider or wandering pitch, motion blur) on top
    of the usual damage, print 9-40 px high. Training draws on it; the benchmark reports it.
    """
    rng = random.Random(seed)
    for _ in range(count):
        on = tuple(k for k in KINDS if rng.random() < 0.5)
        lines = random_mrz(rng)
        d = replace(Degradation.random(rng, on), char_height=rng.uniform(9, 40))
        yield render(lines, d, rng, Style.random(rng))


def dataset(count: int, seed: int, kinds: tuple[str, ...] = KINDS) -> list[Sample]:
    """`iter_dataset` as a list (small sets: each image holds a few megabytes)."""
    return list(iter_dataset(count, seed, kinds))


def blank(seed: int, width: int = 800, height: int = 600) -> np.ndarray:
    """A document-like image with printed text but no MRZ (the no-MRZ case)."""
    rng = random.Random(seed)
    img = Image.new("L", (width, height), rng.randint(190, 240))
    draw = ImageDraw.Draw(img)
    font = _font(22)
    y = 30
    while y < height - 40:
        words = " ".join(rng.choice(_SURNAMES + _GIVEN) for _ in range(rng.randint(1, 4)))
        draw.text((40, y), words, fill=rng.randint(0, 80), font=font)
        y += rng.randint(30, 60)
    return cv2.cvtColor(np.asarray(img, np.uint8), cv2.COLOR_GRAY2BGR)
