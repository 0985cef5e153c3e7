"""Camera emulation: the frames the caller hands over, as a video file or image sequence
that `VideoCapture` (and so the real camera driver) opens."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence

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


class SceneCamera:
    """A camera the caller points at scenes: a short image sequence that the real driver
    loops over (`Camera(path, loop=True)`), whose files are replaced atomically when the
    scene changes. FFmpeg's image-sequence reader opens each file as it gets to it, so the
    driver sees a new scene within one pass of the sequence, like a live camera.

    `unplug()` removes the files (reads fail, reopening fails); `plug()` restores them.
    """

    def __init__(self, length: int = 4, prefix: str = "kiosk-camera-") -> None:
        import tempfile

        if length < 1:
            raise ValueError("a sequence needs at least one frame")
        self.length = length
        self._dir = tempfile.TemporaryDirectory(prefix=prefix)
        self.path = os.path.join(self._dir.name, "frame_%04d.jpg")
        self._scene: list[np.ndarray] = []
        self.plugged = True

    def show(self, frames: Sequence[np.ndarray]) -> None:
        """Point the camera at these frames (cycled to fill the sequence)."""
        if not frames:
            raise ValueError("no frames to show")
        self._scene = list(frames)
        if self.plugged:
            self._write()

    def _write(self) -> None:
        for index in range(self.length):
            frame = self._scene[index % len(self._scene)]
            ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
            if not ok:
                raise OSError("cannot encode a camera frame")
            final = self.path % index
            with open(final + ".tmp", "wb") as out:
                out.write(data.tobytes())
            os.replace(final + ".tmp", final)

    def unplug(self) -> None:
        self.plugged = False
        for index in range(self.length):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path % index)

    def plug(self) -> None:
        self.plugged = True
        if self._scene:
            self._write()

    def stop(self) -> None:
        self.plugged = False
        self._dir.cleanup()
