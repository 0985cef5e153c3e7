"""The alert sync service and timer as systemd reads them: installed by
`kiosk provision install-units`, clean under `systemd-analyze verify`, hardened like the
forwarder."""

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
def units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("root")
    result = run_kiosk("provision", "install-units", "--root", str(root))
    assert result.returncode == 0, result.stderr
    return root / "etc/systemd/system"


def test_the_service_runs_one_sync_and_the_timer_starts_it(units: Path) -> None:
    service = (units / "border-alerts-sync.service").read_text()
    assert "@KIOSK_BIN@" not in service
    assert re.search(r"^ExecStart=/\S+/kiosk alerts sync --once --config ", service, re.M)
    assert re.search(r"^Type=oneshot$", service, re.M)
    timer = (units / "border-alerts-sync.timer").read_text()
    assert re.search(r"^OnUnitActiveSec=\d+min$", timer, re.M)
    assert re.search(r"^Persistent=yes$", timer, re.M)


@needs_systemd
@pytest.mark.parametrize("name", ["border-alerts-sync.service", "border-alerts-sync.timer"])
def test_units_verify_without_any_warning(units: Path, name: str) -> None:
    result = subprocess.run(["systemd-analyze", "verify", str(units / name)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


@needs_systemd
def test_the_service_is_as_hardened_as_the_forwarder(units: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(units / "border-alerts-sync.service")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.5
