"""SecurityInfos (ICAO 9303-11 §9.2) of EF.CardAccess and DG14: which PACE, chip and active
authentication the chip offers, with which parameters and keys."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core, keys

from emrtd import DECODE_ERRORS, MalformedData, NotSupported
from emrtd.crypto import AES128, AES192, AES256, TDES, Suite
from emrtd.curves import STANDARD_CURVES, Curve, curve_for

BSI = "0.4.0.127.0.7.2.2"
PACE_ECDH_GM = f"{BSI}.4.2"
CA_ECDH = f"{BSI}.3.2"
CA_DH = f"{BSI}.3.1"
PK_ECDH = f"{BSI}.1.2"
PK_DH = f"{BSI}.1.1"
AA_PROTOCOL = "2.23.136.1.1.5"
SUITES = {"1": TDES, "2": AES128, "3": AES192, "4": AES256}


class SecurityInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class SecurityInfoSet(core.SetOf):
    _child_spec = SecurityInfo


@dataclass(frozen=True)
class PACEInfo:
    oid: str
    version: int
    parameter_id: int | None

    @property
    def supported(self) -> bool:
        return (
            self.oid.startswith(PACE_ECDH_GM + ".")
            and self.oid.rsplit(".", 1)[1] in SUITES
            and (self.parameter_id or 0) in STANDARD_CURVES
        )

    @property
    def suite(self) -> Suite:
        return SUITES[self.oid.rsplit(".", 1)[1]]

    @property
    def curve(self) -> Curve:
        if self.parameter_id not in STANDARD_CURVES:
            raise NotSupported(f"PACE domain parameters {self.parameter_id} are not supported")
        return STANDARD_CURVES[self.parameter_id]


@dataclass(frozen=True)
class ChipAuthenticationInfo:
    oid: str
    version: int
    key_id: int | None

    @property
    def suite(self) -> Suite:
        return SUITES[self.oid.rsplit(".", 1)[1]]


@dataclass(frozen=True)
class ChipAuthenticationPublicKey:
    oid: str
    curve: Curve | None  # None for DH keys, which are not supported
    point: tuple[int, int] | None
    key_id: int | None


@dataclass(frozen=True)
class ActiveAuthenticationInfo:
    version: int
    signature_algorithm: str


@dataclass
class SecurityInfos:
    pace: list[PACEInfo]
    chip_auth: list[ChipAuthenticationInfo]
    chip_auth_keys: list[ChipAuthenticationPublicKey]
    active_auth: list[ActiveAuthenticationInfo]
    unknown: list[str]


def _int(value: core.Any, what: str) -> int:
    try:
        number = core.Integer.load(value.dump()).native
    except ValueError as exc:
        raise MalformedData(f"{what} is not an INTEGER: {exc}") from None
    if not isinstance(number, int):
        raise MalformedData(f"{what} is not an INTEGER")
    return number


def ec_public_key(info: keys.PublicKeyInfo) -> tuple[Curve, tuple[int, int]]:
    """A standard curve and point from a SubjectPublicKeyInfo (named or explicit params)."""
    algorithm = info["algorithm"]
    if algorithm["algorithm"].native != "ec":
        raise NotSupported(f"{algorithm['algorithm'].native} keys are not supported")
    params = algorithm["parameters"]
    if params.name == "named":
        names = {
            "secp192r1": "P-192",
            "secp224r1": "P-224",
            "secp256r1": "P-256",
            "secp384r1": "P-384",
            "secp521r1": "P-521",
        }
        name = params.chosen.native
        curve = next((c for c in STANDARD_CURVES.values() if c.name == names.get(name, name)), None)
    elif params.name == "specified":
        spec = params.chosen
        prime = spec["field_id"]["parameters"].native
        base = spec["base"].native
        size = (prime.bit_length() + 7) // 8
        if len(base) != 1 + 2 * size or base[0] != 4:
            raise MalformedData("explicit EC parameters carry a compressed or bad base point")
        curve = curve_for(
            (
                prime,
                int.from_bytes(spec["curve"]["a"].native, "big"),
                int.from_bytes(spec["curve"]["b"].native, "big"),
                int.from_bytes(base[1 : 1 + size], "big"),
                int.from_bytes(base[1 + size :], "big"),
                spec["order"].native,
            )
        )
    else:
        curve = None
    if curve is None:
        raise NotSupported("the key's elliptic curve is not one of ICAO's standard curves")
    return curve, curve.decode(bytes(info["public_key"].native))


def parse(data: bytes, what: str = "SecurityInfos") -> SecurityInfos:
    try:
        infos = SecurityInfoSet.load(data)
        items = list(infos)
    except ValueError as exc:
        raise MalformedData(f"{what}: not a SET OF SecurityInfo ({exc})") from None
    result = SecurityInfos([], [], [], [], [])
    for item in items:
        try:
            oid = item["protocol"].dotted
            required = item["required_data"]
            optional = item["optional_data"]
            has_optional = not isinstance(optional, core.Void)
            if oid.startswith(f"{BSI}.4."):
                result.pace.append(
                    PACEInfo(
                        oid,
                        _int(required, "PACE version"),
                        _int(optional, "PACE parameter id") if has_optional else None,
                    )
                )
            elif oid.startswith((CA_ECDH + ".", CA_DH + ".")):
                result.chip_auth.append(
                    ChipAuthenticationInfo(
                        oid,
                        _int(required, "CA version"),
                        _int(optional, "CA key id") if has_optional else None,
                    )
                )
            elif oid in (PK_ECDH, PK_DH):
                key_id = _int(optional, "CA key id") if has_optional else None
                if oid == PK_DH:
                    result.chip_auth_keys.append(
                        ChipAuthenticationPublicKey(oid, None, None, key_id)
                    )
                    continue
                info = keys.PublicKeyInfo.load(required.dump())
                curve, point = ec_public_key(info)
                result.chip_auth_keys.append(ChipAuthenticationPublicKey(oid, curve, point, key_id))
            elif oid == AA_PROTOCOL:
                algorithm = (
                    core.ObjectIdentifier.load(optional.dump()).dotted if has_optional else ""
                )
                result.active_auth.append(
                    ActiveAuthenticationInfo(_int(required, "AA version"), algorithm)
                )
            else:
                result.unknown.append(oid)
        except DECODE_ERRORS as exc:
            raise MalformedData(f"{what}: a SecurityInfo is malformed ({exc})") from None
    return result
