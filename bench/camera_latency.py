"""Camera: latency the latest-frame handover adds (target: under one frame period).

Ours: time from the reader thread publishing a frame to a waiting consumer holding it.
Reference: plain `VideoCapture.read()` in the consumer's own thread (no handover), same run,
on the same generated 30 fps video.
"""

from __future__ import annotations

import os
import tempfile
import time

import cv2
import numpy as np

from drivers.camera import Camera
from drivers.sim.camera import numbered_frames, write_video


def main(frames: int = 90, fps: float = 30.0) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = write_video(numbered_frames(frames, 640, 480), os.path.join(directory, "c.avi"))
        added = []
        with Camera(path, fps=fps, loop=True) as camera:
            last = -1
            for _ in range(frames):
                frame = camera.wait_frame(after=last, timeout=2)
                if frame is None:
                    break
                added.append(time.monotonic() - frame.time)
                last = frame.seq
        cap = cv2.VideoCapture(path)
        reads = []
        for _ in range(frames):
            started = time.monotonic()
            ok, _ = cap.read()
            if not ok:
                break
            reads.append(time.monotonic() - started)
        cap.release()
    period = 1000 / fps
    print(f"frame period at {fps:g} fps: {period:.1f} ms")
    print(
        f"ours: handover latency median {np.median(added) * 1000:.2f} ms, "
        f"max {np.max(added) * 1000:.2f} ms over {len(added)} frames"
    )
    print(f"reference: VideoCapture.read() median {np.median(reads) * 1000:.2f} ms (decode cost)")


if __name__ == "__main__":
    main()
