"""Install the deployment files from `systemd/` onto a kiosk (or into a staging root).

Units are templates: `@KIOSK_BIN@` becomes the path of the installed `kiosk` command, so
the same files serve a venv under /opt and a test's temporary root.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from kiosk import KioskError
from kiosk.config import Config

SOURCE = Path(__file__).resolve().parents[1] / "systemd"


@dataclass(frozen=True)
class Placement:
    source: str
    target: str  # relative to the root
    template: bool = False


PLACEMENTS = (
    Placement("border-kiosk.service.in", "etc/systemd/system/border-kiosk.service", True),
    Placement("border-forwarder.service.in", "etc/systemd/system/border-forwarder.service", True),
    Placement(
        "border-alerts-sync.service.in", "etc/systemd/system/border-alerts-sync.service", True
    ),
    Placement("border-alerts-sync.timer", "etc/systemd/system/border-alerts-sync.timer"),
    Placement("70-border-kiosk.rules", "etc/udev/rules.d/70-border-kiosk.rules"),
    Placement("border-kiosk.sysusers", "etc/sysusers.d/border-kiosk.conf"),
    Placement("border-kiosk.tmpfiles", "etc/tmpfiles.d/border-kiosk.conf"),
)


def default_kiosk_bin() -> str:
    """The `kiosk` command next to the running interpreter (the venv it is installed in)."""
    return str(Path(sys.executable).parent / "kiosk")


def writable_paths(config: Config | None) -> list[str]:
    """Paths outside the state directory the forwarder writes: the `dir` transport's media
    (optional, `-`: the unit still starts while no medium is mounted; keep the mount point)."""
    if config is None or config.get("forward", "transport") != "dir":
        return []
    return [f"-{config.get('forward.dir', 'path')}"]


def _render(text: str, kiosk_bin: str, read_write: list[str]) -> str:
    text = text.replace("@KIOSK_BIN@", kiosk_bin)
    lines = [f"ReadWritePaths={path}" for path in read_write]
    return re.sub(r"^# @READ_WRITE_PATHS@.*\n", "".join(f"{x}\n" for x in lines), text, flags=re.M)


def install_units(
    root: Path, kiosk_bin: str, source: Path = SOURCE, config: Config | None = None
) -> list[Path]:
    """Write every deployment file under `root` and return the paths written. With the
    kiosk's configuration, the forwarder may write where its transport needs to."""
    if not source.is_dir():
        raise KioskError(f"deployment files not found in {source}; run from a source checkout")
    if not Path(kiosk_bin).is_file():
        raise KioskError(f"{kiosk_bin} does not exist; pass --kiosk-bin with the installed path")
    written = []
    for placement in PLACEMENTS:
        target = root / placement.target
        target.parent.mkdir(parents=True, exist_ok=True)
        if placement.template:
            text = (source / placement.source).read_text()
            target.write_text(_render(text, kiosk_bin, writable_paths(config)))
        else:
            shutil.copyfile(source / placement.source, target)
        target.chmod(0o644)
        written.append(target)
    return written
