"""A test issuing state: CSCA -> Document Signer, and passports (data groups, SOD, chip keys)
for the emulated chip in drivers/sim/passport.py. Built with `cryptography` and asn1crypto,
the way an issuer's personalisation system would."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from drivers.sim.passport import ChipAuthSetup, ChipProfile, PaceSetup
from drivers.sim.passport_crypto import ECDomain, SymmetricKind
from emrtd import tlv
from emrtd.curves import STANDARD_CURVES
from emrtd.keys import MRZKey
from emrtd.lds import DATA_GROUPS, EF_COM, EF_SOD
from emrtd.lds.com import COMFile
from emrtd.lds.dg1 import DG1File
from emrtd.lds.dg2 import DG2File, encode_19794_5
from emrtd.lds.sod import LDSSecurityObject
from emrtd.pace import oid_bytes
from emrtd.security_infos import SecurityInfo, SecurityInfoSet

NOW = dt.datetime.now(dt.UTC)
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD3_KEY = MRZKey("L898902C3", "740812", "120415")
CAN = "123456"


def _name(common: str, country: str = "UT") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


@dataclass
class PKI:
    csca_key: ec.EllipticCurvePrivateKey
    csca: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey
    ds: x509.Certificate

    def write_trust(self, directory: Path, crl_revoking: x509.Certificate | None = None) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "csca.pem").write_bytes(self.csca.public_bytes(serialization.Encoding.PEM))
        if crl_revoking is not None:
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(self.csca.subject)
                .last_update(NOW - dt.timedelta(days=1))
                .next_update(NOW + dt.timedelta(days=30))
                .add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(crl_revoking.serial_number)
                    .revocation_date(NOW - dt.timedelta(hours=1))
                    .build()
                )
            )
            crl = builder.sign(self.csca_key, hashes.SHA256())
            (directory / "csca.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
        return directory


def make_pki(*, ds_expired: bool = False, country: str = "UT", seed_name: str = "Utopia") -> PKI:
    csca_key = ec.generate_private_key(ec.SECP256R1())
    csca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"CSCA {seed_name}", country))
        .issuer_name(_name(f"CSCA {seed_name}", country))
        .public_key(csca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=3650))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(csca_key, hashes.SHA256())
    )
    ds_key = ec.generate_private_key(ec.SECP256R1())
    start, end = (
        (NOW - dt.timedelta(days=800), NOW - dt.timedelta(days=30))
        if ds_expired
        else (NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=3650))
    )
    ds = (
        x509.CertificateBuilder()
        .subject_name(_name(f"DS {seed_name}", country))
        .issuer_name(csca.subject)
        .public_key(ds_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(csca_key, hashes.SHA256())
    )
    return PKI(csca_key, csca, ds_key, ds)


@cache
def default_pki() -> PKI:
    return make_pki()


# Real photographs that installed packages ship (nothing downloaded), and the 3:4 box
# around the head in each (left, top, right, bottom).
PEOPLE = {
    "astronaut": (("skimage", "data", "astronaut.png"), (120, 0, 360, 320)),
    "grace_hopper": (
        ("matplotlib", "mpl-data", "sample_data", "grace_hopper.jpg"),
        (88, 40, 448, 520),
    ),
}


def photo_path(person: str) -> Path:
    """Where an installed package keeps `person`'s photograph (its package not imported)."""
    import importlib.util

    parts, _box = PEOPLE[person]
    spec = importlib.util.find_spec(parts[0])
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{person}: the package {parts[0]} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts[1:])
    if not path.is_file():
        raise FileNotFoundError(f"{person}: {path} is missing")
    return path


