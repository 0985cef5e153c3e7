"""emrtd is a library: no application, no other library; the passport emulator in drivers/sim
imports no emrtd (it is the independent implementation the reader is tested against)."""

from __future__ import annotations

import ast
from pathlib import Path

import drivers
import emrtd


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_emrtd_imports_no_application_and_no_other_library() -> None:
    sources = sorted(Path(emrtd.__file__).parent.rglob("*.py"))
    assert len(sources) >= 20
    for path in sources:
        forbidden = imported(path) & {
            "kiosk",
            "central",
            "drivers",
            "mrz",
            "biometrics",
            "alerts",
            "outbox",
        }
        assert not forbidden, f"{path.name} imports {forbidden}"


def test_the_pc_sc_driver_and_the_passport_emulator_import_no_emrtd() -> None:
    root = Path(drivers.__file__).parent
    for path in (
        root / "pcsc.py",
        root / "sim" / "passport.py",
        root / "sim" / "passport_crypto.py",
        root / "sim" / "vpcd.py",
    ):
        assert not imported(path) & {"emrtd", "kiosk", "mrz"}, path.name
