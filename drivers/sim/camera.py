"""Camera emulation: the frames the caller hands over, as a video file or image sequence
that `VideoCapture` (and so the real camera driver) opens."""

from __future__ import annotations

import os
from collections.abc import Iterable

import cv2
import numpy as np


def write_video(frames: Iterable[np.ndarray], path: str, fps: float = 30.0) -> str:
    """An MJPG AVI of the frames; returns `path`."""
    writer: cv2.VideoWriter | None = None
    try:
        for frame in frames:
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(
                    path, cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height)
                )
                if not writer.isOpened():
                    raise OSError(f"cannot write video {path}")
            writer.write(frame)
    finally:
        if writer is not None:
            writer.release()
    if writer is None:
        raise ValueError("no frames to write")
    return path


def write_sequence(frames: Iterable[np.ndarray], directory: str) -> str:
    """PNG files frame_0000.png...; returns the pattern VideoCapture opens."""
    os.makedirs(directory, exist_ok=True)
    count = 0
    for index, frame in enumerate(frames):
        if not cv2.imwrite(os.path.join(directory, f"frame_{index:04d}.png"), frame):
            raise OSError(f"cannot write frame {index} to {directory}")
        count += 1
    if not count:
        raise ValueError("no frames to write")
    return os.path.join(directory, "frame_%04d.png")


def numbered_frames(count: int, width: int = 320, height: int = 240) -> list[np.ndarray]:
    """Frames whose mean brightness encodes their index (to tell them apart after codecs)."""
    return [
        np.full((height, width, 3), 10 + (index * 20) % 230, np.uint8) for index in range(count)
    ]
