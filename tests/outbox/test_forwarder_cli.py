"""The forwarder and the outbox through the CLI on a provisioned kiosk (`kiosk provision
init`, with devices and the face-quality section it writes): the link state as last
seen, the heartbeat that lets `kiosk verify --expect-complete` see a missing tail, and
commands that stay lean (no OpenCV, no numpy)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tests.kiosk.test_cli import run_kiosk


def provision(tmp_path: Path, transport: list[str]) -> Path:
    made = run_kiosk(
        "provision", "central-key", str(tmp_path / "central.key"), str(tmp_path / "central.pub")
    )
    assert made.returncode == 0, made.stderr
    config = tmp_path / "etc" / "kiosk.toml"
    init = run_kiosk(
        "provision", "init", "--config", str(config), "--kiosk-id", "K-5", "--post", "UTO-N1",
        "--state-dir", str(tmp_path / "state"), "--central-key", str(tmp_path / "central.pub"),
        "--device", "face_camera=camera:/dev/video0", "--device", "mrz=mrz-serial:/dev/ttyS0",
        *transport, "--json",
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / "K-5.pem").write_text(json.loads(init.stdout)["public_key"])
    assert "[quality.face]" in config.read_text()
    return config


@pytest.fixture
def on_media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "media").mkdir()
    config = provision(tmp_path, ["--transport", "dir", "--dir", str(tmp_path / "media")])
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    return tmp_path


def test_link_state_says_since_when_and_the_last_error(on_media: Path) -> None:
    assert "link        unknown" in run_kiosk("outbox", "status").stdout
    run_kiosk("outbox", "inject", "--count", "2")
    (on_media / "media").rename(on_media / "unplugged")
    failed = run_kiosk("forward", "--once")
    assert failed.returncode == 1
    assert failed.stderr.startswith("kiosk: error: ") and failed.stderr.count("\n") == 1
    status = run_kiosk("outbox", "status").stdout
    assert re.search(
        r"link +down since \d\d:\d\d:\d\d UTC \(.*is not a mounted directory\)", status
    )
    (on_media / "unplugged").rename(on_media / "media")
    assert run_kiosk("forward", "--once").returncode == 0
    figures = json.loads(run_kiosk("outbox", "status", "--json").stdout)
    assert figures["link"] == "up" and figures["pending"] == 0
    assert "is not a mounted directory" in figures["last_error"]
    assert figures["last_error_at"] <= figures["link_since"] <= figures["link_seen_at"]
    status = run_kiosk("outbox", "status").stdout
    assert re.search(r"link +up since .*; last error \d\d:\d\d:\d\d UTC: .*not a mounted", status)


def test_verify_expect_complete_reports_the_missing_tail(on_media: Path) -> None:
    media = on_media / "media"
    verify = [
        "verify", str(media), "--keys", str(on_media / "registry"),
        "--central-key", str(on_media / "central.key"),
    ]  # fmt: skip
    run_kiosk("outbox", "inject", "--count", "6")
    assert run_kiosk("forward", "--once").returncode == 0
    complete = run_kiosk(*verify, "--expect-complete")
    assert complete.returncode == 0, complete.stdout + complete.stderr
    assert "last sealed seq 6, 0 pending" in complete.stdout
    # The newest two never arrive (lost with a stick, say); the heartbeat knew of them.
    for record in sorted(media.glob("K-5-0*.cose"))[-2:]:
        record.unlink()
    plain = run_kiosk(*verify)
    assert plain.returncode == 0  # without the heartbeat's word a lost tail looks fine
    short = run_kiosk(*verify, "--expect-complete")
    assert short.returncode == 1
    assert "missing tail: seq 5..6 sealed at the kiosk but not here" in short.stdout
    rows = [
        json.loads(x)
        for x in run_kiosk(*verify, "--expect-complete", "--json").stdout.split("\n")
        if x
    ]
    [tail] = [row["tail"] for row in rows if "tail" in row]
    assert tail["missing_tail"] == [5, 6] and tail["heartbeat_last_seq"] == 6
    (media / "K-5-status.cose").unlink()
    blind = run_kiosk(*verify, "--expect-complete")
    assert blind.returncode == 1 and "no heartbeat" in blind.stdout


def test_a_forged_heartbeat_is_reported(on_media: Path) -> None:
    run_kiosk("outbox", "inject", "--count", "1")
    assert run_kiosk("forward", "--once").returncode == 0
    beat = on_media / "media" / "K-5-status.cose"
    data = bytearray(beat.read_bytes())
    data[-70] ^= 0x01  # inside the payload: last_seq, chain or time
    beat.write_bytes(bytes(data))
    checked = run_kiosk(
        "verify", str(on_media / "media"), "--keys", str(on_media / "registry"),
        "--expect-complete",
    )  # fmt: skip
    assert checked.returncode == 1 and "heartbeat does not verify" in checked.stdout


LOADED = (
    "import sys, runpy; sys.argv = ['kiosk', *sys.argv[1:]]\n"
    "from kiosk.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'cv2', 'numpy', 'textual', 'PIL'})\n"
    "print('HEAVY', ','.join(heavy), file=sys.stderr)\n"
)


@pytest.mark.parametrize(
    "command",
    [
        ["outbox", "status"],
        ["outbox", "list"],
        ["outbox", "inject", "--count", "1"],
        ["forward", "--once"],
        ["provision", "check"],
    ],
)
def test_commands_without_images_import_neither_opencv_nor_numpy(
    on_media: Path, command: list[str]
) -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", LOADED, *command], capture_output=True, text=True, timeout=120
    )
    heavy = [line for line in done.stderr.splitlines() if line.startswith("HEAVY")]
    assert heavy == ["HEAVY "], done.stderr


def test_quality_section_is_still_checked_without_opencv(on_media: Path) -> None:
    path = on_media / "etc" / "kiosk.toml"
    path.write_text(path.read_text().replace("min_inter_eye_px", "min_inter_eye_pix"))
    bad = run_kiosk("outbox", "status")
    assert bad.returncode == 1
    assert (
        "[quality.face] min_inter_eye_pix" in bad.stderr and "unknown face threshold" in bad.stderr
    )
