"""The technician's and the central operator's path through the CLI, end to end:
provision, inject test records, forward (dir and NATS), verify, spot tampering."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.kiosk.test_cli import run_kiosk
from tests.servers import NatsServer


@pytest.fixture
def provisioned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    central = run_kiosk(
        "provision", "central-key", str(tmp_path / "central.key"), str(tmp_path / "central.pub")
    )
    assert central.returncode == 0, central.stderr
    media = tmp_path / "media"
    media.mkdir()
    config = tmp_path / "etc" / "kiosk.toml"
    init = run_kiosk(
        "provision", "init", "--config", str(config), "--kiosk-id", "K-7", "--post", "UTO-N1",
        "--state-dir", str(tmp_path / "state"), "--central-key", str(tmp_path / "central.pub"),
        "--transport", "dir", "--dir", str(media), "--json",
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    enrolment = json.loads(init.stdout)
    assert enrolment["kiosk"] == "K-7" and len(enrolment["kid"]) == 16
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / "K-7.pem").write_text(enrolment["public_key"])
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    return tmp_path


def test_inject_forward_verify_and_tampering(provisioned: Path) -> None:
    assert run_kiosk("provision", "check").returncode == 0
    injected = run_kiosk("outbox", "inject", "--count", "12", "--size", "2000", "--json")
    assert json.loads(injected.stdout)["sealed"] == 12
    status = json.loads(run_kiosk("outbox", "status", "--json").stdout)
    assert status["pending"] == 12 and status["last_seq"] == 12
    forwarded = run_kiosk("forward", "--once", "--json")
    assert json.loads(forwarded.stdout) == {"delivered": 12, "pending": 0}
    listed = [json.loads(x) for x in run_kiosk("outbox", "list", "--json").stdout.splitlines()]
    assert [r["state"] for r in listed] == ["delivered"] * 12

    media = provisioned / "media"
    args = [
        "--keys",
        str(provisioned / "registry"),
        "--central-key",
        str(provisioned / "central.key"),
    ]
    clean = run_kiosk("verify", str(media), *args)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "kiosk K-7: 12 records, seq 1..12: ok" in clean.stdout

    victim = sorted(media.glob("*.cose"))[4]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    sorted(media.glob("*.cose"))[8].unlink()
    broken = run_kiosk("verify", str(media), *args, "--json")
    assert broken.returncode == 1
    lines = [json.loads(x) for x in broken.stdout.splitlines()]
    tampered = [x["record"] for x in lines if "record" in x and not x["record"]["ok"]]
    assert len(tampered) == 1 and tampered[0]["seq"] == 5
    [kiosk] = [x["kiosk"] for x in lines if "kiosk" in x]
    assert kiosk["gaps"] == [[5, 5], [9, 9]]


def test_forward_to_nats_and_verify_the_stream(provisioned: Path, nats_server: NatsServer) -> None:
    import nats

    async def add_stream() -> None:
        nc = await nats.connect(nats_server.url)
        await nc.jetstream().add_stream(name="BORDER", subjects=["border.records.>"])
        await nc.close()

    asyncio.run(add_stream())
    config = provisioned / "etc" / "kiosk.toml"
    text = config.read_text()
    text = text.replace('transport = "dir"', 'transport = "nats"')
    text = text.split("[forward.dir]")[0] + f'[forward.nats]\nurl = "{nats_server.url}"\n'
    config.write_text(text)
    assert run_kiosk("outbox", "inject", "--count", "5").returncode == 0
    assert run_kiosk("forward", "--once").returncode == 0
    result = run_kiosk(
        "verify", f"{nats_server.url}/BORDER", "--keys", str(provisioned / "registry"),
        "--central-key", str(provisioned / "central.key"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kiosk K-7: 5 records, seq 1..5: ok" in result.stdout


def test_config_errors_name_file_line_and_key(provisioned: Path) -> None:
    config = provisioned / "etc" / "kiosk.toml"
    lines = config.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("transport"))
    lines[number - 1] = 'transport = "ftp"'
    config.write_text("\n".join(lines) + "\n")
    result = run_kiosk("outbox", "status")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"kiosk: error: {config}:{number}: [forward] transport: 'ftp': use one of nats, https, dir"
    )


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("bad-toml", "not valid TOML"),
        ("missing-key", "is missing; run 'kiosk provision init'"),
        ("key-mode", "has mode 0644; run: chmod 600"),
        ("unreachable", "transport nats: 127.0.0.1:9 is unreachable"),
        ("unknown-device", "device mrz: /dev/ttyUSB97 is not present; is it plugged in?"),
    ],
)
def test_provision_check_reports_each_problem(
    provisioned: Path, breakage: str, message: str
) -> None:
    config = provisioned / "etc" / "kiosk.toml"
    key = provisioned / "state" / "keys" / "kiosk.pem"
    if breakage == "bad-toml":
        config.write_text(config.read_text() + "\n[kiosk\n")
    elif breakage == "missing-key":
        key.unlink()
    elif breakage == "key-mode":
        key.chmod(0o644)
    elif breakage == "unreachable":
        text = config.read_text().replace('transport = "dir"', 'transport = "nats"')
        config.write_text(
            text.split("[forward.dir]")[0] + '[forward.nats]\nurl = "nats://127.0.0.1:9"\n'
        )
    elif breakage == "unknown-device":
        config.write_text(
            config.read_text() + '\n[devices.mrz]\ndriver = "mrz-serial"\nport = "/dev/ttyUSB97"\n'
        )
    result = run_kiosk("provision", "check")
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_rotate_key_keeps_the_chain_verifiable_across_keys(provisioned: Path) -> None:
    assert run_kiosk("outbox", "inject", "--count", "3").returncode == 0
    rotated = run_kiosk("provision", "rotate-key", "--json")
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)
    assert new["last_seq_old_key"] == "4"  # the rotation record itself, signed by the old key
    assert run_kiosk("outbox", "inject", "--count", "2").returncode == 0
    assert run_kiosk("forward", "--once").returncode == 0
    media, registry = provisioned / "media", provisioned / "registry"
    central = ["--central-key", str(provisioned / "central.key")]
    old_only = run_kiosk("verify", str(media), "--keys", str(registry), *central)
    assert old_only.returncode == 1
    # The two records the new key signed, and the forwarder's heartbeat it signed too.
    assert old_only.stdout.count("no registered kiosk key with kid " + new["kid"]) == 3
    (registry / "K-7-new.pem").write_text(new["public_key"])
    both = run_kiosk("verify", str(media), "--keys", str(registry), *central)
    assert both.returncode == 0, both.stdout
    assert "kiosk K-7: 6 records, seq 1..6: ok" in both.stdout
    assert run_kiosk("provision", "check").returncode == 0


def test_init_binds_devices_and_writes_quality_thresholds(tmp_path: Path) -> None:
    assert (
        run_kiosk(
            "provision", "central-key", str(tmp_path / "c.key"), str(tmp_path / "c.pub")
        ).returncode
        == 0
    )
    (tmp_path / "media").mkdir()
    config = tmp_path / "kiosk.toml"
    common = [
        "provision", "init", "--config", str(config), "--kiosk-id", "K-9", "--post", "P",
        "--state-dir", str(tmp_path / "state"), "--central-key", str(tmp_path / "c.pub"),
        "--transport", "dir", "--dir", str(tmp_path / "media"),
    ]  # fmt: skip
    wrong = run_kiosk(*common, "--device", "scanner=zhiantec:/dev/ttyUSB1")
    assert wrong.returncode == 1 and "role must be one of mrz" in wrong.stderr
    assert not config.exists()
    made = run_kiosk(*common, "--device", "mrz=mrz-serial:/dev/ttyUSB98", "--json")
    assert made.returncode == 0, made.stderr
    text = config.read_text()
    assert '[devices.mrz]\ndriver = "mrz-serial"\nport = "/dev/ttyUSB98"' in text
    assert "finger_nfiq2_min = 40" in text and "[quality.face]" in text
    check = run_kiosk("provision", "check", "--config", str(config))
    assert check.returncode == 1
    assert "device mrz: /dev/ttyUSB98 is not present" in check.stderr
    lines = text.splitlines()
    number = lines.index("[quality.face]") + 2
    lines[number - 1] = "max_rol_deg = 8.0"
    config.write_text("\n".join(lines) + "\n")
    bad = run_kiosk("provision", "check", "--config", str(config))
    assert bad.returncode == 1
    assert f"{config}:{number}: [quality.face] max_rol_deg: unknown face threshold" in bad.stderr
