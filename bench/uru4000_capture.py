"""U.are.U capture to a numpy image: driver CPU time per capture (target < 50 ms).

Ours: the whole capture (control requests, bulk read through pyusb, de-scrambling).
Reference: the same bulk read through pyusb with no decoding, same run.
"""

from __future__ import annotations

import time

import numpy as np

from drivers import uru4000_protocol as up
from drivers.sim.uru4000 import URU4000Backend
from drivers.uru4000 import URU4000Scanner, find_scanners


def main(rounds: int = 20) -> None:
    backend = URU4000Backend()
    scanner = URU4000Scanner(find_scanners(backend)[0])
    scanner.open()
    backend.place_finger(np.random.default_rng(1).integers(0, 256, (290, 384), dtype=np.uint8))
    ours = []
    reference = []
    for _ in range(rounds):
        started = time.process_time()
        scanner.capture()
        ours.append(time.process_time() - started)
        scanner.set_mode(up.MODE_CAPTURE)
        started = time.process_time()
        scanner.dev.read(up.EP_DATA, up.IMAGE_SIZE, 2000)
        reference.append(time.process_time() - started)
    # Both include the emulator's own work (it scrambles each image in this process).
    print(f"ours (capture + de-scramble), CPU median: {np.median(ours) * 1000:.1f} ms")
    print(f"reference (raw pyusb bulk read), CPU median: {np.median(reference) * 1000:.1f} ms")
    print(
        f"driver CPU beyond the raw read: {(np.median(ours) - np.median(reference)) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
