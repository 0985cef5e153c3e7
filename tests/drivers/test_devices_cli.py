"""`kiosk devices` and `kiosk devices test` through the real entry point, on emulators."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
from simkit import TD3

from drivers.mrz_serial import PRESETS
from drivers.serialport import open_serial
from drivers.sim.mrz_reader import MRZReaderEmulator
from drivers.sim.zhiantec import ZhianTecEmulator


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=60
    )


def test_devices_lists_json_lines() -> None:
    result = kiosk("devices", "--json")
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert {"id", "driver", "path"} <= json.loads(line).keys()


def test_mrz_serial_reads_one_document() -> None:
    with MRZReaderEmulator(PRESETS["stx-etx"]) as emulator:
        done = threading.Event()

        def keep_sending() -> None:
            while not done.is_set():
                if emulator.baud_matches():
                    time.sleep(0.2)
                    emulator.send_document(TD3)
                time.sleep(0.1)

        threading.Thread(target=keep_sending, daemon=True).start()
        try:
            result = kiosk(
                "devices", "test", emulator.tty_path, "--driver", "mrz-serial",
                "--framing", "stx-etx", "--json", "--timeout", "20",
            )  # fmt: skip
        finally:
            done.set()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["lines"] == list(TD3)


def test_zhiantec_writes_the_image(tmp_path: Path, finger_256: np.ndarray) -> None:
    out = tmp_path / "finger.png"
    with ZhianTecEmulator() as emulator:
        emulator.place_finger(finger_256)
        result = kiosk(
            "devices", "test", emulator.path, "--driver", "zhiantec", "--out", str(out), "--json"
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["width"], report["height"], report["baudrate"]) == (256, 288, 115200)
    assert np.array_equal(cv2.imread(str(out), cv2.IMREAD_GRAYSCALE), finger_256)


def test_errors_are_one_line() -> None:
    missing = kiosk("devices", "test", "/dev/ttyKIOSK-missing", "--driver", "mrz-serial")
    assert missing.returncode == 1 and "no such device" in missing.stderr
    unknown = kiosk("devices", "test", "/dev/null")
    assert unknown.returncode == 1 and "--driver" in unknown.stderr
    with ZhianTecEmulator() as emulator:
        bad_out = kiosk("devices", "test", emulator.path, "--driver", "zhiantec", "--out", "x.txt")
        assert bad_out.returncode == 2 and ".png" in bad_out.stderr
        assert emulator.commands == []  # refused before touching the device
        no_finger = kiosk(
            "devices", "test", emulator.path, "--driver", "zhiantec", "--timeout", "0.5"
        )
        assert no_finger.returncode == 1 and "no finger" in no_finger.stderr
        holder = open_serial(emulator.path, baudrate=57600)
        try:
            busy = kiosk("devices", "test", emulator.path, "--driver", "zhiantec")
        finally:
            holder.close()
        assert busy.returncode == 1 and "busy" in busy.stderr
    for result in (missing, unknown, bad_out, no_finger, busy):
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
