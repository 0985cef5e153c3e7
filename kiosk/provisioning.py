"""`kiosk provision init|show|check`: a kiosk set up by commands, not by hand.

`init` creates the state directory, the kiosk's Ed25519 key (mode 0600, owned by the
service user when run as root), a validated configuration, and prints the enrolment data
the central registry needs. `check` reports every problem on its own line.
"""

from __future__ import annotations

import grp
import hashlib
import io
import os
import pwd
import shutil
import socket
import ssl
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk import KioskError
from kiosk import config as config_module

SERVICE_USER = "kiosk"


@dataclass(frozen=True)
class InitOptions:
    config_path: Path
    kiosk_id: str
    post: str
    direction: str
    state_dir: Path
    central_key: Path
    transport: str
    transport_settings: dict[str, str]
    devices: tuple[tuple[str, str, str], ...] = ()  # (role, driver, port)


DEVICE_ROLES = ("mrz", "fingerprint", "face_camera", "document_camera")


def parse_device(text: str) -> tuple[str, str, str]:
    """`ROLE=DRIVER:PORT`, e.g. `mrz=mrz-serial:/dev/ttyUSB0`."""
    from drivers.registry import DRIVERS

    role, _, rest = text.partition("=")
    driver, _, port = rest.partition(":")
    if not (role and driver and port):
        raise KioskError(
            f"--device {text!r}: use ROLE=DRIVER:PORT, e.g. mrz=mrz-serial:/dev/ttyUSB0"
        )
    if role not in DEVICE_ROLES:
        raise KioskError(f"--device {text!r}: role must be one of {', '.join(DEVICE_ROLES)}")
    if driver not in DRIVERS:
        raise KioskError(f"--device {text!r}: driver must be one of {', '.join(sorted(DRIVERS))}")
    return role, driver, port


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def render_config(options: InitOptions, central_copy: Path, signing_key: Path) -> str:
    lines = [
        "# Border kiosk configuration, written by 'kiosk provision init'.",
        "# Check it with 'kiosk provision check'. Keys: docs/configuration.md.",
        "",
        "[kiosk]",
        f"id = {_toml_value(options.kiosk_id)}",
        f"post = {_toml_value(options.post)}",
        f"direction = {_toml_value(options.direction)}",
        f"state_dir = {_toml_value(str(options.state_dir))}",
        "",
        "[keys]",
        f"signing_key = {_toml_value(str(signing_key))}",
        f"central_public_key = {_toml_value(str(central_copy))}",
        "",
        "[outbox]",
        "quota_mb = 2048",
        "reserve_mb = 64",
        "retention_days = 30",
        "",
        "[forward]",
        f"transport = {_toml_value(options.transport)}",
        "batch = 200",
        "",
        f"[forward.{options.transport}]",
    ]
    lines += [f"{k} = {_toml_value(v)}" for k, v in options.transport_settings.items()]
    for role, driver, port in options.devices:
        lines += ["", f"[devices.{role}]", f"driver = {_toml_value(driver)}"]
        lines.append(f"port = {_toml_value(port)}")
    lines += ["", *quality_section()]
    return "\n".join(lines) + "\n"


def quality_section() -> list[str]:
    """Capture thresholds with their defaults written out, so a technician sees them."""
    import dataclasses

    from biometrics.face import FaceThresholds

    lines = [
        "[quality]",
        "# NFIQ 2 score (0-100) a finger must reach; below it the officer retries.",
        "finger_nfiq2_min = 40",
        "finger_attempts = 3",
        "",
        "[quality.face]",
    ]
    for name, value in dataclasses.asdict(FaceThresholds()).items():
        lines.append(f"{name} = {str(value).lower() if isinstance(value, bool) else value}")
    return lines


