"""Key files: the kiosk's Ed25519 signing key and the central system's HPKE key.

- Signing key: PKCS#8 PEM (what `kiosk provision init` writes, mode 0600). Its `kid` is the
  first 8 bytes of SHA-256 over the raw 32-byte public key.
- Central key: one PEM block (X25519: the default suite) or two (ML-KEM-768 and X25519: the
  hybrid ML-KEM-768+X25519 suite). The kiosk holds only the public half.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519

from outbox.errors import OutboxError

_PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----.+?-----END [A-Z0-9 ]+-----", re.S)

SUITE_X25519 = "X25519-HKDF-SHA256-AES-256-GCM"
SUITE_HYBRID = "MLKEM768-X25519-HKDF-SHA256-AES-256-GCM"


def suite(name: str) -> hpke.Suite:
    """The HPKE suite (RFC 9180) a record names in its clear header."""
    if name == SUITE_X25519:
        return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    if name == SUITE_HYBRID:
        return hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    raise OutboxError(f"unknown encryption suite {name!r}")


def kid(public_key: ed25519.Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8]


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise OutboxError(f"{what} {path} does not exist") from None
    except PermissionError:
        raise OutboxError(f"{what} {path} is not readable by this user") from None


def _write_private(path: Path, data: bytes) -> None:
    """Create with mode 0600 from the start, so the key is never readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _pem_private(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_public(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def generate_signing_key(path: Path) -> ed25519.Ed25519PrivateKey:
    key = ed25519.Ed25519PrivateKey.generate()
    _write_private(path, _pem_private(key))
    return key


def load_signing_key(path: Path) -> ed25519.Ed25519PrivateKey:
    data = _read(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        raise OutboxError(f"signing key {path} is not a PEM private key") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise OutboxError(f"signing key {path} is not an Ed25519 key")
    return key


def load_signer(spec: str | Path) -> Any:
    """The kiosk's signer (a `cose.Signer`): a PKCS#11 URI names a key in a token
    (`outbox.token`), anything else is the path of a PEM key file."""
    if str(spec).startswith("pkcs11:"):
        from outbox.token import TokenKey

        return TokenKey(str(spec))
    return load_signing_key(Path(spec))


def load_verify_key(path: Path) -> ed25519.Ed25519PublicKey:
    """A registered kiosk public key (PEM), as the central registry keeps them."""
    data = _read(path, "kiosk public key")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise OutboxError(f"kiosk public key {path} is not a PEM public key") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise OutboxError(f"kiosk public key {path} is not an Ed25519 key")
    return key


def public_pem(key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    return _pem_public(public)


@dataclass(frozen=True)
class CentralPublicKey:
    suite: str
    key: x25519.X25519PublicKey | hpke.MLKEM768X25519PublicKey


@dataclass(frozen=True)
class CentralPrivateKey:
    suite: str
    key: x25519.X25519PrivateKey | hpke.MLKEM768X25519PrivateKey


def generate_central_key(private_path: Path, public_path: Path, hybrid: bool = False) -> None:
    """For the central side (and tests): a new key pair in two files."""
    classic = x25519.X25519PrivateKey.generate()
    private = _pem_private(classic)
    public = _pem_public(classic.public_key())
    if hybrid:
        pq = mlkem.MLKEM768PrivateKey.generate()
        private = _pem_private(pq) + private
        public = _pem_public(pq.public_key()) + public
    _write_private(private_path, private)
    public_path.write_bytes(public)


def _blocks(data: bytes, path: Path, what: str) -> list[bytes]:
    blocks = _PEM_BLOCK.findall(data)
    if len(blocks) not in (1, 2):
        raise OutboxError(
            f"{what} {path} must hold one PEM block (X25519) or two (ML-KEM-768 and X25519)"
        )
    return blocks


def _load_central(path: Path, private: bool) -> tuple[str, Any]:
    """One reading of both halves: (suite, key) from one PEM block (X25519) or two
    (ML-KEM-768 then X25519, combined for the hybrid suite)."""
    what = f"central {'private' if private else 'public'} key"
    blocks = _blocks(_read(path, what), path, what)
    try:
        keys = [
            serialization.load_pem_private_key(block, password=None)
            if private
            else serialization.load_pem_public_key(block)
            for block in blocks
        ]
    except ValueError:
        raise OutboxError(
            f"{what} {path} is not a PEM {'private' if private else 'public'} key"
        ) from None
    classic = keys[-1]
    x25519_type = x25519.X25519PrivateKey if private else x25519.X25519PublicKey
    if not isinstance(classic, x25519_type):
        raise OutboxError(f"{what} {path}: the last block must be X25519")
    if len(keys) == 1:
        return SUITE_X25519, classic
    mlkem_type = mlkem.MLKEM768PrivateKey if private else mlkem.MLKEM768PublicKey
    if not isinstance(keys[0], mlkem_type):
        raise OutboxError(f"{what} {path}: the first block must be ML-KEM-768")
    hybrid: Any = hpke.MLKEM768X25519PrivateKey if private else hpke.MLKEM768X25519PublicKey
    return SUITE_HYBRID, hybrid(keys[0], classic)


def load_central_public(path: Path) -> CentralPublicKey:
    return CentralPublicKey(*_load_central(path, private=False))


def load_central_private(path: Path) -> CentralPrivateKey:
    return CentralPrivateKey(*_load_central(path, private=True))
