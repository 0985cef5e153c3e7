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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kiosk import KioskError
from kiosk import config as config_module

if TYPE_CHECKING:
    from outbox.enrolment import Enrolment

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
    signing_key: str | None = None  # a pkcs11: URI: make the key in that token instead


DEVICE_ROLES = config_module.DEVICE_ROLES


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


def render_config(options: InitOptions, central_copy: Path, signing_key: str) -> str:
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
        f"signing_key = {_toml_value(signing_key)}",
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

    from biometrics.thresholds import FaceThresholds

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


# Commands that create or open the service's state files (outbox.db, officers.db and
# their -wal/-shm companions, keys): run as root they would leave files the service user
# cannot write, and the service would not start.
STATE_COMMANDS = ("run", "outbox", "forward", "provision officer", "provision rotate-key")


def service_user() -> str:
    """The account the units run as ($KIOSK_SERVICE_USER overrides it, for tests)."""
    return os.environ.get("KIOSK_SERVICE_USER", SERVICE_USER)


def refuse_root(command: str, argv: list[str]) -> None:
    """Refuse a state command run as root on a machine that has the service user."""
    if os.geteuid() != 0 or not command.startswith(STATE_COMMANDS):
        return
    user = service_user()
    try:
        pwd.getpwnam(user)
    except KeyError:
        return  # no service installed (a workstation, a build machine): nothing to protect
    shown = " ".join(argv) or command
    raise KioskError(
        f"do not run 'kiosk {command}' as root: files it creates would belong to root and "
        f"the {user} service could not use them; run: sudo -u {user} kiosk {shown}"
    )


def make_pepper(path: Path) -> bool:
    """The officers' PIN pepper (outside the state directory and the database): created
    once, readable by root and the service group only. False when it already exists."""
    from kiosk.officers import create_pepper

    if path.exists():
        return False
    create_pepper(path)
    if os.geteuid() == 0:
        try:
            group = pwd.getpwnam(service_user()).pw_gid
        except KeyError:
            return True
        os.chown(path, 0, group)
    return True


def _chown_to_service(path: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam(service_user())
    except KeyError:
        return  # not installed as a service (a workstation, a test)
    os.chown(path, user.pw_uid, user.pw_gid)


def init(options: InitOptions) -> dict[str, str]:
    """Create keys and configuration; returns the enrolment data. Refuses to overwrite."""
    from outbox.keys import generate_signing_key, kid, load_central_public

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
        signing_key=options.signing_key,
    )
    if options.config_path.exists():
        raise KioskError(f"{options.config_path} exists; remove it first to provision anew")
    load_central_public(options.central_key)  # refuse a wrong file before creating anything
    keys_dir = options.state_dir / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    options.state_dir.chmod(0o750)
    keys_dir.chmod(0o700)
    from outbox.enrolment import Enrolment
    from outbox.record import now_ms

    signing_key_path = keys_dir / "kiosk.pem"
    key: Any
    if options.signing_key:
        from outbox import token

        key = token.generate(options.signing_key)
        signing_key: str = options.signing_key
    else:
        if signing_key_path.exists():
            raise KioskError(f"{signing_key_path} exists; use 'kiosk provision rotate-key'")
        key = generate_signing_key(signing_key_path)
        signing_key = str(signing_key_path)
        _chown_to_service(signing_key_path)
    _store_enrolment(
        keys_dir, Enrolment(options.kiosk_id, options.post, key.public_key(), now_ms())
    )
    for path in (options.state_dir, keys_dir):
        _chown_to_service(path)
    options.config_path.parent.mkdir(parents=True, exist_ok=True)
    make_pepper(options.config_path.parent / "pin-pepper")
    central_copy = options.config_path.parent / "central.pub"
    if central_copy.resolve() != options.central_key.resolve():
        shutil.copyfile(options.central_key, central_copy)
    text = render_config(options, central_copy, signing_key)
    temporary = options.config_path.with_suffix(".tmp")
    temporary.write_text(text)
    try:
        config_module.load(temporary)
    except config_module.ConfigError as exc:
        temporary.unlink()
        raise KioskError(f"the configuration would be invalid: {exc}") from None
    temporary.replace(options.config_path)
    return enrolment_data(_stored_enrolments(keys_dir)[kid(key.public_key())])


def enrolment_data(enrolment: Enrolment) -> dict[str, str]:
    """What `provision init|show|rotate-key` print: the enrolment plus the SHA-256
    fingerprint of the public key's DER, for reading out over the phone."""
    from cryptography.hazmat.primitives import serialization

    der = enrolment.public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    data = {k: v for k, v in enrolment.to_dict().items() if v is not None and k != "format"}
    return {**data, "fingerprint": hashlib.sha256(der).hexdigest()}


def _enrolments_dir(keys_dir: Path) -> Path:
    """Every enrolment this kiosk ever had, by kid: public data, kept next to the key."""
    return keys_dir / "enrolments"


def _store_enrolment(keys_dir: Path, enrolment: Enrolment) -> Path:
    from outbox import enrolment as enrolments

    directory = _enrolments_dir(keys_dir)
    directory.mkdir(mode=0o755, exist_ok=True)
    path = directory / f"{enrolment.kid.hex()}{enrolments.SUFFIX}"
    enrolments.write(path, enrolment)
    _chown_to_service(directory)
    _chown_to_service(path)
    return path


