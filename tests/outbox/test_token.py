"""Signing keys in a PKCS#11 token: Debian's SoftHSM 2, Ed25519 by CKM_EDDSA, the private
key never on disk in clear; sealed records verify like those of a key file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from outbox.errors import OutboxError
from outbox.keys import kid, load_central_public, load_signer
from outbox.store import Identity, Outbox
from outbox.verify import load_registry, verify
from tests.kiosk.test_cli import run_kiosk
from tests.outbox.conftest import Keys

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
pytestmark = pytest.mark.skipif(
    not MODULE.is_file() or shutil.which("softhsm2-util") is None, reason="softhsm2 not installed"
)


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SoftHSM token 'border-kiosk' in a temporary directory; yields the PIN file.
    The library reads SOFTHSM2_CONF once per process, so one token serves the module."""
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "border-kiosk",
         "--so-pin", "12345678", "--pin", "87654321"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    pin = base / "token-pin"
    pin.write_text("87654321\n")
    yield pin
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def uri(pin: Path, label: str) -> str:
    return f"pkcs11:token=border-kiosk;object={label}?module-path={MODULE}&pin-source=file:{pin}"


def test_a_token_key_signs_records_that_verify(softhsm: Path, keys: Keys, tmp_path: Path) -> None:
    from outbox import token

    key = token.generate(uri(softhsm, "kiosk-a"))
    again = load_signer(uri(softhsm, "kiosk-a"))  # as the kiosk loads it at start
    assert kid(again.public_key()) == kid(key.public_key())
    identity = Identity("K-1", "UTO-N1", again, load_central_public(keys.central_public))
    registry = tmp_path / "registry"
    registry.mkdir()
    from outbox.keys import public_pem

    (registry / "K-1.pem").write_bytes(public_pem(again.public_key()))
    with Outbox(tmp_path / "o.db") as box:
        sealed = box.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(3)])
    reports, kiosks = verify([(str(s.seq), s.data) for s in sealed], load_registry(registry))
    assert [r.status for r in reports] == ["ok"] * 3 and kiosks[0].ok


def test_the_private_key_cannot_be_read_out_of_the_token(softhsm: Path) -> None:
    import pkcs11

    from outbox import token

    key = token.generate(uri(softhsm, "kiosk-b"))
    with token._open_session(key.uri) as session:  # the process's login, as the kiosk has it
        private = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label="kiosk-b")
        assert private[pkcs11.Attribute.SENSITIVE] and not private[pkcs11.Attribute.EXTRACTABLE]
        with pytest.raises(pkcs11.exceptions.PKCS11Error):
            private[pkcs11.Attribute.VALUE]


def test_token_problems_are_one_clear_line(softhsm: Path, tmp_path: Path) -> None:
    from outbox import token

    with pytest.raises(OutboxError, match="holds no key pair labelled 'nothing'"):
        load_signer(uri(softhsm, "nothing"))
    wrong = tmp_path / "wrong-pin"
    wrong.write_text("11111111")
    # A fresh process: within one, the token's login is shared by every session.
    import sys

    result = subprocess.run(
        [sys.executable, "-c", f"from outbox.keys import load_signer; load_signer({uri(wrong, 'kiosk-a')!r})"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "is wrong for token 'border-kiosk'" in result.stderr
    with pytest.raises(OutboxError, match="needs module-path, pin-source"):
        load_signer("pkcs11:token=border-kiosk;object=x")
    token.generate(uri(softhsm, "kiosk-c"))
    with pytest.raises(OutboxError, match="already holds objects 'kiosk-c'"):
        token.generate(uri(softhsm, "kiosk-c"))


def test_provision_a_kiosk_whose_key_lives_in_the_token(softhsm: Path, tmp_path: Path) -> None:
    """init makes the key in the token; records sealed, forwarded and verified end to end;
    no private key file anywhere under the state directory."""
    assert run_kiosk("provision", "central-key", str(tmp_path / "c.key"),
                     str(tmp_path / "c.pub")).returncode == 0  # fmt: skip
    (tmp_path / "media").mkdir()
    config = tmp_path / "kiosk.toml"
    init = run_kiosk(
        "provision", "init", "--config", str(config), "--kiosk-id", "K-T", "--post", "P",
        "--state-dir", str(tmp_path / "state"), "--central-key", str(tmp_path / "c.pub"),
        "--transport", "dir", "--dir", str(tmp_path / "media"),
        "--signing-key", uri(softhsm, "kiosk-cli"), "--json",
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    assert not list((tmp_path / "state").rglob("*.pem"))
    env = ["--config", str(config)]
    assert run_kiosk("provision", "check", *env).returncode == 0
    registry = tmp_path / "registry"
    registry.mkdir()
    assert run_kiosk("provision", "show", *env, "--enrolment", str(registry)).returncode == 0
    enrolled = json.loads(next(registry.iterdir()).read_text())
    assert enrolled["kid"] == json.loads(init.stdout)["kid"]
    os.environ["KIOSK_CONFIG"] = str(config)
    try:
        assert run_kiosk("outbox", "inject", "--count", "3").returncode == 0
        assert run_kiosk("forward", "--once").returncode == 0
    finally:
        del os.environ["KIOSK_CONFIG"]
    result = run_kiosk("verify", str(tmp_path / "media"), "--keys", str(registry))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kiosk K-T: 3 records, seq 1..3: ok" in result.stdout
