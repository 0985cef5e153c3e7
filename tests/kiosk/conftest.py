"""Fixtures of the kiosk tests: demo kiosks that share one rendering of the demo faces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk import sim
from kiosk.config import Config


@pytest.fixture(scope="session")
def demo_faces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The --sim camera's traveller frames, rendered once per test session (a kiosk renders
    them on its first start, in another process, which takes seconds on a busy machine)."""
    directory = tmp_path_factory.mktemp("sim-faces")
    sim.render_faces(str(directory))
    return directory


@pytest.fixture
def demo_kiosk(tmp_path: Path, demo_faces: Path) -> Config:
    """A demo kiosk provisioned in `tmp_path / "sim"`, its faces already rendered."""
    config = sim.prepare(tmp_path / "sim")
    shutil.copytree(demo_faces, config.state_dir / "sim-faces", dirs_exist_ok=True)
    return config
