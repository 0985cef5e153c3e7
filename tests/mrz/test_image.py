"""Reading the MRZ from images: each degradation, upside down, no MRZ, quad, multi-frame."""

from __future__ import annotations

import random
import subprocess
import sys

import cv2
import numpy as np
import pytest

import mrz
from mrz import synthetic
from mrz.image.classifier import ALPHABET, Prediction
from mrz.image.multiframe import MultiFrameReader
from mrz.image.reader import _gate, read_image

STRONG = {
    "blur": synthetic.Degradation(char_height=26, blur=1.5),
    "noise": synthetic.Degradation(char_height=26, noise=14),
    "rotation": synthetic.Degradation(char_height=26, rotation=-14.5),
    "rotation+": synthetic.Degradation(char_height=26, rotation=14.5),
    "perspective": synthetic.Degradation(char_height=26, perspective=0.07),
    "small": synthetic.Degradation(char_height=14.5),
    "large": synthetic.Degradation(char_height=40),
    "gradient": synthetic.Degradation(char_height=26, gradient=0.6),
    "glare": synthetic.Degradation(char_height=26, glare=0.6),
    "jpeg": synthetic.Degradation(char_height=26, jpeg=35),
    "flip": synthetic.Degradation(char_height=26, flip=True),
    "all": synthetic.Degradation(
        char_height=22,
        rotation=8,
        perspective=0.04,
        blur=1.0,
        noise=8,
        gradient=0.4,
        glare=0.5,
        jpeg=60,
        flip=True,
    ),
}


@pytest.mark.parametrize("kind", sorted(STRONG))
@pytest.mark.parametrize("fmt", synthetic.FORMATS)
def test_each_degradation_reads_exactly(kind: str, fmt: str) -> None:
    rng = random.Random(f"{kind}-{fmt}")
    lines = synthetic.random_mrz(rng, fmt)
    sample = synthetic.render(lines, STRONG[kind], rng)
    read = read_image(sample.image)
    assert read.found and read.result is not None
    assert read.result.lines == lines
    assert read.result.valid
    assert read.result.format == fmt


def test_quad_and_confidences_describe_the_mrz() -> None:
    sample = synthetic.render(
        synthetic.random_mrz(random.Random(5), "TD3"),
        synthetic.Degradation(char_height=24, rotation=9),
        5,
    )
    read = read_image(sample.image)
    quad = np.array(read.quad)
    assert quad.shape == (4, 2)
    # Corners within ~1.5 character heights of the rendered text's corners.
    assert np.abs(quad - sample.quad).max() < 1.5 * 24 * 1.4
    assert [len(c) for c in read.confidence] == [44, 44]
    assert min(min(c) for c in read.confidence) > 0.3
    assert read.to_dict()["ocr"]["reader"] == "ours"  # type: ignore[index]


@pytest.mark.parametrize("seed", range(3))
def test_no_mrz_is_reported_as_not_found(seed: int) -> None:
    read = read_image(synthetic.blank(seed))
    assert not read.found
    assert read.result is None
    assert read.to_dict()["found"] is False
    noise = np.random.default_rng(seed).integers(0, 255, (480, 640), np.uint8)
    assert not read_image(noise).found


def test_never_a_wrong_read_reported_valid() -> None:
    for sample in synthetic.iter_dataset(25, seed=99):
        read = read_image(sample.image)
        if read.valid:
            assert read.result is not None and read.result.lines == sample.lines