@cache
def portrait_jpeg(
    quality: int = 80, size: tuple[int, int] = (360, 480), person: str = "astronaut"
) -> bytes:
    """A real photograph (scikit-image's astronaut, matplotlib's Grace Hopper) cropped to a
    portrait, as JPEG (~20 KB): what a passport's DG2 holds."""
    from PIL import Image

    _parts, box = PEOPLE[person]
    with Image.open(photo_path(person)) as photo:
        image = photo.convert("RGB").crop(box).resize(size)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def security_info(
    oid: str, required: core.Asn1Value, optional: core.Asn1Value | None = None
) -> SecurityInfo:
    value = {"protocol": oid, "required_data": core.Any(required)}
    if optional is not None:
        value["optional_data"] = core.Any(optional)
    return SecurityInfo(value)


def sign_sod(pki: PKI, hashes_by_dg: dict[int, bytes], algorithm: str = "sha256") -> bytes:
    lso = LDSSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": algorithm},
            "hashes": [{"number": n, "hash": h} for n, h in sorted(hashes_by_dg.items())],
        }
    )
    econtent = lso.dump()
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["2.23.136.1.1.1"]}),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.new(algorithm, econtent).digest()]}
            ),
        ]
    )
    signature = pki.ds_key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    ds = asn1_x509.Certificate.load(pki.ds.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": ds.issuer, "serial_number": ds.serial_number}
                    )
                }
            ),
            "digest_algorithm": {"algorithm": algorithm},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": algorithm}],
            "encap_content_info": {"content_type": "2.23.136.1.1.1", "content": econtent},
            "certificates": [ds],
            "signer_infos": [signer],
        }
    )
    return tlv.encode(
        EF_SOD.tag, cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    )


def domain(parameter_id: int) -> ECDomain:
    c = STANDARD_CURVES[parameter_id]
    return ECDomain(c.p, c.a, c.b, c.gx, c.gy, c.n)


@dataclass
class Passport:
    profile: ChipProfile
    pki: PKI
    key: MRZKey = TD3_KEY
    files: dict[int, bytes] = field(default_factory=dict)