def _chown_to_service(path: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return  # not installed as a service (a workstation, a test)
    os.chown(path, user.pw_uid, user.pw_gid)


def init(options: InitOptions) -> dict[str, str]:
    """Create keys and configuration; returns the enrolment data. Refuses to overwrite."""
    from outbox.keys import generate_signing_key, kid, load_central_public, public_pem

    options = InitOptions(
        config_path=options.config_path.absolute(),
        kiosk_id=options.kiosk_id,
        post=options.post,
        direction=options.direction,
        state_dir=options.state_dir.absolute(),
        central_key=options.central_key,
        transport=options.transport,
        transport_settings={
            k: str(Path(v).absolute()) if k == "path" else v
            for k, v in options.transport_settings.items()
        },
        devices=options.devices,
    )
    if options.config_path.exists():
        raise KioskError(f"{options.config_path} exists; remove it first to provision anew")
    load_central_public(options.central_key)  # refuse a wrong file before creating anything
    keys_dir = options.state_dir / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    options.state_dir.chmod(0o750)
    keys_dir.chmod(0o700)
    signing_key_path = keys_dir / "kiosk.pem"
    if signing_key_path.exists():
        raise KioskError(f"{signing_key_path} exists; use 'kiosk provision rotate-key'")
    key = generate_signing_key(signing_key_path)
    for path in (options.state_dir, keys_dir, signing_key_path):
        _chown_to_service(path)
    options.config_path.parent.mkdir(parents=True, exist_ok=True)
    central_copy = options.config_path.parent / "central.pub"
    if central_copy.resolve() != options.central_key.resolve():
        shutil.copyfile(options.central_key, central_copy)
    text = render_config(options, central_copy, signing_key_path)
    temporary = options.config_path.with_suffix(".tmp")
    temporary.write_text(text)
    try:
        config_module.load(temporary)
    except config_module.ConfigError as exc:
        temporary.unlink()
        raise KioskError(f"the configuration would be invalid: {exc}") from None
    temporary.replace(options.config_path)
    return enrolment(
        options.kiosk_id, options.post, public_pem(key).decode(), kid(key.public_key())
    )


def enrolment(kiosk_id: str, post: str, public_key_pem: str, key_id: bytes) -> dict[str, str]:
    der = "".join(public_key_pem.strip().splitlines()[1:-1]).encode()
    return {
        "kiosk": kiosk_id,
        "post": post,
        "kid": key_id.hex(),
        "fingerprint": hashlib.sha256(der).hexdigest(),
        "public_key": public_key_pem,
    }


def qr_text(data: str) -> str:
    """The enrolment as a QR code drawn with block characters, for a phone to read."""
    import qrcode

    code = qrcode.QRCode(border=1)
    code.add_data(data)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


def show(config: config_module.Config) -> dict[str, str]:
    from outbox.keys import kid, load_signing_key, public_pem

    key = load_signing_key(config.signing_key)
    return enrolment(config.kiosk_id, config.post, public_pem(key).decode(), kid(key.public_key()))


def check(path: Path, *, timeout: float = 3.0) -> list[str]:
    """Every problem found, one line each; an empty list means the kiosk is ready."""
    try:
        config = config_module.load(path)
    except KioskError as exc:
        return [str(exc)]
    from outbox.errors import OutboxError
    from outbox.keys import load_central_public, load_signing_key

    problems: list[str] = []
    key_path = config.signing_key
    if not key_path.exists():
        problems.append(f"signing key {key_path} is missing; run 'kiosk provision init'")
    else:
        mode = stat.S_IMODE(key_path.stat().st_mode)
        if mode & 0o077:
            problems.append(
                f"signing key {key_path} has mode {mode:04o}; run: chmod 600 {key_path}"
            )
        try:
            load_signing_key(key_path)
        except OutboxError as exc:
            problems.append(str(exc))
    try:
        load_central_public(config.central_public_key)
    except OutboxError as exc:
        problems.append(str(exc))
    problems += _check_devices(config)
    problems += _check_transport(config, timeout)
    if time.time() < 1_700_000_000:  # before November 2023: the clock was never set
        problems.append(
            "the system clock is in the past; set it (timedatectl) so capture times are right"
        )
    return problems


def _check_devices(config: config_module.Config) -> list[str]:
    problems = []
    for name, binding in config.section("devices").items():
        if not isinstance(binding, dict):
            continue
        port = binding.get("port")
        if isinstance(port, str) and port.startswith("/dev/"):
            device = Path(port)
            if not device.exists():
                problems.append(f"device {name}: {port} is not present; is it plugged in?")
            elif not os.access(device, os.R_OK | os.W_OK):
                group = grp.getgrgid(device.stat().st_gid).gr_name
                problems.append(
                    f"device {name}: no access to {port} (group {group}); "
                    f"install the udev rules with 'kiosk provision install-units'"
                )
    return problems


def _check_transport(config: config_module.Config, timeout: float) -> list[str]:
    transport = config.get("forward", "transport")
    settings = config.section(f"forward.{transport}")
    if transport == "dir":
        directory = Path(settings["path"])
        if not directory.is_dir():
            return [f"transport dir: {directory} is not a mounted directory"]
        if not os.access(directory, os.W_OK):
            return [f"transport dir: {directory} is not writable"]
        return []
    url = urlsplit(settings["url"])
    host, port = url.hostname or "", url.port or (443 if transport == "https" else 4222)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if transport == "https":
                context = ssl.create_default_context(cafile=settings.get("ca"))
                with context.wrap_socket(sock, server_hostname=host):
                    pass
    except ssl.SSLError as exc:
        return [f"transport https: TLS with {host}:{port} failed: {exc.reason}"]
    except OSError as exc:
        return [f"transport {transport}: {host}:{port} is unreachable ({exc.strerror or exc})"]
    return []


def rotate_key(config: config_module.Config) -> dict[str, str]:
    """A new signing key. The last record signed with the old key is an audit record that
    names the new key, so the central side can follow the chain across the change; the
    old key is kept (retired) next to the new one."""
    from kiosk.records import identity
    from outbox.keys import generate_signing_key, kid, load_signing_key, public_pem
    from outbox.store import Identity, Outbox

    old_identity: Identity = identity(config)
    old_path = config.signing_key
    new_path = old_path.with_name(old_path.stem + ".new" + old_path.suffix)
    new_path.unlink(missing_ok=True)
    new_key = generate_signing_key(new_path)
    new_kid = kid(new_key.public_key())
    with Outbox(config.outbox_path) as box:
        sealed = box.seal(
            old_identity,
            "audit",
            "technician",
            str(config.get("kiosk", "direction", "entry")),
            {
                "event": "key rotation",
                "old_kid": old_identity.kid.hex(),
                "new_kid": new_kid.hex(),
                "new_public_key": public_pem(new_key).decode(),
            },
        )
    retired = old_path.with_name(f"{old_path.stem}-{old_identity.kid.hex()}.retired")
    os.replace(old_path, retired)
    os.replace(new_path, old_path)
    _chown_to_service(old_path)
    load_signing_key(old_path)
    data = enrolment(config.kiosk_id, config.post, public_pem(new_key).decode(), new_kid)
    data["last_seq_old_key"] = str(sealed.seq)
    data["retired_key"] = str(retired)
    return data
