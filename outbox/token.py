"""Signing keys held in a PKCS#11 token (an HSM, a smart card, a TPM through tpm2-pkcs11,
SoftHSM in tests): the private key never leaves the token, records are signed inside it
with CKM_EDDSA (Ed25519).

The key is named by a PKCS#11 URI (RFC 7512) in `[keys] signing_key`:

    pkcs11:token=border-kiosk;object=kiosk-signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/border-kiosk/token-pin

`token` is the token label, `object` the key's label, `module-path` the PKCS#11 library,
`pin-source` a file holding the user PIN (never the PIN itself in the configuration).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives.asymmetric import ed25519

from outbox.errors import OutboxError

SCHEME = "pkcs11:"
ED25519_PARAMS = bytes.fromhex("06032b6570")  # DER of the OID 1.3.101.112 (id-Ed25519)


def is_uri(spec: str) -> bool:
    return spec.startswith(SCHEME)


@dataclass(frozen=True)
class TokenUri:
    token: str
    label: str
    module: Path
    pin_file: Path

    @classmethod
    def parse(cls, uri: str) -> TokenUri:
        if not is_uri(uri):
            raise OutboxError(f"{uri!r} is not a pkcs11: URI")
        path, _, query = uri[len(SCHEME) :].partition("?")
        attributes: dict[str, str] = {}
        for part in [*path.split(";"), *query.split("&")]:
            if part:
                name, equals, value = part.partition("=")
                if not equals:
                    raise OutboxError(f"PKCS#11 URI: {part!r} is not name=value")
                attributes[name] = unquote(value)
        missing = [
            a for a in ("token", "object", "module-path", "pin-source") if a not in attributes
        ]
        if missing:
            raise OutboxError(
                f"PKCS#11 URI needs {', '.join(missing)}; e.g. pkcs11:token=border-kiosk;"
                "object=kiosk-signing?module-path=/usr/lib/softhsm/libsofthsm2.so"
                "&pin-source=file:/etc/border-kiosk/token-pin"
            )
        pin_source = attributes["pin-source"].removeprefix("file:")
        return cls(
            attributes["token"], attributes["object"], Path(attributes["module-path"]),
            Path(pin_source),
        )  # fmt: skip

    def pin(self) -> str:
        try:
            return self.pin_file.read_text().strip()
        except OSError as exc:
            raise OutboxError(f"token PIN file {self.pin_file}: {exc.strerror}") from None


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise OutboxError(
            "keys in a PKCS#11 token need python-pkcs11 (pip install 'border-kiosk[pkcs11]')"
        ) from None
    return pkcs11


def _open_session(uri: TokenUri, rw: bool = False) -> Any:
    pkcs11 = _pkcs11()
    if not uri.module.is_file():
        raise OutboxError(f"PKCS#11 module {uri.module} does not exist")
    try:
        token = pkcs11.lib(str(uri.module)).get_token(token_label=uri.token)
        try:
            return token.open(rw=rw, user_pin=uri.pin())
        except pkcs11.exceptions.UserAlreadyLoggedIn:
            # The login belongs to the whole process: another session of ours holds it.
            return token.open(rw=rw)
    except pkcs11.exceptions.NoSuchToken:
        raise OutboxError(f"no PKCS#11 token labelled {uri.token!r} in {uri.module}") from None
    except pkcs11.exceptions.PinIncorrect:
        raise OutboxError(f"the PIN in {uri.pin_file} is wrong for token {uri.token!r}") from None
    except pkcs11.exceptions.PKCS11Error as exc:
        raise OutboxError(f"PKCS#11 token {uri.token!r}: {type(exc).__name__} {exc}") from None


def _public_key(public: Any) -> ed25519.Ed25519PublicKey:
    """CKA_EC_POINT of an Ed25519 key: the 32 raw bytes, DER OCTET STRING-wrapped."""
    pkcs11 = _pkcs11()
    point = bytes(public[pkcs11.Attribute.EC_POINT])
    raw = point[2:] if len(point) == 34 and point[:2] == b"\x04\x20" else point
    try:
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise OutboxError("the token's key is not an Ed25519 key") from None


class TokenKey:
    """An Ed25519 private key inside a token: `sign()` and `public_key()`, like a key
    loaded from a file. One session for the process; signing is serialised (a PKCS#11
    session is not to be used by two threads at once)."""

    def __init__(self, uri: str) -> None:
        self.uri = TokenUri.parse(uri)
        pkcs11 = _pkcs11()
        self._session = _open_session(self.uri)
        label = self.uri.label
        try:
            self._private = self._session.get_key(
                object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=label
            )
            public = self._session.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=label)
        except pkcs11.exceptions.NoSuchKey:
            raise OutboxError(
                f"token {self.uri.token!r} holds no key pair labelled {label!r}; "
                "create it with 'kiosk provision init --signing-key URI'"
            ) from None
        self._public = _public_key(public)
        self._lock = threading.Lock()

    def sign(self, data: bytes) -> bytes:
        pkcs11 = _pkcs11()
        with self._lock:
            try:
                return bytes(self._private.sign(data, mechanism=pkcs11.Mechanism.EDDSA))
            except pkcs11.exceptions.PKCS11Error as exc:
                raise OutboxError(f"the token did not sign: {type(exc).__name__}") from None

    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self._public


def generate(uri: str) -> TokenKey:
    """A new Ed25519 key pair in the token, marked sensitive and not extractable; refuses
    when the label is taken (a key is never replaced silently)."""
    parsed = TokenUri.parse(uri)
    pkcs11 = _pkcs11()
    with _open_session(parsed, rw=True) as session:
        existing = list(session.get_objects({pkcs11.Attribute.LABEL: parsed.label}))
        if existing:
            raise OutboxError(f"token {parsed.token!r} already holds objects {parsed.label!r}")
        try:
            session.generate_keypair(
                pkcs11.KeyType.EC_EDWARDS,
                mechanism=pkcs11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                store=True,
                label=parsed.label,
                public_template={pkcs11.Attribute.EC_PARAMS: ED25519_PARAMS},
                private_template={
                    pkcs11.Attribute.SENSITIVE: True,
                    pkcs11.Attribute.EXTRACTABLE: False,
                },
            )
        except pkcs11.exceptions.PKCS11Error as exc:
            raise OutboxError(
                f"token {parsed.token!r} cannot make an Ed25519 key (CKM_EC_EDWARDS_KEY_PAIR_GEN):"
                f" {type(exc).__name__}"
            ) from None
    return TokenKey(uri)
