"""Quality scoring off the UI process, in one worker process.

NFIQ 2 holds the GIL for ~70 ms per image and the face assessment (~40 ms per 640x480
frame) for parts of it, which a thread would take from the event loop; so both run in a
single `spawn`ed worker that keeps NIST's extractor, the Haar cascades and the live
`FaceStream` of the traveller at the camera loaded between calls. Face and fingers are
successive steps, so one worker is enough; the UI sends it the newest frame only when the
previous one is done (latest wins).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

# -- fingerprints -------------------------------------------------------------------------


@cache
def _assessor(threshold: int) -> Any:
    from biometrics.finger import FingerAssessor

    return FingerAssessor(threshold=threshold)


def finger_score(image: Any, threshold: int) -> tuple[int, bytes]:
    """NFIQ 2 score and the PNG of one 8-bit fingerprint image (runs in the worker)."""
    import cv2

    score = _assessor(threshold).assess(image).score
    ok, png = cv2.imencode(".png", image)
    return int(score), png.tobytes() if ok else b""


# -- face ---------------------------------------------------------------------------------

PORTRAIT_WIDTH = 480  # ICAO token portrait, 480 x 640
THUMBNAIL = (120, 160)  # width, height of a portrait shown on screen (40+ cells wide)


@dataclass(frozen=True)
class FacePortrait:
    """What the record keeps of a face capture: the token portrait and its quality."""

    jpeg: bytes
    quality: dict[str, Any]  # every measure, verdict, `capture` ("auto"/"manual"), `failing`
    thumbnail: Any  # small RGB array for the screen
    manual: bool
    failing: list[str]


@dataclass(frozen=True)
class FaceUpdate:
    """One assessed frame: what the officer is told, and the capture when it happened."""

    instruction: str
    passed: bool
    failing: list[str]
    face_box: tuple[int, int, int, int] | None
    scores: dict[str, tuple[int, bool]] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    capture: FacePortrait | None = None


class _FaceSession:
    """The worker's one live stream (the traveller at the camera now)."""

    def __init__(self) -> None:
        self.stream: Any = None
        self.frames = 0

    def begin(self, thresholds: dict[str, float], window: int, stable: int) -> None:
        from biometrics.stream import FaceStream

        self.stream = FaceStream(_face_assessor(tuple(sorted(thresholds.items()))), window, stable)
        self.frames = 0

    def feed(self, frame: Any) -> FaceUpdate:
        import time

        if self.stream is None:
            raise RuntimeError("face_begin first")
        started = time.perf_counter()
        update = self.stream.feed(frame)
        self.frames += 1
        a = update.assessment
        capture = self._portrait(update.capture) if update.capture is not None else None
        return FaceUpdate(
            instruction=update.instruction,
            passed=a.passed,
            failing=a.failing(),
            face_box=tuple(int(v) for v in a.face_box) if a.face_box else None,  # type: ignore[arg-type]
            scores={k: (m.score, m.passed) for k, m in a.measures.items()},
            elapsed_ms=(time.perf_counter() - started) * 1000,
            capture=capture,
        )

    def manual(self) -> FacePortrait:
        if self.stream is None:
            raise RuntimeError("face_begin first")
        return self._portrait(self.stream.manual_capture())

    def _portrait(self, capture: Any) -> FacePortrait:
        import cv2

        from biometrics.portrait import encode, token_portrait

        a = capture.assessment
        if a.eyes is not None:
            left, right = a.eyes
            portrait = token_portrait(capture.frame, left, right, width=PORTRAIT_WIDTH)
            cut = "token"
        else:  # the officer captured a frame the detector found no face in
            portrait = _centre_crop(capture.frame)
            cut = "uncropped"
        quality = record_quality(a.to_dict())
        quality.update(
            capture="manual" if capture.manual else "auto",
            manual=capture.manual,
            failing=list(capture.failing),
            frames_assessed=self.frames,
            portrait_cut=cut,
        )
        thumb = cv2.resize(portrait, THUMBNAIL, interpolation=cv2.INTER_AREA)
        return FacePortrait(
            jpeg=encode(portrait, "jpeg", 90),
            quality=quality,
            thumbnail=cv2.cvtColor(thumb, cv2.COLOR_BGR2RGB),
            manual=capture.manual,
            failing=list(capture.failing),
        )


def record_quality(assessment: dict[str, Any]) -> dict[str, Any]:
    """The assessment as the record keeps it: records carry no floats (deterministic
    CBOR), so each measure's raw value is in thousandths (`value_milli`), pixels whole."""
    measures = {
        name: {
            "value_milli": round(m["value"] * 1000),
            "score": int(m["score"]),
            "pass": bool(m["pass"]),
        }
        for name, m in assessment["measures"].items()
    }
    eyes = assessment.get("eyes")
    return {
        "verdict": assessment["verdict"],
        "instruction": assessment["instruction"],
        "faces": int(assessment["faces"]),
        "face_box": assessment.get("face_box"),
        "eyes": [[round(v) for v in eye] for eye in eyes] if eyes else None,
        "measures": measures,
    }


