"""Our record test vectors (docs/record-vectors.json): fixed keys, a fixed header, a body.

HPKE encryption is randomised, so the vector carries the ciphertext made once; everything
from there on (hash, protected header, Ed25519 signature, record bytes, record hash, the
record without its body) is deterministic and pinned. `python -m tests.outbox.vectors`
writes the file only when it is missing (`--force` makes a new ciphertext).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from outbox import cbor
from outbox.keys import SUITE_X25519, CentralPrivateKey, CentralPublicKey, kid, suite
from outbox.record import Header, read_header, seal_ciphertext, without_body

PATH = Path(__file__).parents[2] / "docs" / "record-vectors.json"

SIGNING_SEED = bytes(range(32))  # Ed25519 private key (RFC 8032 seed)
CENTRAL_PRIVATE = bytes(range(32, 64))  # X25519 private key
HEADER = {
    "id": "019ae6a0c4d07a3b8c2d4e5f60718293",
    "kiosk": "K-TEST-1",
    "post": "UTO-N1",
    "seq": 7,
    "prev": "6c" * 32,
    "time": 1_764_806_400_000,
    "boot": "3f0c8a2e-5b1d-4c7a-9e2f-0a1b2c3d4e5f",
    "mono": 123_456_789_000,
    "type": "audit",
    "officer": "anna",
    "dir": "entry",
    "suite": SUITE_X25519,
}
BODY = {  # an audit event (docs/record.cddl audit-body)
    "event": "override",
    "step": "face",
    "reason": "officer accepted a frame the quality check failed",
    "at_ms": 1_764_806_400_123,
    "frame": bytes(range(16)),
}


def signing_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(SIGNING_SEED)


def central_private() -> CentralPrivateKey:
    return CentralPrivateKey(
        SUITE_X25519, x25519.X25519PrivateKey.from_private_bytes(CENTRAL_PRIVATE)
    )


def header(version: int) -> Header:
    h = HEADER
    return Header(
        bytes.fromhex(str(h["id"])), str(h["kiosk"]), str(h["post"]), int(h["seq"]),  # type: ignore[call-overload]
        bytes.fromhex(str(h["prev"])), int(h["time"]), str(h["boot"]), int(h["mono"]),  # type: ignore[call-overload]
        str(h["type"]), str(h["officer"]), str(h["dir"]), str(h["suite"]), version,
    )  # fmt: skip


def make() -> dict[str, Any]:
    key = signing_key()
    central = central_private()
    public = CentralPublicKey(SUITE_X25519, central.key.public_key())
    vector: dict[str, Any] = {
        "about": "border-kiosk sealed record test vectors (docs/record.cddl); bytes in hex",
        "signing_key_seed": SIGNING_SEED.hex(),
        "kid": kid(key.public_key()).hex(),
        "central_private_key_x25519": CENTRAL_PRIVATE.hex(),
        "header": HEADER,
        "body_cbor": cbor.encode(BODY).hex(),
    }
    for version in (1, 2):
        h = header(version)
        ciphertext = suite(SUITE_X25519).encrypt(cbor.encode(BODY), public.key, info=h.info)
        data, record_hash = seal_ciphertext(h, ciphertext, key, kid(key.public_key()))
        record = read_header(data)
        entry = {
            "hpke_info": h.info.hex(),
            "ciphertext": ciphertext.hex(),
            "record": data.hex(),
            "record_hash": record_hash.hex(),
            "protected_header": record.message.protected.hex(),
            "signature": record.message.signature.hex(),
        }
        if version == 2:
            entry["body_hash"] = record.message.payload.hex()
            entry["envelope"] = record.signed.hex()
            entry["record_without_body"] = without_body(record).hex()
        vector[f"v{version}"] = entry
    return vector


if __name__ == "__main__":
    if PATH.exists() and "--force" not in sys.argv:
        sys.exit(f"{PATH} exists; --force makes new ciphertexts (and new expected bytes)")
    PATH.write_text(json.dumps(make(), indent=1) + "\n")
    print(f"wrote {PATH}")
