"""biometrics/ is a library: it must not import the application or the other libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import biometrics

FORBIDDEN = {"kiosk", "central", "drivers", "mrz", "emrtd", "alerts", "outbox"}


def test_no_forbidden_imports() -> None:
    root = Path(biometrics.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) >= 6
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