def test_file_path_and_unreadable_file(tmp_path: pytest.TempPathFactory) -> None:
    sample = synthetic.render(
        synthetic.random_mrz(random.Random(1), "TD1"), synthetic.Degradation(), 1
    )
    path = tmp_path / "card.jpg"  # type: ignore[operator]
    cv2.imwrite(str(path), sample.image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert mrz.read_image(path).result.lines == sample.lines  # type: ignore[union-attr]
    bad = tmp_path / "bad.png"  # type: ignore[operator]
    bad.write_bytes(b"not an image")
    with pytest.raises(OSError, match="not an image"):
        read_image(bad)


def test_multiframe_votes_until_stable() -> None:
    rng = random.Random(11)
    lines = synthetic.random_mrz(rng, "TD3")
    reader = MultiFrameReader(stable=3)
    results = []
    frames = [synthetic.blank(1)] + [
        synthetic.render(
            lines, synthetic.Degradation.random(rng, ("blur", "noise", "rotation")), rng
        ).image
        for _ in range(4)
    ]
    for frame in frames:
        results.append(reader.add(frame))
    assert results[:3] == [None, None, None]  # the blank frame and the first two reads
    final = results[3] or results[4]
    assert final is not None and final.valid and final.lines == lines
    reader.reset()
    assert reader.add(frames[1]) is None  # stability starts again after reset


def test_import_mrz_does_not_load_opencv() -> None:
    code = "import mrz, sys; assert 'cv2' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_renderer_is_seeded() -> None:
    a = synthetic.dataset(2, seed=3)
    b = synthetic.dataset(2, seed=3)
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    assert all(mrz.parse(x.lines, strict=True).valid for x in a)


def _fade(sample: synthetic.Sample, line: int | None, start: float, stop: float) -> np.ndarray:
    """The sample's image with the MRZ washed out towards white between two fractions of
    its width (a glare spot's edge): fully gone at `start`, untouched at `stop`.

    `line` limits the fading to one text line; the render must be upright and flat.
    """
    (x0, top), (x1, _), (_, bottom) = sample.quad[0], sample.quad[1], sample.quad[2]
    rows = len(sample.lines)
    if line is not None:
        pitch = (bottom - top) / (rows - 1 + 0.6)
        top, bottom = top + line * pitch - 0.2 * pitch, top + line * pitch + 0.8 * pitch
    img = sample.image.astype(np.float32)
    xs = np.arange(img.shape[1], dtype=np.float32)
    a, b = x0 + start * (x1 - x0), x0 + stop * (x1 - x0)
    alpha = np.clip((xs - b) / (a - b), 0, 1) * 0.97
    y0, y1 = int(top - 0.5 * (bottom - top) / rows), int(bottom + 0.5 * (bottom - top) / rows)
    img[y0:y1] += (255 - img[y0:y1]) * alpha[None, :, None]
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", range(3))
def test_right_end_lost_to_glare_is_never_a_valid_shorter_mrz(seed: int) -> None:
    # A 44-column visa whose last fillers vanish reads, as 36 columns, like a valid MRV-B:
    # every check digit holds. The reader must not report that.
    rng = random.Random(seed)
    lines = synthetic.random_mrz(rng, "MRVA")
    sample = synthetic.render(lines, synthetic.Degradation(char_height=22), rng)
    read = read_image(_fade(sample, None, 1.0, 34 / 44))
    assert read.found and read.result is not None
    assert not read.valid or read.result.lines == lines
    assert read.result.format == "MRVA" or not read.valid


@pytest.mark.parametrize("fmt", synthetic.FORMATS)
def test_line_start_lost_to_glare_keeps_the_other_columns_in_place(fmt: str) -> None:
    # The first line's first characters are washed out: the line's blobs then start some
    # columns in, and only the other lines tell where column 0 is.
    rng = random.Random(f"start-{fmt}")
    lines = synthetic.random_mrz(rng, fmt)
    sample = synthetic.render(lines, synthetic.Degradation(char_height=24), rng)
    width = len(lines[0])
    read = read_image(_fade(sample, 0, -0.01, 6 / width))
    assert read.found
    assert read.lines[0][8:] == lines[0][8:]
    assert read.lines[1:] == lines[1:]


@pytest.mark.parametrize("fmt", synthetic.FORMATS)
def test_small_noisy_print_is_located(fmt: str) -> None:
    # Sensor noise on 14 px print used to glue the whole page into one blob.
    rng = random.Random(f"noisy-{fmt}")
    lines = synthetic.random_mrz(rng, fmt)
    sample = synthetic.render(lines, synthetic.Degradation(char_height=14.5, noise=13), rng)
    read = read_image(sample.image)
    assert read.valid and read.result is not None and read.result.lines == lines


def _confident(lines: list[str]) -> Prediction:
    """A prediction that read `lines` with certainty (one-hot probabilities)."""
    text = "".join(lines)
    probs = np.zeros((len(text), len(ALPHABET)))
    probs[np.arange(len(text)), [ALPHABET.index(c) for c in text]] = 1.0
    return Prediction(list(text), [1.0] * len(text), list(text), probs)


VISA = [
    "V<AUTROSSI<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<<<",
    "XVCO2Q4KR1FRA6910077<3310078<<<<<<<<<<<<<<<<",
]


def test_a_letter_among_the_name_fillers_is_not_valid() -> None:
    # Names have no check digit: a filler misread as a letter after the name passes every
    # check, so the form of the name field has to catch it, however confident the read.
    lines = ["V<AUTROSSI<<<<<<<<<<<<<<<<<<<<<<<<<<<A<<<<<<", VISA[1]]
    result = mrz.parse(lines)
    assert result.valid  # the check digits cannot see it
    _gate(result, _confident(lines), 2, 44)
    assert not result.valid
    assert "name" in result.warnings[-1].message
    good = mrz.parse(VISA)
    _gate(good, _confident(VISA), 2, 44)
    assert good.valid


def test_gate_weighs_only_characters_the_field_allows() -> None:
    # A name cell read "4" 0.68 / "A" 0.31: a name holds no digits, so it is an A at 0.97.
    pred = _confident(VISA)
    k = VISA[0].index("MARIA") + 1  # the A of MARIA
    pred.probs[k] = 0  # type: ignore[index]
    pred.probs[k, ALPHABET.index("4")] = 0.68  # type: ignore[index]
    pred.probs[k, ALPHABET.index("A")] = 0.31  # type: ignore[index]
    pred.probs[k, ALPHABET.index("R")] = 0.01  # type: ignore[index]
    result = mrz.parse(VISA)
    _gate(result, pred, 2, 44)
    assert result.valid
    # The same cell split between two letters is a doubt no check digit can settle.
    pred.probs[k, ALPHABET.index("4")] = 0  # type: ignore[index]
    pred.probs[k, ALPHABET.index("R")] = 0.69  # type: ignore[index]
    result = mrz.parse(VISA)
    _gate(result, pred, 2, 44)
    assert not result.valid


def test_a_check_digit_cannot_vouch_for_a_neutral_pair() -> None:
    # G (16) and Q (26) differ by 10: the document number's check digit holds either way,
    # so a cell torn between them is withheld although its field is "protected".
    pred = _confident(VISA)
    k = len(VISA[0]) + VISA[1].index("Q")
    pred.probs[k] = 0  # type: ignore[index]
    pred.probs[k, ALPHABET.index("Q")] = 0.76  # type: ignore[index]
    pred.probs[k, ALPHABET.index("G")] = 0.24  # type: ignore[index]
    result = mrz.parse(VISA)
    _gate(result, pred, 2, 44)
    assert not result.valid
    # Torn between Q and O (24): the check digit tells them apart and holds for Q, but a
    # torn cell is withheld all the same (two or three such cells can cancel out).
    pred.probs[k, ALPHABET.index("G")] = 0  # type: ignore[index]
    pred.probs[k, ALPHABET.index("O")] = 0.24  # type: ignore[index]
    result = mrz.parse(VISA)
    _gate(result, pred, 2, 44)
    assert not result.valid
    # A faint second thought (Q 0.95 / O 0.05) is no doubt: the check digit settles it.
    pred.probs[k, ALPHABET.index("Q")] = 0.95  # type: ignore[index]
    pred.probs[k, ALPHABET.index("O")] = 0.05  # type: ignore[index]
    result = mrz.parse(VISA)
    _gate(result, pred, 2, 44)
    assert result.valid


def test_small_print_set_is_seeded_and_small() -> None:
    a = list(synthetic.iter_small_print(3, seed=5))
    b = list(synthetic.iter_small_print(3, seed=5))
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    assert all(14 <= s.degradation.char_height <= 20 for s in a)
    assert all(mrz.parse(s.lines, strict=True).valid for s in a)


@pytest.mark.parametrize("seed", [42, 48, 56, 57])
def test_a_page_of_ocr_b_print_is_no_mrz(seed: int) -> None:
    # Long lines of OCR-B words group like an MRZ and parse as one (with every check
    # failing); they must still come back as "no MRZ", not as a found but invalid MRZ.
    read = read_image(synthetic.blank(seed, 1200, 900))
    assert not read.found and read.result is None


def test_three_cancelling_misreads_under_check_digits_are_not_valid() -> None:
    # A rotated TD1 once read V->Y, O->0 and 8->B in its document number: the errors cancel
    # in the document number's and in the composite check digit, so every check holds. The
    # classifier was torn on those cells; that alone must withhold the read.
    printed = [
        "I<UTOV1O238C456<<<<<<<<<<<<<<<",
        "7408122F3204153UTO<<<<<<<<<<<4",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ]
    misread = [printed[0][:5] + "Y1023BC45" + printed[0][14:], *printed[1:]]
    result = mrz.parse(misread)
    assert result.valid and result.lines == misread  # the check digits cannot see it
    pred = _confident(misread)
    for column, (read, truth) in ((5, ("Y", "V")), (7, ("0", "O")), (10, ("B", "8"))):
        pred.probs[column] = 0  # type: ignore[index]
        pred.probs[column, ALPHABET.index(read)] = 0.8  # type: ignore[index]
        pred.probs[column, ALPHABET.index(truth)] = 0.2  # type: ignore[index]
    _gate(result, pred, 3, 30)
    assert not result.valid
    assert "low confidence" in result.warnings[-1].message
    # Read with certainty, the same text stays valid: the gate is about doubt, not letters.
    sure = mrz.parse(misread)
    _gate(sure, _confident(misread), 3, 30)
    assert sure.valid


def _bend(sample: synthetic.Sample, rise: float) -> np.ndarray:
    """The sample's image with the right half of the MRZ bent upwards, by `rise` pixels at
    its right end (a page curling away from a flat-bed or a hand-held camera)."""
    (x0, _), (x1, _) = sample.quad[0], sample.quad[1]
    h, w = sample.image.shape[:2]
    xs = np.arange(w, dtype=np.float32)
    t = np.clip((xs - (x0 + x1) / 2) / ((x1 - x0) / 2), 0, None)
    map_x = np.tile(xs, (h, 1))
    map_y = np.arange(h, dtype=np.float32)[:, None] + (rise * t**2)[None, :]
    return np.asarray(cv2.remap(sample.image, map_x, map_y, cv2.INTER_LINEAR))


@pytest.mark.parametrize("height", [20, 30])
def test_fillers_that_rise_along_a_bent_line_are_still_read(height: int) -> None:
    # The grid's straight line through the letters misses a long run of fillers that bends
    # away; read off the line they came out as `5`s and `1`s (a real hand-held photo did).
    lines = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ]
    sample = synthetic.render(lines, synthetic.Degradation(char_height=height), random.Random(1))
    read = read_image(_bend(sample, 0.6 * height))
    assert read.valid and read.result is not None
    assert read.result.lines == lines
