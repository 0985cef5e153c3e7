"""1:1 face verification with dlib's ResNet descriptor, on real portraits packages ship."""

from __future__ import annotations

import cv2
import numpy as np
import people as P
import pytest

import biometrics
from biometrics import BiometricsError
from biometrics.landmarks import model_path
from biometrics.verify import DISTANCE_THRESHOLD, FaceMatcher


@pytest.fixture(scope="module")
def matcher() -> FaceMatcher:
    return FaceMatcher()


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {p.name: p.image() for p in P.people(include_ref=False)}


def test_the_same_person_in_another_capture_matches(
    matcher: FaceMatcher, photos: dict[str, np.ndarray]
) -> None:
    hopper = photos["grace_hopper"]
    darker = cv2.LUT(hopper, np.array([255 * (i / 255) ** 1.6 for i in range(256)], np.uint8))
    smaller = cv2.resize(darker, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    jpeg = cv2.imencode(".jpg", smaller, [cv2.IMWRITE_JPEG_QUALITY, 40])[1].tobytes()
    result = matcher.compare(hopper, jpeg)
    assert result.decision == "match", result
    assert result.score is not None and result.score > result.threshold
    assert result.threshold == pytest.approx(1 - DISTANCE_THRESHOLD)


def test_different_people_do_not_match(matcher: FaceMatcher, photos: dict[str, np.ndarray]) -> None:
    names = sorted(photos)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            result = matcher.compare(photos[a], photos[b])
            assert result.decision == "no match", (a, b, result)


def test_no_face_is_its_own_decision(matcher: FaceMatcher, photos: dict[str, np.ndarray]) -> None:
    wall = np.full((480, 640, 3), 185, np.uint8)
    result = matcher.compare(photos["astronaut"], wall)
    assert result.decision == "no face" and result.score is None
    assert "probe" in result.reason
    assert matcher.compare(wall, photos["astronaut"]).reason == "no face in the reference"


def test_module_level_match_and_its_record_fields(photos: dict[str, np.ndarray]) -> None:
    out = biometrics.match(photos["astronaut"], photos["astronaut"]).to_dict()
    assert out["decision"] == "match"
    assert set(out) >= {"score", "threshold", "decision", "model", "operating_point"}
    assert "LFW" in out["operating_point"]["source"]


def test_only_the_licensed_model_files_load() -> None:
    # The 68-point model's training data forbids commercial use: it is never loaded.
    with pytest.raises(BiometricsError, match="not a model this kiosk may load"):
        model_path("shape_predictor_68_face_landmarks.dat")
    assert model_path("shape_predictor_5_face_landmarks.dat").is_file()
    with pytest.raises(BiometricsError):
        biometrics.match(b"not an image", b"")


def test_our_descriptor_network_gives_dlibs_own_descriptors(
    matcher: FaceMatcher, photos: dict[str, np.ndarray]
) -> None:
    # biometrics.resnet runs the ResNet on numpy's BLAS; dlib's own (BLAS-less) network is
    # the reference: on the same face chip, the same 128 numbers to float rounding.
    import dlib

    from biometrics.resnet import DescriptorNet

    path = model_path("dlib_face_recognition_resnet_model_v1.dat")
    theirs_net, ours_net = dlib.face_recognition_model_v1(str(path)), DescriptorNet(path)
    for name, img in photos.items():
        rgb = np.ascontiguousarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        face = matcher.finder.find(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))[0]
        chip = np.asarray(dlib.get_face_chip(rgb, face.shape, 150, 0.25))
        theirs = np.array(theirs_net.compute_face_descriptor(chip))
        assert np.abs(ours_net(chip) - theirs).max() < 1e-5, name
    with pytest.raises(BiometricsError, match="150x150"):
        ours_net(np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(BiometricsError, match="does not look like dlib's face ResNet"):
        DescriptorNet(model_path("shape_predictor_5_face_landmarks.dat"))


def test_the_references_descriptor_is_computed_once_for_a_travellers_captures(
    matcher: FaceMatcher, photos: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    portrait = cv2.imencode(".jpg", photos["luispedro"], [cv2.IMWRITE_JPEG_QUALITY, 70])[1]
    reference = portrait.tobytes()  # as a document's portrait arrives
    probes = [photos["luispedro"], cv2.flip(photos["luispedro"], 1), photos["astronaut"]]
    computed: list[int] = []
    real = matcher.descriptor
    monkeypatch.setattr(matcher, "descriptor", lambda image: computed.append(1) or real(image))
    results = [matcher.compare(reference, probe) for probe in probes]
    assert [r.decision for r in results] == ["match", "match", "no match"]
    assert len(computed) == 1 + len(probes)  # the reference once, each probe once
    assert matcher.compare(reference, probes[0]) == results[0]
