"""Real portraits that installed packages ship, and counter frames made from them.

Each person is placed on a plain wall as a 640x480 webcam frame (eyes levelled, a chosen
eye distance), then degraded the way a counter goes wrong. What each degradation must be
told is declared here (`DEGRADATIONS`), so tests and bench/face_quality.py judge the same
thing. No photo is committed: they are read from the packages (and, for the bench, from
face_recognition's source package, which `make bench` unpacks into .venv/ref-faces).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.landmarks import FaceFinder

Image = npt.NDArray[np.uint8]

WALL = 185
SIZE = (640, 480)
IED = 85.0  # eye distance of a well-placed traveller in a 640x480 frame
EYE_ROW = 216  # eye line at 45% of the frame height
REF_FACES = Path(__file__).resolve().parents[2] / ".venv" / "ref-faces"


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    return path if path.is_file() else None


@dataclass(frozen=True)
class Person:
    """One real portrait: who, where it ships, and what is wrong with it as taken
    (`base`: measures a correct assessor fails on the unaltered pose, judged by eye)."""

    name: str
    identity: str  # same identity = same person (for verification pairs)
    path: Path
    source: str
    base: frozenset[str] = field(default_factory=frozenset)

    def image(self) -> Image:
        img = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(self.path)
        return np.asarray(img, dtype=np.uint8)


def people(include_ref: bool = True) -> list[Person]:
    """Every real portrait found: the installed packages', then face_recognition's."""
    found = []
    candidates = [
        ("astronaut", "collins", ("skimage", "data", "astronaut.png"), "scikit-image", ()),
        (
            "grace_hopper",
            "hopper",
            ("matplotlib", "mpl-data", "sample_data", "grace_hopper.jpg"),
            "matplotlib",
            (),
        ),
        # Head turned away and chin raised in the photo itself.
        ("luispedro", "coelho", ("mahotas", "demos", "data", "luispedro.jpg"), "mahotas", ("yaw",)),
    ]
    for name, identity, parts, source, base in candidates:
        path = _package_file(parts[0], *parts[1:])
        if path is not None:
            found.append(Person(name, identity, path, source, frozenset(base)))
    if include_ref and REF_FACES.is_dir():
        # Biden's photo shows him turned to his right (one ear visible, the other not).
        for name, base in (("obama", ()), ("biden", ("yaw",))):
            path = REF_FACES / f"{name}.jpg"
            if path.is_file():
                src = "face_recognition 1.3.0 sdist"
                found.append(Person(name, name, path, src, frozenset(base)))
    return found


def verification_photos() -> list[tuple[str, str, Path]]:
    """(name, identity, path) of every real photo, for 1:1 pairs: also face_recognition's
    other photos of the same man (different days, light and cameras)."""
    out = [(p.name, p.identity, p.path) for p in people()]
    for name in ("obama2", "obama3"):
        path = REF_FACES / f"{name}.jpg"
        if path.is_file():
            out.append((name, "obama", path))
    return out


# -- counter frames -------------------------------------------------------------------------

_finder: FaceFinder | None = None


def landmarks(image: Image) -> tuple[tuple[float, float], tuple[float, float]]:
    """Eye centres (image-left first) of the largest face, by our landmark model."""
    global _finder
    if _finder is None:
        _finder = FaceFinder(detect_width=4096)
    faces = _finder.find(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    if not faces:
        raise ValueError("no face in the source portrait")
    return faces[0].left_eye, faces[0].right_eye


def compose(
    person: Image,
    eyes: tuple[tuple[float, float], tuple[float, float]],
    ied: float = IED,
    centre: tuple[float, float] = (SIZE[0] / 2, EYE_ROW),
    roll: float = 0.0,
    canvas: Image | None = None,
) -> tuple[Image, npt.NDArray[np.float32]]:
    """The person's head (an oval cut-out) on a plain wall, eyes `ied` apart at `centre`,
    the head rolled by `roll` degrees; returns the frame and the person's mask."""
    (lx, ly), (rx, ry) = eyes
    src_ied = math.hypot(rx - lx, ry - ly)
    src_roll = math.degrees(math.atan2(ry - ly, rx - lx))
    mid = ((lx + rx) / 2, (ly + ry) / 2)
    m = cv2.getRotationMatrix2D(mid, src_roll - roll, ied / src_ied)
    m[0, 2] += centre[0] - mid[0]
    m[1, 2] += centre[1] - mid[1]
    w, h = SIZE
    warped = cv2.warpAffine(person, m, (w, h), flags=cv2.INTER_AREA)
    mask = np.zeros((h, w), np.float32)
    head_centre = (
        round(centre[0] - 0.45 * ied * math.sin(math.radians(roll))),
        round(centre[1] + 0.45 * ied * math.cos(math.radians(roll))),
    )
    axes = (round(1.55 * ied), round(2.35 * ied))
    cv2.ellipse(mask, head_centre, axes, roll, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(ied / 30, 1.0))[..., None]
    base = np.full((h, w, 3), WALL, np.uint8) if canvas is None else canvas
    out = warped.astype(np.float32) * mask + base.astype(np.float32) * (1 - mask)
    return out.astype(np.uint8), mask[..., 0]


@dataclass(frozen=True)
class Degradation:
    """How a counter goes wrong, and the measure it must fail (None: it must not matter)."""

    name: str
    fails: str | None
    make: Callable[[Image, tuple, list[tuple[Image, tuple]]], Image]


