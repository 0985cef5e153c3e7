"""Quality scoring off the UI process: NFIQ 2 holds the GIL for ~70 ms per image, which a
thread would take from the event loop, so it runs in a single worker process that keeps
NIST's extractor loaded between images."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import Any


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


def quality_pool() -> ProcessPoolExecutor:
    """One worker, started with `spawn` so it shares nothing (threads, sockets) with the UI.

    Create it before the UI starts: multiprocessing's resource tracker is started here, while
    stderr is still a real file descriptor (Textual replaces it with one that has none).
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
