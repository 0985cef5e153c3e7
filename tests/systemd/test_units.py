"""The deployment files as systemd itself reads them: verify clean, hardening within bounds,
sysusers and tmpfiles applied to a temporary root."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.kiosk.test_cli import run_kiosk

needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("root")
    result = run_kiosk("provision", "install-units", "--root", str(root))
    assert result.returncode == 0, result.stderr
    return root


def unit(root: Path, name: str) -> Path:
    return root / "etc/systemd/system" / name


@needs_systemd
@pytest.mark.parametrize("name", ["border-kiosk.service", "border-forwarder.service"])
def test_units_verify_without_any_warning(root: Path, name: str) -> None:
    text = unit(root, name).read_text()
    assert "@KIOSK_BIN@" not in text
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit(root, name))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # it exits 0 on warnings


@needs_systemd
@pytest.mark.parametrize(
    ("name", "limit"), [("border-forwarder.service", 2.5), ("border-kiosk.service", 4.0)]
)
def test_exposure_within_limit(root: Path, name: str, limit: float) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(unit(root, name))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= limit


def test_forwarder_is_a_watched_notify_service(root: Path) -> None:
    text = unit(root, "border-forwarder.service").read_text()
    for line in ("Type=notify", "Restart=always", "NoNewPrivileges=yes", "CapabilityBoundingSet="):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line
    assert re.search(r"^WatchdogSec=\d+", text, re.M)
    assert re.search(r"^ExecStart=/\S+/kiosk forward", text, re.M)


def test_udev_rules_cover_every_supported_scanner_and_ignore_modemmanager(root: Path) -> None:
    rules = (root / "etc/udev/rules.d/70-border-kiosk.rules").read_text()
    for vid_pid in ("05ba", "10c4", "1a86", "0403", "067b"):
        assert f'"{vid_pid}"' in rules
    for line in rules.splitlines():
        if 'SUBSYSTEM=="tty"' in line:
            assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in line
        if line and not line.startswith("#"):
            assert 'GROUP="kiosk"' in line


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="no systemd-sysusers")
def test_sysusers_creates_the_service_account(root: Path) -> None:
    etc = root / "etc"
    for name in ("passwd", "group"):
        (etc / name).touch()
    subprocess.run(
        ["systemd-sysusers", f"--root={root}", str(etc / "sysusers.d/border-kiosk.conf")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert re.search(r"^kiosk:x:\d+:\d+:", (etc / "passwd").read_text(), re.M)
    group = (etc / "group").read_text()
    assert re.search(r"^video:x:\d+:kiosk$", group, re.M)


def test_missing_kiosk_bin_is_a_clear_error(tmp_path: Path) -> None:
    result = run_kiosk(
        "provision", "install-units", "--root", str(tmp_path), "--kiosk-bin", "/nope/kiosk"
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "kiosk: error: /nope/kiosk does not exist; pass --kiosk-bin with the installed path"
    )


@pytest.fixture(scope="module")
def dir_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Units rendered for a kiosk whose transport writes to removable media."""
    base = tmp_path_factory.mktemp("dir-kiosk")
    assert (
        run_kiosk("provision", "central-key", str(base / "c.key"), str(base / "c.pub")).returncode
        == 0
    )
    (base / "media").mkdir()
    config = base / "kiosk.toml"
    init = run_kiosk(
        "provision", "init", "--config", str(config), "--kiosk-id", "K-1", "--post", "P",
        "--state-dir", str(base / "state"), "--central-key", str(base / "c.pub"),
        "--transport", "dir", "--dir", str(base / "media"),
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    root = base / "root"
    result = run_kiosk("provision", "install-units", "--root", str(root), "--config", str(config))
    assert result.returncode == 0, result.stderr
    return root


def test_the_forwarder_may_write_the_dir_transports_media(dir_root: Path) -> None:
    """Under ProtectSystem=strict the dir transport could not write its media."""
    text = unit(dir_root, "border-forwarder.service").read_text()
    media = dir_root.parent / "media"
    assert re.search(rf"^ReadWritePaths=-{re.escape(str(media))}$", text, re.M)
    assert "@READ_WRITE_PATHS@" not in text


@needs_systemd
def test_the_dir_transport_unit_verifies_without_any_warning(dir_root: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit(dir_root, "border-forwarder.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


@pytest.mark.parametrize("name", ["border-kiosk.service", "border-forwarder.service"])
def test_no_core_dumps(root: Path, name: str) -> None:
    """A core dump of either service would hold traveller data or key material."""
    assert re.search(r"^LimitCORE=0$", unit(root, name).read_text(), re.M)
    assert "@READ_WRITE_PATHS@" not in unit(root, name).read_text()
