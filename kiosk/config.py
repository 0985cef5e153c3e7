"""The kiosk's one configuration file (TOML), validated when it is loaded.

Every problem names the file, the line, the key and what a valid value looks like, e.g.

    /etc/border-kiosk/kiosk.toml:7: [forward] transport = "ftp": use one of nats, https, dir

The default path is $KIOSK_CONFIG or /etc/border-kiosk/kiosk.toml; every command that
needs it takes --config PATH. Sections and keys: see docs/configuration.md.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk import KioskError

DEFAULT_PATH = Path("/etc/border-kiosk/kiosk.toml")


class ConfigError(KioskError):
    """A configuration problem, located in the file."""


def default_path() -> Path:
    return Path(os.environ.get("KIOSK_CONFIG", DEFAULT_PATH))


@dataclass(frozen=True)
class Key:
    """One setting: its type, whether it is required, a check, and an example value."""

    kind: type | tuple[type, ...]
    example: str
    required: bool = False
    check: Callable[[Any], str | None] | None = None  # returns a problem, or None


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda value: None if value in choices else f"use one of {', '.join(choices)}"


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _identifier(value: Any) -> str | None:
    ok = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value)
    return None if ok else "use letters, digits, '.', '_' or '-' (at most 64)"


SCHEMA: dict[str, dict[str, Key]] = {
    "kiosk": {
        "id": Key(str, '"K-0042"', required=True, check=_identifier),
        "post": Key(str, '"UTO-NORTH-1"', required=True, check=_identifier),
        "direction": Key(str, '"entry"', check=_one_of("entry", "exit")),
        "state_dir": Key(str, '"/var/lib/border-kiosk"'),
    },
    "keys": {
        "signing_key": Key(str, '"/var/lib/border-kiosk/keys/kiosk.pem"'),
        "central_public_key": Key(str, '"/etc/border-kiosk/central.pub"', required=True),
    },
    "outbox": {
        "path": Key(str, '"/var/lib/border-kiosk/outbox.db"'),
        "quota_mb": Key(int, "2048", check=_positive),
        "reserve_mb": Key(int, "64", check=_positive),
        "retention_days": Key(int, "30", check=_positive),
    },
    "forward": {
        "transport": Key(str, '"nats"', required=True, check=_one_of("nats", "https", "dir")),
        "batch": Key(int, "200", check=_positive),
    },
    "forward.nats": {
        "url": Key(str, '"nats://central.example:4222"', required=True),
        "subject_prefix": Key(str, '"border.records"'),
        "stream": Key(str, '"BORDER_RECORDS"'),
        "credentials": Key(str, '"/etc/border-kiosk/nats.creds"'),
        "timeout": Key((int, float), "10"),
    },
    "forward.https": {
        "url": Key(str, '"https://central.example/records"', required=True),
        "ca": Key(str, '"/etc/border-kiosk/central-ca.pem"'),
        "cert": Key(str, '"/etc/border-kiosk/client.pem"'),
        "key": Key(str, '"/etc/border-kiosk/client.key"'),
        "timeout": Key((int, float), "30"),
    },
    "forward.dir": {
        "path": Key(str, '"/media/border-export"', required=True),
    },
}
# Sections later issues define (devices, quality, ui) are passed through unchecked here
# and validated by their own modules.
OPEN_SECTIONS = ("devices", "quality", "ui", "policy", "alerts")


@dataclass(frozen=True)
class Config:
    path: Path
    data: dict[str, Any]
    lines: dict[tuple[str, str], int] = field(repr=False)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in section.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node.get(key, default) if isinstance(node, dict) else default

    def section(self, section: str) -> dict[str, Any]:
        node: Any = self.data
        for part in section.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return dict(node) if isinstance(node, dict) else {}

    def error(self, section: str, key: str, message: str) -> ConfigError:
        line = self.lines.get((section, key)) or self.lines.get((section, ""), 0)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{where}: [{section}] {key}: {message}")

    # -- derived paths ---------------------------------------------------------------
    @property
    def kiosk_id(self) -> str:
        return str(self.get("kiosk", "id"))

    @property
    def post(self) -> str:
        return str(self.get("kiosk", "post"))

    @property
    def state_dir(self) -> Path:
        return Path(self.get("kiosk", "state_dir", "/var/lib/border-kiosk"))

    @property
    def signing_key(self) -> Path:
        return Path(self.get("keys", "signing_key", self.state_dir / "keys" / "kiosk.pem"))

    @property
    def central_public_key(self) -> Path:
        return Path(self.get("keys", "central_public_key"))

    @property
    def outbox_path(self) -> Path:
        return Path(self.get("outbox", "path", self.state_dir / "outbox.db"))

    @property
    def officers_path(self) -> Path:
        return self.state_dir / "officers.db"


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """Line of every `key =` under its `[section]` (tomllib does not report positions)."""
    lines: dict[tuple[str, str], int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\s*(#.*)?", stripped)
        if header:
            section = header.group(1).replace('"', "").replace(" ", "")
            lines.setdefault((section, ""), number)
            continue
        key = re.match(r'"?([A-Za-z0-9_\-]+)"?\s*=', stripped)
        if key:
            lines.setdefault((section, key.group(1)), number)
    return lines


def load(path: Path | None = None) -> Config:
    path = path or default_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist; create it with 'kiosk provision init' or pass --config"
        ) from None
    except (PermissionError, IsADirectoryError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    config = Config(path, data, _key_lines(text))
    validate(config)
    return config


def validate(config: Config) -> None:
    data = config.data
    known = {name.split(".")[0] for name in SCHEMA} | set(OPEN_SECTIONS)
    for name in data:
        if name not in known:
            raise config.error(name, "", f"unknown section; known: {', '.join(sorted(known))}")
    for section, keys in SCHEMA.items():
        values = config.section(section)
        present = _section_present(data, section)
        transport = config.get("forward", "transport")
        needed = present or section in ("kiosk", "keys", "forward")
        if section.startswith("forward.") and section.split(".")[1] == transport:
            needed = True
        for key, value in values.items():
            if isinstance(value, dict) and f"{section}.{key}" in SCHEMA:
                continue
            spec = keys.get(key)
            if spec is None:
                raise config.error(section, key, f"unknown key; known: {', '.join(sorted(keys))}")
            if not isinstance(value, spec.kind) or isinstance(value, bool):
                raise config.error(
                    section, key, f"{value!r} is the wrong type; e.g. {key} = {spec.example}"
                )
            problem = spec.check(value) if spec.check else None
            if problem:
                raise config.error(section, key, f"{value!r}: {problem}")
        if needed:
            for key, spec in keys.items():
                if spec.required and key not in values:
                    raise config.error(section, key, f"missing; e.g. {key} = {spec.example}")
    validate_quality(config)
    from kiosk.alerting import validate as validate_alerts

    validate_alerts(config)


def validate_quality(config: Config) -> None:
    """[quality]: the finger threshold and attempts; [quality.face]: the face thresholds
    (checked against biometrics' own list, so a typo is named)."""
    quality = config.section("quality")
    for key, value in quality.items():
        if key == "face":
            continue
        if key not in ("finger_nfiq2_min", "finger_attempts"):
            raise config.error(
                "quality", key, "unknown key; known: finger_attempts, finger_nfiq2_min"
            )
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise config.error("quality", key, f"{value!r}: use a whole number from 0 to 100")
    face = quality.get("face")
    if isinstance(face, dict) and face:
        from biometrics import BiometricsError
        from biometrics.face import thresholds_from_dict

        try:
            thresholds_from_dict(face)
        except (BiometricsError, TypeError, ValueError) as exc:
            raise config.error("quality.face", next(iter(face)), str(exc)) from None


def _section_present(data: dict[str, Any], section: str) -> bool:
    node: Any = data
    for part in section.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
