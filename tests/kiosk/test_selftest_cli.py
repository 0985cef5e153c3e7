"""`kiosk selftest`: every configured device opened as the kiosk would, through the real
entry point, against the pty emulators of a reader and a fingerprint module."""

from __future__ import annotations

import json
from pathlib import Path

from drivers.sim.mrz_reader import MRZReaderEmulator
from drivers.sim.zhiantec import ZhianTecEmulator
from kiosk.provisioning import InitOptions, init
from outbox.keys import generate_central_key
from tests.kiosk.test_cli import run_kiosk


def provision(tmp_path: Path, devices: tuple[tuple[str, str, str], ...]) -> Path:
    generate_central_key(tmp_path / "central.key", tmp_path / "central.pub")
    config = tmp_path / "kiosk.toml"
    init(
        InitOptions(
            config_path=config,
            kiosk_id="K-3",
            post="UTO-N1",
            direction="entry",
            state_dir=tmp_path / "state",
            central_key=tmp_path / "central.pub",
            transport="dir",
            transport_settings={"path": str(tmp_path / "media")},
            devices=devices,
        )
    )
    return config


def test_every_configured_device_answers(tmp_path: Path) -> None:
    with MRZReaderEmulator() as reader, ZhianTecEmulator() as scanner:
        config = provision(
            tmp_path,
            (("mrz", "mrz-serial", reader.path), ("fingerprint", "zhiantec", scanner.path)),
        )
        result = run_kiosk("selftest", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["role"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["mrz"]["ok"] and rows["mrz"]["detail"].startswith("serial MRZ reader")
    # The module answered the password, parameter and baud-switch commands over the wire.
    assert rows["fingerprint"]["ok"] and "fingerprint module" in rows["fingerprint"]["detail"]


def test_a_missing_device_fails_with_its_reason(tmp_path: Path) -> None:
    with ZhianTecEmulator() as scanner:
        config = provision(
            tmp_path,
            (
                ("fingerprint", "zhiantec", scanner.path),
                ("mrz", "mrz-serial", str(tmp_path / "ttyGONE")),
            ),
        )
        result = run_kiosk("selftest", "--config", str(config), "--timeout", "1")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("fingerprint") and " ok " in line for line in lines), lines
    (missing,) = [line for line in lines if line.startswith("mrz")]
    assert "FAILED" in missing and "ttyGONE" in missing
    assert result.stderr == ""  # the reason is on the device's line, not repeated as a warning


def test_no_devices_configured_is_one_line(tmp_path: Path) -> None:
    result = run_kiosk("selftest", "--config", str(provision(tmp_path, ())))
    assert result.returncode == 1
    assert result.stderr.startswith("kiosk: error: no devices are configured")
    assert len(result.stderr.splitlines()) == 1
