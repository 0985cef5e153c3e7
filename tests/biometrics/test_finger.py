"""NFIQ 2 through nbis-py on synthetic fingerprints, and the capture policy."""

from __future__ import annotations

import numpy as np
import pytest

from biometrics import BiometricsError, synthetic
from biometrics.finger import CapturePolicy, FingerAssessor, FingerException, FingerPosition

# The four actionable-feedback names NIST's NFIQ 2 reports; a look-alike would not have them.
NFIQ2_ACTIONABLE = {
    "UniformImage",
    "EmptyImageOrContrastTooLow",
    "FingerprintImageWithMinutiae",
    "SufficientFingerprintForeground",
}


@pytest.fixture(scope="module")
def assessor() -> FingerAssessor:
    return FingerAssessor(threshold=40)


def test_generator_is_seeded() -> None:
    a, b, c = synthetic.fingerprint(7), synthetic.fingerprint(7), synthetic.fingerprint(8)
    assert a.shape == (320, 256) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # Ridges: plenty of both dark and light pixels inside the finger.
    centre = a[100:220, 80:180]
    assert (centre < 80).mean() > 0.2 and (centre > 170).mean() > 0.2


def test_nfiq2_is_nists(assessor: FingerAssessor) -> None:
    q = assessor.assess(synthetic.fingerprint(1))
    assert 0 <= q.score <= 100
    assert set(q.actionable) == NFIQ2_ACTIONABLE
    assert q.minutiae > 10
    assert q.seconds > 0


def test_scores_order_clean_above_degraded(assessor: FingerAssessor) -> None:
    for seed in (1, 2):
        clean = synthetic.fingerprint(seed)
        clean_score = assessor.assess(clean).score
        assert clean_score >= 40
        for kind in synthetic.DEGRADATIONS:
            degraded = assessor.assess(synthetic.degrade(clean, kind, seed)).score
            assert degraded < clean_score, (seed, kind, degraded, clean_score)


def test_blank_and_noise_fail(assessor: FingerAssessor) -> None:
    blank = assessor.assess(np.full((320, 256), 255, np.uint8))
    assert blank.score == 0 and not blank.passed
    noise = np.random.default_rng(0).integers(0, 256, (320, 256)).astype(np.uint8)
    assert assessor.assess(noise).score < assessor.assess(synthetic.fingerprint(1)).score


def test_bad_input(assessor: FingerAssessor) -> None:
    with pytest.raises(BiometricsError, match="greyscale"):
        assessor.assess(np.zeros((320, 256, 3), np.uint8))
    with pytest.raises(BiometricsError, match="too small"):
        assessor.assess(np.zeros((20, 20), np.uint8))
    with pytest.raises(BiometricsError, match="threshold"):
        FingerAssessor(threshold=101)
    with pytest.raises(BiometricsError, match="unknown degradation"):
        synthetic.degrade(synthetic.fingerprint(1), "oily")  # type: ignore[arg-type]


def test_policy_keeps_best_and_stops_at_limit(assessor: FingerAssessor) -> None:
    policy = CapturePolicy(FingerAssessor(threshold=95), max_attempts=3)
    clean = synthetic.fingerprint(3)
    images = [synthetic.degrade(clean, "wet", 3), clean, synthetic.degrade(clean, "dry", 3)]
    for img in images:
        cap = policy.offer(FingerPosition.RIGHT_INDEX, img)
    assert cap.attempts == 3
    assert cap.best is not None and cap.best.score == max(cap.scores)
    assert cap.best_image is clean
    assert policy.exhausted(FingerPosition.RIGHT_INDEX)
    with pytest.raises(BiometricsError, match="all 3 attempts used"):
        policy.offer(FingerPosition.RIGHT_INDEX, clean)


def test_policy_stops_early_when_passing(assessor: FingerAssessor) -> None:
    policy = CapturePolicy(assessor, max_attempts=3)
    cap = policy.offer(FingerPosition.LEFT_THUMB, synthetic.fingerprint(4))
    assert cap.done and cap.attempts == 1
    assert cap.to_dict()["passed"] is True


def test_exceptions_are_data(assessor: FingerAssessor) -> None:
    policy = CapturePolicy(assessor)
    policy.record_exception(FingerPosition.RIGHT_LITTLE, FingerException.AMPUTATED)
    policy.record_exception(FingerPosition.LEFT_RING, FingerException.BANDAGED)
    out = [c.to_dict() for c in policy.results()]
    assert out[0]["position"] == 5 and out[0]["exception"] == "amputated"
    assert out[0]["exception_code"] == "XX"
    assert out[1]["position"] == 9 and out[1]["exception_code"] == "UP"
    with pytest.raises(BiometricsError, match="recorded as"):
        policy.offer(FingerPosition.RIGHT_LITTLE, synthetic.fingerprint(1))