def make_passport(
    *,
    lines: tuple[str, ...] = TD3,
    key: MRZKey = TD3_KEY,
    pki: PKI | None = None,
    pace_parameter_id: int | None = 12,
    pace_cipher: str = "2",  # 1 3DES, 2 AES-128, 3 AES-192, 4 AES-256
    bac: bool = True,
    chip_auth: bool = True,
    chip_auth_cipher: str = "2",  # 1 3DES (MSE:Set KAT), 2 AES-128 (MSE:Set AT + GA)
    active_auth: str | None = "ec",  # "ec" | "rsa" | None
    portrait: bytes | None = None,
    forge_dg2: bool = False,
    can: str | None = CAN,
    dg1_lines: tuple[str, ...] | None = None,
    details: bool = False,
) -> Passport:
    """A passport whose SOD covers its data groups (unless `forge_dg2`: DG2 changed after)."""
    pki = pki or default_pki()
    jpeg = portrait if portrait is not None else portrait_jpeg()
    groups: dict[int, bytes] = {
        1: DG1File.encode(dg1_lines or lines),
        2: DG2File.encode(encode_19794_5(jpeg, 360, 480)),
    }
    if details:
        groups[11] = tlv.encode(
            DATA_GROUPS[11].tag,
            tlv.encode(0x5C, b"\x5f\x0e\x5f\x11")
            + tlv.encode(0x5F0E, b"ERIKSSON<<ANNA<MARIA")
            + tlv.encode(0x5F11, b"ZENITH,UTO"),
        )
        groups[12] = tlv.encode(
            DATA_GROUPS[12].tag,
            tlv.encode(0x5C, b"\x5f\x19\x5f\x26")
            + tlv.encode(0x5F19, b"UTOPIA PASSPORT OFFICE")
            + tlv.encode(0x5F26, b"20250102"),
        )
        groups[7] = tlv.encode(
            DATA_GROUPS[7].tag, tlv.encode(0x02, b"\x01") + tlv.encode(0x5F43, jpeg[:400])
        )
    ca_setup = None
    infos14: list[SecurityInfo] = []
    if chip_auth:
        ca_private = ec.generate_private_key(ec.SECP256R1())
        spki = ca_private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        infos14.append(security_info("0.4.0.127.0.7.2.2.1.2", core.Any.load(spki)))
        ca_oid = f"0.4.0.127.0.7.2.2.3.2.{chip_auth_cipher}"
        infos14.append(security_info(ca_oid, core.Integer(1)))
        ca_setup = ChipAuthSetup(
            oid_bytes(ca_oid),
            ca_private.private_numbers().private_value,
            domain(12),
            SymmetricKind("3DES", 16) if chip_auth_cipher == "1" else SymmetricKind("AES", 16),
        )
    aa_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None
    if active_auth == "ec":
        aa_key = ec.generate_private_key(ec.SECP256R1())
        infos14.append(
            security_info(
                "2.23.136.1.1.5", core.Integer(1), core.ObjectIdentifier("1.2.840.10045.4.3.2")
            )
        )
    elif active_auth == "rsa":
        aa_key = rsa.generate_private_key(65537, 1024)
    if aa_key is not None:
        groups[15] = tlv.encode(
            DATA_GROUPS[15].tag,
            aa_key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
    if infos14:
        groups[14] = tlv.encode(DATA_GROUPS[14].tag, SecurityInfoSet(infos14).dump())
    digests = {n: hashlib.sha256(raw).digest() for n, raw in groups.items()}
    sod = sign_sod(pki, digests)
    if forge_dg2:
        raw = bytearray(groups[2])
        raw[len(raw) // 2] ^= 0x01  # one bit of the portrait
        groups[2] = bytes(raw)
    files = {DATA_GROUPS[n].fid: raw for n, raw in groups.items()}
    files[EF_COM.fid] = COMFile("0107", "040000", tuple(sorted(groups))).encode()
    files[EF_SOD.fid] = sod
    pace_setup = None
    if pace_parameter_id is not None:
        oid = f"0.4.0.127.0.7.2.2.4.2.{pace_cipher}"
        files[0x011C] = SecurityInfoSet(
            [security_info(oid, core.Integer(2), core.Integer(pace_parameter_id))]
        ).dump()
        kind = (
            SymmetricKind("3DES", 16)
            if pace_cipher == "1"
            else SymmetricKind("AES", {"2": 16, "3": 24, "4": 32}[pace_cipher])
        )
        pace_setup = PaceSetup(oid_bytes(oid), domain(pace_parameter_id), kind, pace_parameter_id)
    profile = ChipProfile(
        files=files,
        mrz_password=key.information.encode("ascii"),
        can=can.encode("ascii") if can else None,
        pace=pace_setup,
        bac=bac,
        chip_auth=ca_setup,
        active_auth_key=aa_key,
    )
    return Passport(profile, pki, key, groups)


def master_list(pkis: list[PKI], *, tamper: bool = False) -> bytes:
    """An ICAO master list (CMS) of these CSCAs, signed by a master-list signer."""
    from emrtd.trust import CscaMasterList

    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name("Master List Signer Utopia"))
        .issuer_name(pkis[0].csca.subject)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .sign(pkis[0].csca_key, hashes.SHA256())
    )
    certs = [
        asn1_x509.Certificate.load(p.csca.public_bytes(serialization.Encoding.DER)) for p in pkis
    ]
    content = CscaMasterList({"version": 0, "certs": certs}).dump()
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["2.23.136.1.1.2"]}),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
        ]
    )
    signature = signer_key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    if tamper:
        content = content[:-1] + bytes([content[-1] ^ 1])
    signer_asn1 = asn1_x509.Certificate.load(signer.public_bytes(serialization.Encoding.DER))
    info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": signer_asn1.issuer, "serial_number": signer_asn1.serial_number}
                    )
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "2.23.136.1.1.2", "content": content},
            "certificates": [signer_asn1],
            "signer_infos": [info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