def _good(img: Image, eyes: tuple, _others: list) -> Image:
    return compose(img, eyes)[0]


def _dark(img: Image, eyes: tuple, _o: list) -> Image:
    return (compose(img, eyes)[0].astype(np.float32) * 0.25).astype(np.uint8)


def _bright(img: Image, eyes: tuple, _o: list) -> Image:
    return np.clip(compose(img, eyes)[0].astype(np.int16) + 110, 0, 255).astype(np.uint8)


def _side_light(img: Image, eyes: tuple, _o: list) -> Image:
    frame, mask = compose(img, eyes)
    w = SIZE[0]
    x0, x1 = w / 2 - 1.2 * IED, w / 2 + 1.2 * IED
    ramp = np.clip(1.0 - 0.75 * (np.arange(w) - x0) / (x1 - x0), 0.25, 1.0)
    gain = 1.0 - mask[..., None] * (1.0 - ramp[None, :, None])
    return (frame.astype(np.float32) * gain).astype(np.uint8)


def _at(ied: float = IED, dx: float = 0.0, roll: float = 0.0) -> Callable:
    return lambda img, eyes, _o: compose(
        img, eyes, ied=ied, centre=(SIZE[0] / 2 + dx, EYE_ROW), roll=roll
    )[0]


def _blur(img: Image, eyes: tuple, _o: list) -> Image:
    return np.asarray(cv2.GaussianBlur(compose(img, eyes)[0], (0, 0), 3.0), np.uint8)


def _motion(img: Image, eyes: tuple, _o: list) -> Image:
    kernel = np.full((1, 17), 1 / 17, np.float32)  # 0.2 eye distances of sideways motion
    return np.asarray(cv2.filter2D(compose(img, eyes)[0], -1, kernel), np.uint8)


def _busy(img: Image, eyes: tuple, _o: list) -> Image:
    rng = np.random.default_rng(7)
    wall = np.full((SIZE[1], SIZE[0], 3), WALL, np.uint8)
    for _ in range(250):
        x, y = rng.integers(0, SIZE[0]), rng.integers(0, SIZE[1])
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(
            wall, (x, y), (x + rng.integers(20, 160), y + rng.integers(20, 120)), colour, -1
        )
    return compose(img, eyes, canvas=wall)[0]


def _glasses(img: Image, eyes: tuple, _o: list) -> Image:
    frame = compose(img, eyes)[0].copy()
    cx, cy = SIZE[0] / 2, EYE_ROW
    half, rim = IED / 2, max(2, round(IED / 22))
    for side in (-1, 1):
        centre = (round(cx + side * half), round(cy + 0.05 * IED))
        cv2.ellipse(
            frame, centre, (round(0.36 * IED), round(0.26 * IED)), 0, 0, 360, (20, 20, 20), rim
        )
        cv2.line(
            frame,
            (round(cx + side * (half + 0.36 * IED)), round(cy)),
            (round(cx + side * 1.45 * IED), round(cy - 0.05 * IED)),
            (20, 20, 20),
            rim,
        )
    cv2.line(
        frame, (round(cx - half + 0.36 * IED), round(cy)), (round(cx + half - 0.36 * IED), round(cy)),
        (20, 20, 20), rim,
    )  # fmt: skip
    return frame


def _second_person(img: Image, eyes: tuple, others: list[tuple[Image, tuple]]) -> Image:
    other, other_eyes = others[0]
    frame, _ = compose(other, other_eyes, ied=62, centre=(SIZE[0] / 2 + 215, EYE_ROW + 10))
    return compose(img, eyes, ied=62, centre=(SIZE[0] / 2 - 40, EYE_ROW), canvas=frame)[0]


DEGRADATIONS: list[Degradation] = [
    Degradation("good", None, _good),
    Degradation("dark", "under_exposure", _dark),
    Degradation("bright", "over_exposure", _bright),
    Degradation("side_light", "illumination_uniformity", _side_light),
    Degradation("far", "inter_eye_distance", _at(ied=36)),
    Degradation("near", "head_size_big", _at(ied=140)),
    Degradation("image_left", "centring_left", _at(dx=-150)),
    Degradation("image_right", "centring_right", _at(dx=150)),
    Degradation("roll_15", "roll", _at(roll=15)),
    Degradation("roll_30", "roll", _at(roll=30)),
    Degradation("blur", "sharpness", _blur),
    Degradation("motion", "sharpness", _motion),
    Degradation("busy_background", "background_uniformity", _busy),
    Degradation("glasses", None, _glasses),
    Degradation("second_person", "face_count_many", _second_person),
]


def expected(person: Person, degradation: Degradation, mirrored: bool = False) -> str:
    """The one instruction a correct assessor gives: the first of what is wrong, in the
    assessor's order (the person's own pose problems plus the degradation's)."""
    from biometrics.face import INSTRUCTIONS, ORDER, READY

    wrong = set(person.base)
    key = degradation.fails
    if key is not None:
        wrong.add(key)
    for name in ORDER:
        for k in sorted(wrong):
            if (
                k == name
                or k.startswith(name + "_")
                or (name == "head_size" and k == "head_size_big")
            ):
                if k in ("centring_left", "centring_right") and mirrored:
                    k = "centring_right" if k == "centring_left" else "centring_left"
                if k == "inter_eye_distance":
                    return INSTRUCTIONS["inter_eye_distance"]
                return INSTRUCTIONS[k]
    return READY
