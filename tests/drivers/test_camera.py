"""Webcam driver over VideoCapture on generated video files and image sequences."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest
from simkit import Collector

from drivers import DeviceNotFound
from drivers.base import AsyncListener, Notifier, wait_for
from drivers.camera import Camera
from drivers.events import DeviceConnected, DeviceLost, Frame
from drivers.sim.camera import SceneCamera, numbered_frames, write_sequence, write_video


def test_grab_from_video_and_sequence(tmp_path: Path) -> None:
    video = write_video(numbered_frames(5), str(tmp_path / "cam.avi"))
    assert Camera(video).grab().shape == (240, 320, 3)
    pattern = write_sequence(numbered_frames(3), str(tmp_path / "seq"))
    frame = Camera(pattern).grab()
    assert abs(float(frame.mean()) - 10) < 3


def test_missing_camera_is_named() -> None:
    with pytest.raises(DeviceNotFound, match="no such camera"):
        Camera("/dev/video-kiosk-missing").grab(timeout=0.1)


def test_latest_wins_and_reconnect_after_unplug(tmp_path: Path, collector: Collector) -> None:
    path = str(tmp_path / "cam.avi")
    write_video(numbered_frames(20), path)
    notifier = Notifier()
    notifier.add(collector)
    camera = Camera(path, notifier=notifier, fps=100)
    with camera:
        collector.wait(DeviceConnected)
        first = camera.wait_frame(timeout=2)
        assert first is not None
        later = camera.wait_frame(after=first.seq + 5, timeout=2)
        assert later is not None and later.seq > first.seq + 5
        os.rename(path, path + ".away")  # unplugged: the source is gone at end of stream
        collector.wait(DeviceLost, timeout=3)
        os.rename(path + ".away", path)
        collector.wait(DeviceConnected, timeout=2.0)


def test_async_listener_keeps_only_the_latest_frame(tmp_path: Path) -> None:
    path = write_video(numbered_frames(30), str(tmp_path / "cam.avi"))

    async def scenario() -> tuple[int, int]:
        listener = AsyncListener(asyncio.get_running_loop())
        notifier = Notifier()
        notifier.add(listener)
        with Camera(path, notifier=notifier, fps=200, loop=True):
            await asyncio.sleep(0.5)  # a consumer that is busy elsewhere
            queued = sum(isinstance(e, Frame) for e in listener._events)
        return queued, listener.dropped

    queued, dropped = asyncio.run(scenario())
    assert queued <= 1 and dropped > 10


def test_scene_camera_changes_what_the_driver_reads_and_unplugs(collector: Collector) -> None:
    scene = SceneCamera(length=3)
    scene.show(numbered_frames(1))  # brightness ~10
    notifier = Notifier()
    notifier.add(collector)
    try:
        with Camera(scene.path, notifier=notifier, fps=50, loop=True) as camera:
            collector.wait(DeviceConnected)
            first = camera.wait_frame(timeout=2)
            assert first is not None and abs(float(first.image.mean()) - 10) < 3
            scene.show([np.full((240, 320, 3), 200, np.uint8)])
            assert wait_for(
                lambda: (f := camera.latest()) is not None and float(f.image.mean()) > 190, 2
            )
            scene.unplug()
            collector.wait(DeviceLost, timeout=3)
            scene.plug()
            collector.wait(DeviceConnected, timeout=2.0)
            later = camera.wait_frame(after=camera.latest().seq, timeout=2)  # type: ignore[union-attr]
            assert later is not None and float(later.image.mean()) > 190
    finally:
        scene.stop()
