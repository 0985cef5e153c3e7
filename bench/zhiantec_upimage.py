"""ZhianTec UpImage at 115200 baud against a pty peer that paces bytes at the line rate.

Ours: the driver's UpImage (command, ack, data packets, checksums, 4->8 bit).
Reference: pyserial alone reading the same paced byte stream (no decoding), same run.
Target: driver overhead under 10 % above line rate.
"""

from __future__ import annotations

import time

import numpy as np

from drivers import zhiantec_protocol as zp
from drivers.serialport import open_serial
from drivers.sim.zhiantec import ZhianTecEmulator
from drivers.zhiantec import ZhianTecModule


def main() -> None:
    finger = (np.arange(288 * 256) % 256).astype(np.uint8).reshape(288, 256)
    with ZhianTecEmulator(pace=True) as emulator:
        module = ZhianTecModule(emulator.path, timeout=2.0)
        module.open()  # switches to 115200
        emulator.place_finger(finger)
        assert module.finger_present()
        wire = sum(
            len(zp.encode(zp.PID_DATA, b"x" * emulator.packet_size))
            for _ in range(zp.IMAGE_BYTES // emulator.packet_size)
        ) + len(zp.encode(zp.PID_ACK, b"\x00"))
        line = wire * 10 / 115200
        started = time.perf_counter()
        image = module.upload_image()
        ours = time.perf_counter() - started
        assert image.shape == (288, 256)
        module.close()

        port = open_serial(emulator.path, baudrate=115200, timeout=0.05)
        port.write(zp.encode(zp.PID_COMMAND, bytes([zp.CMD_UPIMAGE])))
        started = time.perf_counter()
        got = 0
        while got < wire and time.perf_counter() - started < 10:
            got += len(port.read(max(1, port.in_waiting)))
        reference = time.perf_counter() - started
        port.close()
    print(f"line rate for {wire} bytes at 115200 baud: {line:.3f} s")
    print(
        f"ours (driver UpImage):           {ours:.3f} s  ({(ours / line - 1) * 100:+.1f} % vs line)"
    )
    print(
        f"reference (pyserial raw read):   {reference:.3f} s  "
        f"({(reference / line - 1) * 100:+.1f} % vs line)"
    )
    print(f"driver overhead vs reference:    {(ours / reference - 1) * 100:+.1f} %")


if __name__ == "__main__":
    main()
