"""Who may import whom (DESIGN.md): every library imports no application and no other
library; the kiosk's UI never imports a driver; only `kiosk run --sim` and the tests
import the simulator. Read from the source (every import statement, also inside
functions), for every top-level package present, so a new library is covered at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPLICATIONS = {"kiosk", "central"}
NOT_PACKAGES = {"tests", "bench", "docs", "systemd", "build"}
LIBRARIES = sorted(
    p.name
    for p in ROOT.iterdir()
    if (p / "__init__.py").exists() and p.name not in APPLICATIONS | NOT_PACKAGES
)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # `from kiosk import sim` names a module too
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_four_libraries_at_least_are_checked() -> None:
    assert {"drivers", "mrz", "biometrics", "outbox"} <= set(LIBRARIES)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_library_imports_no_application_and_no_other_library(library: str) -> None:
    forbidden = (APPLICATIONS | set(LIBRARIES)) - {library}
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sources(library)
        for line, module in imports(path)
        if module.split(".")[0] in forbidden
    ]
    assert wrong == []


def test_the_ui_never_imports_a_driver() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sources("kiosk/ui")
        for line, module in imports(path)
        if module.split(".")[0] == "drivers"
    ]
    assert wrong == []


def test_only_kiosk_run_imports_the_simulator() -> None:
    allowed = {ROOT / "kiosk" / "commands" / "run.py"}
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sources("kiosk")
        if path not in allowed and "sim" not in path.relative_to(ROOT / "kiosk").parts[:1]
        for line, module in imports(path)
        if module == "kiosk.sim" or module.startswith("kiosk.sim.")
    ]
    assert wrong == []


def test_central_imports_no_library_but_outbox_and_alerts() -> None:
    """The central intake verifies records with `outbox` (and may use `alerts`); devices,
    MRZ, chip and biometrics are the kiosk's business, and so is the kiosk application."""
    allowed = {"outbox", "alerts"}
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sources("central")
        for line, module in imports(path)
        if module.split(".")[0] in (set(LIBRARIES) | {"kiosk"}) - allowed
    ]
    assert sources("central") and wrong == []


def test_only_the_central_command_of_the_kiosk_cli_imports_central() -> None:
    allowed = {ROOT / "kiosk" / "commands" / "central.py"}
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sources("kiosk")
        if path not in allowed
        for line, module in imports(path)
        if module.split(".")[0] == "central"
    ]
    assert wrong == []
