"""Live feedback over frames, and the ICAO token portrait."""

from __future__ import annotations

import biometrics_images as images
import cv2
import numpy as np
import pytest

from biometrics import BiometricsError
from biometrics.face import READY, FaceAssessor
from biometrics.portrait import encode, token_portrait
from biometrics.stream import FaceStream


@pytest.fixture(scope="module")
def assessor() -> FaceAssessor:
    return FaceAssessor()


def test_instructions_then_auto_capture(assessor: FaceAssessor) -> None:
    stream = FaceStream(assessor, window=10, stable=3)
    frames = [images.frame(scale=1.0), images.frame(dx=150), images.frame(angle=20)]
    said = [stream.feed(f).instruction for f in frames]
    # Unmirrored camera: a face on the image's right moves to the traveller's right.
    assert said == ["move closer", "move to your right", "hold your head straight"]
    good = images.frame()
    sharper_last = [cv2.GaussianBlur(good, (0, 0), 1.0), cv2.GaussianBlur(good, (0, 0), 0.6), good]
    updates = [stream.feed(f) for f in sharper_last]
    assert [u.capture is None for u in updates] == [True, True, False]
    capture = updates[-1].capture
    assert capture is not None and not capture.manual and capture.failing == []
    assert updates[-1].instruction == READY
    # Best frame of the window: the sharpest of the passing ones.
    assert capture.frame is good
    assert stream.feed(good).capture is None  # captured once only


def test_manual_capture_is_flagged(assessor: FaceAssessor) -> None:
    stream = FaceStream(assessor, window=5, stable=3)
    with pytest.raises(BiometricsError, match="no frame"):
        stream.manual_capture()
    stream.feed(images.frame(dx=150))
    stream.feed(images.frame(angle=20))
    capture = stream.manual_capture()
    assert capture.manual
    assert capture.failing  # the officer overrode failing checks, and the record says which


def test_token_portrait_places_eyes(assessor: FaceAssessor) -> None:
    frame = images.frame(angle=10)
    result = assessor.assess(frame)
    assert result.eyes is not None
    portrait = token_portrait(frame, *result.eyes, width=480)
    assert portrait.shape == (640, 480, 3)
    again = assessor.assess(portrait)
    assert again.eyes_detected and again.eyes is not None
    (lx, ly), (rx, ry) = again.eyes
    assert abs((lx + rx) / 2 - 240) < 12
    assert abs((ly + ry) / 2 - 0.6 * 480) < 12
    assert abs((rx - lx) - 120) < 15
    assert abs(ly - ry) < 8  # roll corrected


def test_portrait_encodings(assessor: FaceAssessor) -> None:
    frame = images.frame()
    result = assessor.assess(frame)
    assert result.eyes is not None
    portrait = token_portrait(frame, *result.eyes, width=240)
    for fmt, magic in (("jpeg", b"\xff\xd8"), ("jp2", b"\x00\x00\x00\x0cjP")):
        data = encode(portrait, fmt)
        assert data.startswith(magic)
        back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert back is not None and back.shape == portrait.shape
    with pytest.raises(BiometricsError):
        encode(portrait, "gif")
    with pytest.raises(BiometricsError):
        token_portrait(frame, (10.0, 10.0), (12.0, 10.0))


def test_a_small_second_face_the_quick_search_misses_stops_the_auto_capture(
    assessor: FaceAssessor,
) -> None:
    import people as P

    persons = {p.name: p for p in P.people(include_ref=False)}
    main, other = persons["astronaut"].image(), persons["grace_hopper"].image()
    # Someone further back (38 px between the eyes) beside a well-placed traveller.
    back, _ = P.compose(other, P.landmarks(other), ied=38, centre=(560, 150))
    frame, _ = P.compose(main, P.landmarks(main), centre=(280, P.EYE_ROW), canvas=back)
    assert assessor.assess(frame, quick=True).faces == 1  # what makes the quick search quick
    assert assessor.assess(frame).faces == 2

    stream = FaceStream(assessor, window=10, stable=3)
    with_one = P.compose(main, P.landmarks(main), centre=(280, P.EYE_ROW))[0]
    moving = cv2.GaussianBlur(with_one, (0, 0), 3.0)
    assert [stream.feed(moving).instruction for _ in range(2)] == ["hold still"] * 2
    # Now quick searches: the first frames with the second face miss it, but the frame
    # that would complete the passing run gets a full search, and no capture happens.
    updates = [stream.feed(frame) for _ in range(8)]
    assert updates[0].instruction == READY
    assert all(u.capture is None for u in updates)
    assert updates[-1].instruction == "only one person in front of the camera"
    updates = [stream.feed(with_one) for _ in range(3)]
    capture = updates[-1].capture
    assert capture is not None and capture.assessment.faces == 1 and not capture.failing


def test_a_far_traveller_is_found_around_the_last_frames_face(assessor: FaceAssessor) -> None:
    import people as P

    person = P.people(include_ref=False)[0].image()
    far = next(d for d in P.DEGRADATIONS if d.name == "far").make(person, P.landmarks(person), [])
    gray = cv2.cvtColor(far, cv2.COLOR_BGR2GRAY)
    finder = assessor.finder
    (full,) = finder.find(gray)
    # Too small for the half-size search: the quick search looks around the last box.
    moved = (full.box[0] + 6, full.box[1] - 4, full.box[2], full.box[3])
    (near,) = finder.find(gray, quick=True, near=moved)
    assert max(abs(a - b) for a, b in zip(near.box, full.box, strict=True)) <= 3
    for p, q in zip(near.points, full.points, strict=True):
        assert abs(p[0] - q[0]) < 2 and abs(p[1] - q[1]) < 2
    # A box from elsewhere finds nothing there, and the full search still finds the face.
    (fallback,) = finder.find(gray, quick=True, near=(0, 0, 60, 60))
    assert fallback.box == full.box
    stream = FaceStream(assessor)
    assert [stream.feed(far).instruction for _ in range(3)] == ["move closer"] * 3
