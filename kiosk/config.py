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
from collections.abc import Callable, Iterator
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


def _range(low: float, high: float) -> Callable[[Any], str | None]:
    return lambda value: None if low <= value <= high else f"use a value from {low} to {high}"


def _fingers(value: Any) -> str | None:
    """ISO/IEC 19794-4 finger positions: 1-5 right thumb to little, 6-10 left."""
    ok = (
        0 < len(value) <= 10
        and all(type(v) is int and 1 <= v <= 10 for v in value)
        and len(set(value)) == len(value)
    )
    return None if ok else "use a list of distinct finger positions 1-10, e.g. [2, 7]"


_BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)


def _baud(value: Any) -> str | None:
    return None if value in _BAUD_RATES else f"use one of {', '.join(map(str, _BAUD_RATES))}"


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
        "pin_pepper": Key(str, '"/etc/border-kiosk/pin-pepper"'),
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
        "url": Key(str, '"tls://central.example:4222"', required=True),
        "subject_prefix": Key(str, '"border.records"'),
        "stream": Key(str, '"BORDER_RECORDS"'),
        "credentials": Key(str, '"/etc/border-kiosk/nats.creds"'),
        "ca": Key(str, '"/etc/border-kiosk/central-ca.pem"'),
        "cert": Key(str, '"/etc/border-kiosk/client.pem"'),
        "key": Key(str, '"/etc/border-kiosk/client.key"'),
        "timeout": Key((int, float), "10", check=_positive),
    },
    "forward.https": {
        "url": Key(str, '"https://central.example/records"', required=True),
        "ca": Key(str, '"/etc/border-kiosk/central-ca.pem"'),
        "cert": Key(str, '"/etc/border-kiosk/client.pem"'),
        "key": Key(str, '"/etc/border-kiosk/client.key"'),
        "timeout": Key((int, float), "30", check=_positive),
    },
    "forward.dir": {
        "path": Key(str, '"/media/border-export"', required=True),
        "timeout": Key((int, float), "30", check=_positive),
    },
}
# [ui] and [policy]: types and ranges here; kiosk.lane.policy.Policy builds the lane's
# rules from them (one default each) and checks what a type cannot say (grounds' shape).
SCHEMA["ui"] = {
    "idle_lock_minutes": Key((int, float), "5", check=_range(0.5, 24 * 60)),
    "saved_seconds": Key((int, float), "8", check=_range(0.5, 24 * 60)),
}
SCHEMA["policy"] = {
    "fingers": Key(list, "[2, 7]", check=_fingers),
    "finger_attempts": Key(int, "3", check=_range(1, 10)),
    "face_attempts": Key(int, "3", check=_range(1, 20)),
    "minor_age": Key(int, "18", check=_range(1, 30)),
    "refusal_grounds": Key(list, '[["A", "has no valid travel document"]]'),
}
# [devices.<role>]: which roles the lane knows, and per driver the options it takes
# (passed to the driver's constructor, so an unknown one would be a TypeError there).
DEVICE_ROLES = ("mrz", "fingerprint", "face_camera", "document_camera", "chip")
DEVICE_BINDING = {
    "driver": Key(str, '"mrz-serial"', required=True),
    "port": Key(str, '"/dev/ttyUSB0"', required=True),
}
DRIVER_OPTIONS: dict[str, dict[str, Key]] = {
    "mrz-serial": {
        "framing": Key(str, '"cr"', check=_one_of("stx-etx", "cr", "lf", "crlf", "gap")),
        "gap": Key((int, float), "0.25", check=_range(0.01, 10)),
        "baudrate": Key(int, "9600", check=_baud),
        "parity": Key(str, '"N"', check=_one_of("N", "E", "O", "M", "S")),
    },
    "zhiantec": {
        "baudrate": Key(int, "57600", check=_baud),
        "password": Key(int, "0", check=_range(0, 2**32 - 1)),
        "poll": Key((int, float), "0.05", check=_range(0.01, 5)),
        "switch_to": Key(int, "115200", check=_baud),
    },
    "uru4000": {
        "bus": Key(int, "1", check=_range(0, 255)),
        "address": Key(int, "4", check=_range(0, 255)),
    },
    "camera": {
        "width": Key(int, "1280", check=_range(16, 8192)),
        "height": Key(int, "720", check=_range(16, 8192)),
        "fps": Key((int, float), "30", check=_range(1, 240)),
        "mjpg": Key(bool, "true"),
        "loop": Key(bool, "false"),
        "read_timeout": Key((int, float), "2", check=_range(0.1, 60)),
    },
    "pcsc": {},  # port: the reader's PC/SC name (`kiosk devices` lists them)
}
# [quality] is validated by `validate_quality` (against biometrics' own list), [alerts]
# by kiosk.alerting.validate.
OPEN_SECTIONS = ("devices", "quality", "alerts")


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
    def signing_key_spec(self) -> str:
        """The signing key as configured: a key file's path or a `pkcs11:` token URI."""
        return str(self.get("keys", "signing_key", self.state_dir / "keys" / "kiosk.pem"))

    @property
    def signing_key_in_token(self) -> bool:
        return self.signing_key_spec.startswith("pkcs11:")

    @property
    def keys_dir(self) -> Path:
        """Where the kiosk's key material and its enrolments live."""
        return self.state_dir / "keys" if self.signing_key_in_token else self.signing_key.parent

    @property
    def central_public_key(self) -> Path:
        return Path(self.get("keys", "central_public_key"))

    @property
    def outbox_path(self) -> Path:
        return Path(self.get("outbox", "path", self.state_dir / "outbox.db"))

    @property
    def pin_pepper(self) -> Path:
        """The officers' PIN pepper: outside the state directory, next to this file."""
        return Path(self.get("keys", "pin_pepper", self.path.parent / "pin-pepper"))

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


