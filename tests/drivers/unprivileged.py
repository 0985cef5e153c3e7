"""Run `kiosk` as an unprivileged user (nobody), for the permission tests.

The tests run as root, and root opens any device node, so the permission-denied path can
only be exercised by a process that has given up root: the subprocess switches to uid/gid
65534 with no supplementary groups before it execs Python. That Python must be one nobody
may execute: the test interpreter if it can, else the system python3 of the same version
with this checkout and the venv's site-packages on PYTHONPATH (a venv built on an
interpreter under /root, e.g. pyenv, is not reachable for other users).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

NOBODY = 65534
ROOT = Path(__file__).resolve().parents[2]


def _env(extra_path: list[str]) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/nonexistent",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(extra_path)
    return env


def run_as_nobody(
    command: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`command` as uid/gid 65534 with no supplementary groups."""
    return subprocess.run(
        command,
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@functools.cache
def interpreter() -> tuple[list[str], dict[str, str]] | None:
    """(argv prefix, environment) that runs `python -m kiosk` as nobody; None if none does."""
    candidates: list[tuple[str, list[str]]] = [(sys.executable, [])]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = f"/usr/bin/{version}"
    if os.path.exists(system):
        candidates.append((system, [str(ROOT), sysconfig.get_paths()["purelib"]]))
    for python, path in candidates:
        env = _env(path)
        try:
            probe = run_as_nobody([python, "-c", "import kiosk.cli, drivers.serialport"], env, 60)
        except (PermissionError, OSError):
            continue  # exec refused: nobody cannot reach this interpreter
        if probe.returncode == 0:
            return [python, "-m", "kiosk"], env
    return None


def kiosk_as_nobody(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    found = interpreter()
    assert found is not None
    prefix, env = found
    return run_as_nobody([*prefix, *args], env, timeout)
