"""Webcams through OpenCV `VideoCapture` (V4L2): MJPG, size, fps, latest-frame reader.

The reader thread keeps only the newest frame (latest wins): a slow consumer gets the most
recent picture and never a backlog. Files and image sequences work too (tests, `--sim`);
they are paced at `fps` like a live camera.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import numpy as np

from drivers import (
    DeviceError,
    DeviceLost,
    DeviceNotFound,
    DevicePermissionDenied,
    permission_message,
)
from drivers.base import Device, Notifier
from drivers.events import Frame

log = logging.getLogger(__name__)


def _cv2() -> Any:
    import cv2

    return cv2


class Camera(Device):
    """One camera: `/dev/videoN`, an index, a video file or an image-sequence pattern."""

    driver_name = "camera"

    def __init__(
        self,
        path: str,
        *,
        notifier: Notifier | None = None,
        width: int | None = 1280,
        height: int | None = 720,
        fps: float = 30.0,
        mjpg: bool = True,
        loop: bool = False,
        read_timeout: float = 2.0,
    ) -> None:
        super().__init__(path, notifier=notifier)
        self.width, self.height, self.fps = width, height, fps
        self.mjpg = mjpg
        self.loop = loop
        self.read_timeout = read_timeout
        self._cap: Any = None
        self._file = False
        self._latest: Frame | None = None
        self._cond = threading.Condition()
        self._seq = 0
        self._next_due = 0.0

    # -- latest-wins handover -------------------------------------------------------------
    def latest(self) -> Frame | None:
        with self._cond:
            return self._latest

    def wait_frame(self, after: int = -1, timeout: float = 2.0) -> Frame | None:
        """The newest frame with seq > `after`, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._latest is None or self._latest.seq <= after:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._latest

    # -- device ---------------------------------------------------------------------------
    def _source(self) -> tuple[Any, int]:
        cv2 = _cv2()
        path = self.path
        if path.isdigit():
            return int(path), cv2.CAP_V4L2
        if path.startswith("/dev/video"):
            if not os.path.exists(path):
                raise DeviceNotFound(f"{path}: no such camera (unplugged?)")
            if not os.access(path, os.R_OK | os.W_OK):
                raise DevicePermissionDenied(permission_message(path))
            return path, cv2.CAP_V4L2
        if "%" not in path and not os.path.exists(path):
            raise DeviceNotFound(f"{path}: no such camera or video file")
        return path, cv2.CAP_ANY

    def _open(self) -> str:
        cv2 = _cv2()
        source, api = self._source()
        cap = cv2.VideoCapture(source, api)
        if not cap.isOpened():
            cap.release()
            raise DeviceNotFound(f"{self.path}: OpenCV cannot open it as a camera or video")
        self._file = api != cv2.CAP_V4L2
        if not self._file:
            if self.mjpg:
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            if self.width and self.height:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap
        self._next_due = time.monotonic()
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        return f"camera {width}x{height} @ {cap.get(cv2.CAP_PROP_FPS):g} fps"

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def _step(self) -> None:
        cap = self._cap
        if cap is None:
            raise DeviceLost("camera not open")
        if self._file:
            delay = self._next_due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_due = max(self._next_due + 1 / self.fps, time.monotonic() - 1)
        started = time.monotonic()
        ok, image = cap.read()
        if not ok and self._file and self.loop:
            cap.set(_cv2().CAP_PROP_POS_FRAMES, 0)
            ok, image = cap.read()
        if not ok or image is None:
            if self._file:
                raise DeviceLost(f"{self.path}: no more frames (camera unplugged?)")
            if time.monotonic() - started >= self.read_timeout:
                raise DeviceLost(f"{self.path}: no frame for {self.read_timeout:g} s")
            raise DeviceLost(f"{self.path}: frame read failed (camera unplugged?)")
        self._publish(np.ascontiguousarray(image))

    def _publish(self, image: np.ndarray) -> None:
        self._seq += 1
        frame = Frame(device=self.path, image=image, seq=self._seq)
        with self._cond:
            self._latest = frame
            self._cond.notify_all()
        self.emit(frame)

    def grab(self, timeout: float = 5.0) -> np.ndarray:
        """One-shot capture for technicians: open, read one frame, close."""
        self._open()
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    self._step()
                    frame = self.latest()
                    if frame is not None:
                        return np.asarray(frame.image)
                except DeviceLost as exc:
                    if time.monotonic() >= deadline:
                        raise DeviceError(str(exc)) from exc
        finally:
            self._close()