def load(path: Path | None = None, *, check: bool = True) -> Config:
    """The configuration, validated (the first problem raised) unless `check` is False:
    then `problems(config)` lists every one (what `kiosk provision check` prints)."""
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
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nest too deep") from None
    config = Config(path, data, _key_lines(text))
    if check:
        validate(config)
    return config


def validate(config: Config) -> None:
    """Raise the first problem (a `ConfigError` naming file, line and key)."""
    for problem in _problems(config):
        raise problem


def problems(config: Config) -> list[str]:
    """Every problem, one `file:line: [section] key: problem` line each."""
    return [str(problem) for problem in _problems(config)]


def _shown(value: Any) -> str:
    """A value as a problem line shows it: its repr, short, whatever its depth."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        return f"<a {type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _check_key(config: Config, section: str, key: str, value: Any, spec: Key) -> ConfigError | None:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        return config.error(
            section, key, f"{_shown(value)} is the wrong type; e.g. {key} = {spec.example}"
        )
    problem = spec.check(value) if spec.check else None
    return config.error(section, key, f"{_shown(value)}: {problem}") if problem else None


def _problems(config: Config) -> Iterator[ConfigError]:
    data = config.data
    known = {name.split(".")[0] for name in SCHEMA} | set(OPEN_SECTIONS)
    for name in data:
        if name not in known:
            yield config.error(name, "", f"unknown section; known: {', '.join(sorted(known))}")
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
                yield config.error(section, key, f"unknown key; known: {', '.join(sorted(keys))}")
                continue
            problem = _check_key(config, section, key, value, spec)
            if problem:
                yield problem
        if needed:
            for key, spec in keys.items():
                if spec.required and key not in values:
                    yield config.error(section, key, f"missing; e.g. {key} = {spec.example}")
    yield from _device_problems(config)
    try:
        validate_quality(config)
    except ConfigError as exc:
        yield exc
    from kiosk.alerting import validate as validate_alerts

    try:
        validate_alerts(config)
    except ConfigError as exc:
        yield exc


def _device_problems(config: Config) -> Iterator[ConfigError]:
    """[devices.<role>]: a known role, a known driver, a port, and that driver's options."""
    devices = config.data.get("devices", {})
    if not isinstance(devices, dict):
        yield config.error("devices", "", "must be a table of [devices.<role>] sections")
        return
    for role, binding in devices.items():
        section = f"devices.{role}"
        if role not in DEVICE_ROLES:
            yield config.error(section, "", f"unknown role; known: {', '.join(DEVICE_ROLES)}")
            continue
        if not isinstance(binding, dict):
            yield config.error("devices", role, 'use a table: driver = "...", port = "..."')
            continue
        driver = binding.get("driver")
        options = DRIVER_OPTIONS.get(driver) if isinstance(driver, str) else None
        if isinstance(driver, str) and options is None:
            known = ", ".join(sorted(DRIVER_OPTIONS))
            yield config.error(section, "driver", f"{_shown(driver)}: use one of {known}")
            options = {}
        keys = {**DEVICE_BINDING, **(options or {})}
        for key, value in binding.items():
            spec = keys.get(key)
            if spec is None:
                allowed = ", ".join(sorted(keys))
                yield config.error(
                    section, key, f"unknown option for this driver; known: {allowed}"
                )
                continue
            problem = _check_key(config, section, key, value, spec)
            if problem:
                yield problem
        for key, spec in DEVICE_BINDING.items():
            if key not in binding:
                yield config.error(section, key, f"missing; e.g. {key} = {spec.example}")


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
        from biometrics.thresholds import thresholds_from_dict

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