def _centre_crop(frame: Any) -> Any:
    """The middle 3:4 part of a frame, for a portrait without detected eyes."""
    height, width = frame.shape[:2]
    crop = min(width, height * 3 // 4)
    x0 = (width - crop) // 2
    return frame[:, x0 : x0 + crop]


@cache
def _face_assessor(thresholds: tuple[tuple[str, float], ...]) -> Any:
    from biometrics.face import FaceAssessor, thresholds_from_dict

    return FaceAssessor(thresholds_from_dict(dict(thresholds)))


@cache
def _session() -> _FaceSession:
    return _FaceSession()


def face_begin(thresholds: dict[str, float], window: int = 15, stable: int = 3) -> None:
    """A new traveller steps in front of the camera (runs in the worker)."""
    _session().begin(thresholds, window, stable)


def face_feed(frame: Any) -> FaceUpdate:
    """Assess one frame; auto-captures once `stable` frames in a row pass (in the worker)."""
    return _session().feed(frame)


def face_manual() -> FacePortrait:
    """The officer's capture: the best frame seen, flagged manual (in the worker)."""
    return _session().manual()


# -- 1:1 verification against the document's portrait ------------------------------------


@cache
def _matcher() -> Any:
    """dlib's landmarks and descriptor, loaded once per worker (~0.5 s) and reused."""
    from biometrics.verify import FaceMatcher

    return FaceMatcher()


def reference_thumbnail(image: bytes) -> Any:
    """The document's portrait, small and RGB, for the screen. Runs in a thread of the UI
    process (OpenCV's decoder releases the GIL), so the worker stays free for the live
    face; None when the image does not decode."""
    import cv2
    import numpy as np

    bgr = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    height, width = bgr.shape[:2]
    # The screen's copy keeps the portrait's shape; at most the size of a captured one.
    scale = min(THUMBNAIL[0] / width, THUMBNAIL[1] / height, 1.0)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    thumb = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(thumb, cv2.COLOR_BGR2RGB)


_references: dict[bytes, Any] = {}  # SHA-256 of the reference -> its descriptor (or None)


def face_match(reference: bytes, probe: bytes) -> dict[str, Any]:
    """Compare the captured portrait (JPEG) with the document's portrait (in the worker,
    after the capture, so the live face never waits for it). The reference's descriptor
    is computed once per traveller and kept for a second comparison; the result is as
    the record keeps it (`match_record`). Raises BiometricsError when the reference does
    not decode."""
    import hashlib

    from biometrics.verify import MatchResult

    matcher = _matcher()
    key = hashlib.sha256(reference).digest()
    if key not in _references:
        _references.clear()  # one traveller at a time
        _references[key] = matcher.descriptor(reference)
    descriptor = _references[key]
    if descriptor is None:
        result = MatchResult(
            score=None,
            distance=None,
            threshold=matcher.threshold,
            decision="no face",
            reason="no face in the document portrait",
        )
    else:
        result = matcher.compare(descriptor, probe)
    return match_record(result)


def match_record(result: Any) -> dict[str, Any]:
    """A `biometrics.verify.MatchResult` for the record: no floats in records, so score,
    distance and threshold are in thousandths."""

    def milli(value: float | None) -> int | None:
        return None if value is None else round(value * 1000)

    return {
        "decision": result.decision,
        "reason": result.reason,
        "score_milli": milli(result.score),
        "distance_milli": milli(result.distance),
        "threshold_milli": milli(result.threshold),
        "model": result.model,
    }


def warm_up(thresholds: dict[str, float], finger_threshold: int) -> None:
    """Load the face models and NFIQ 2 before the first traveller needs them (in the
    worker). The face matcher loads at the first comparison, after that traveller's face
    was captured: loaded here it would hold up a quick officer's first live face."""
    _face_assessor(tuple(sorted(thresholds.items())))
    _assessor(finger_threshold)


def quality_pool() -> ProcessPoolExecutor:
    """One worker, started with `spawn` so it shares nothing (threads, sockets) with the UI.

    Create it before the UI starts: multiprocessing's resource tracker is started here, while
    stderr is still a real file descriptor (Textual replaces it with one that has none).
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    from kiosk.memory import pin_mmap_threshold

    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=pin_mmap_threshold,
    )
    # Start the worker now, while this process is small: forking it later, from the event
    # loop, held the loop for ~50 ms.
    pool.submit(int)
    return pool
