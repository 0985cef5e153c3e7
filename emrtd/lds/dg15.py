"""DG15: the active authentication public key (RSA or EC)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_der_public_key

from emrtd import DECODE_ERRORS, MalformedData, NotSupported, tlv
from emrtd.lds import DATA_GROUPS


@dataclass(frozen=True)
class DG15File:
    key_der: bytes

    @classmethod
    def parse(cls, raw: bytes) -> DG15File:
        outer = tlv.parse(raw, DATA_GROUPS[15].tag, "DG15")
        return cls(outer.value)

    def public_key(self) -> Any:
        """A `cryptography` public key; EC keys with explicit parameters map to named curves."""
        try:
            return load_der_public_key(self.key_der)
        except UnsupportedAlgorithm as exc:
            raise NotSupported(f"DG15: {exc}") from None
        except ValueError:
            pass
        from asn1crypto import keys

        from emrtd.curves import BY_NAME
        from emrtd.security_infos import ec_public_key

        try:
            info = keys.PublicKeyInfo.load(self.key_der)
            curve, point = ec_public_key(info)
        except DECODE_ERRORS as exc:
            raise MalformedData(f"DG15: the public key does not decode ({exc})") from None
        from cryptography.hazmat.primitives.asymmetric import ec

        classes: dict[str, type[ec.EllipticCurve]] = {
            "P-192": ec.SECP192R1, "P-224": ec.SECP224R1, "P-256": ec.SECP256R1,
            "P-384": ec.SECP384R1, "P-521": ec.SECP521R1,
            "brainpoolP256r1": ec.BrainpoolP256R1, "brainpoolP384r1": ec.BrainpoolP384R1,
            "brainpoolP512r1": ec.BrainpoolP512R1,
        }  # fmt: skip
        if curve.name not in classes or BY_NAME.get(curve.name) is None:
            raise NotSupported(f"DG15: active authentication on {curve.name} is not supported")
        return ec.EllipticCurvePublicNumbers(point[0], point[1], classes[curve.name]()).public_key()