def _stored_enrolments(keys_dir: Path) -> dict[bytes, Enrolment]:
    from outbox import enrolment as enrolments

    directory = _enrolments_dir(keys_dir)
    found = {}
    if directory.is_dir():
        for path in sorted(directory.glob(f"*{enrolments.SUFFIX}")):
            enrolment = enrolments.load(path)
            found[enrolment.kid] = enrolment
    return found


def current_enrolment(config: config_module.Config) -> Enrolment:
    """The enrolment of the key the kiosk signs with now. A kiosk provisioned before
    enrolments were kept gets one valid from the key file's modification time."""
    from outbox.enrolment import Enrolment
    from outbox.keys import kid, load_signer

    public = load_signer(config.signing_key_spec).public_key()
    stored = _stored_enrolments(config.keys_dir).get(kid(public))
    if stored is not None:
        return stored
    if config.signing_key_in_token:
        raise KioskError(
            "no enrolment of the token's key is kept in "
            f"{_enrolments_dir(config.keys_dir)}; it was not made by 'kiosk provision init'"
        )
    made = int(config.signing_key.stat().st_mtime * 1000)
    return Enrolment(config.kiosk_id, config.post, public, made)


def write_enrolments(config: config_module.Config, target: Path) -> list[Path]:
    """`provision show --enrolment TARGET`: the current enrolment to a file, or, when TARGET
    is a directory, every enrolment this kiosk had (after a rotation: the old key's, now
    ended, beside the new one) as `<kiosk>-<kid>.json`."""
    from outbox import enrolment as enrolments

    current = current_enrolment(config)
    if not target.is_dir():
        enrolments.write(target, current)
        return [target]
    every = {**_stored_enrolments(config.keys_dir), current.kid: current}
    written = []
    for key_id, enrolment in sorted(every.items()):
        path = target / f"{enrolment.kiosk}-{key_id.hex()}{enrolments.SUFFIX}"
        enrolments.write(path, enrolment)
        written.append(path)
    return written


def qr_text(data: str) -> str:
    """The enrolment as a QR code drawn with block characters, for a phone to read."""
    import qrcode

    code = qrcode.QRCode(border=1)
    code.add_data(data)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


def show(config: config_module.Config) -> dict[str, str]:
    return enrolment_data(current_enrolment(config))


def check(path: Path, *, timeout: float = 3.0) -> list[str]:
    """Every problem found, one line each; an empty list means the kiosk is ready. The
    configuration is checked first, every key (the same validation the services run);
    the keys, devices and link only once it is valid."""
    try:
        config = config_module.load(path, check=False)
    except KioskError as exc:
        return [str(exc)]
    invalid = config_module.problems(config)
    if invalid:
        return invalid
    from outbox.errors import OutboxError
    from outbox.keys import load_central_public, load_signing_key

    problems: list[str] = []
    key_path = config.signing_key
    if config.signing_key_in_token:
        from outbox.keys import load_signer

        try:
            load_signer(config.signing_key_spec)
        except OutboxError as exc:
            problems.append(str(exc))
    elif not key_path.exists():
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
    problems += _check_pepper(config)
    problems += _check_devices(config)
    problems += _check_transport(config, timeout)
    if time.time() < 1_700_000_000:  # before November 2023: the clock was never set
        problems.append(
            "the system clock is in the past; set it (timedatectl) so capture times are right"
        )
    return problems


def _check_pepper(config: config_module.Config) -> list[str]:
    from kiosk.officers import load_pepper

    path = config.pin_pepper
    try:
        load_pepper(path)
    except KioskError as exc:
        return [str(exc)]
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0  # else a credential
    if mode & 0o007:
        return [f"PIN pepper {path} has mode {mode:04o}; run: chmod 640 {path}"]
    return []


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
    names the new key, so the central side can follow the chain across the change. The old
    key's enrolment ends at that moment, the new one's begins, and the old private key is
    deleted: a kiosk holds one signing key, so a stolen kiosk cannot sign as its past."""
    from kiosk.lane.sealer import identity
    from outbox.keys import generate_signing_key, kid, load_signing_key, public_pem
    from outbox.record import now_ms
    from outbox.store import Identity, Outbox

    if config.signing_key_in_token:
        raise KioskError(
            "rotate-key replaces key files; for a key in a token, make a new key object "
            "with another label and 'kiosk provision init' a fresh configuration"
        )
    old_identity: Identity = identity(config)
    old_enrolment = current_enrolment(config)
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
    switch = now_ms()  # not before the rotation record's capture time
    ended = old_enrolment.with_times(valid_until=switch)
    new_enrolment = type(old_enrolment)(config.kiosk_id, config.post, new_key.public_key(), switch)
    _store_enrolment(config.keys_dir, ended)
    _store_enrolment(config.keys_dir, new_enrolment)
    os.replace(new_path, old_path)  # the old private key is gone from here on
    for retired in old_path.parent.glob("*.retired"):  # left by earlier versions
        retired.unlink()
    _chown_to_service(old_path)
    load_signing_key(old_path)
    data = enrolment_data(new_enrolment)
    data["last_seq_old_key"] = str(sealed.seq)
    data["old_kid"] = old_identity.kid.hex()
    data["old_valid_until"] = ended.to_dict()["valid_until"]
    return data


def revoke(path: Path, at_ms: int) -> Enrolment:
    """(Central side) mark the enrolment in `path` revoked from `at_ms` on: records the key
    signs at or after that time fail verification."""
    from outbox import enrolment as enrolments

    revoked = enrolments.load(path).with_times(revoked_at=at_ms)
    enrolments.write(path, revoked)
    return revoked
