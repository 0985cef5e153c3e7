"""Passive authentication (ICAO 9303-11 §5.1): the SOD's signature by the Document Signer,
the DS certificate's chain to a trusted CSCA, validity dates, CRLs, and every data group's hash.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from emrtd import DECODE_ERRORS, SIGNATURE_ERRORS
from emrtd.checks import FAIL, PASS, SKIPPED, Check
from emrtd.lds.sod import LDS_SECURITY_OBJECT, SODFile
from emrtd.trust import TrustStore

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _hash(name: str) -> hashes.HashAlgorithm:
    if name not in _HASHES:
        raise ValueError(f"unsupported hash algorithm {name}")
    return _HASHES[name]()


def digest(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def _signer_certificate(sod: SODFile) -> x509.Certificate | None:
    sid = sod.signer["sid"]
    for cert in sod.certificates:
        if sid.name == "issuer_and_serial_number":
            if (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            ):
                return x509.load_der_x509_certificate(cert.dump())
        elif cert.key_identifier == sid.chosen.native:
            return x509.load_der_x509_certificate(cert.dump())
    return None


def verify_signature(public_key: object, signer: cms.SignerInfo, message: bytes) -> None:
    """Raise InvalidSignature (or ValueError for what is not supported)."""
    algorithm = signer["signature_algorithm"]
    signature = signer["signature"].native
    kind = algorithm.signature_algo
    if kind == "rsassa_pss":
        params = algorithm["parameters"]
        hash_name = params["hash_algorithm"]["algorithm"].native
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidSignature("RSA-PSS signature but the key is not RSA")
        public_key.verify(
            signature,
            message,
            padding.PSS(padding.MGF1(_hash(hash_name)), params["salt_length"].native),
            _hash(hash_name),
        )
        return
    try:
        hash_name = algorithm.hash_algo
    except ValueError:
        hash_name = signer["digest_algorithm"]["algorithm"].native
    if kind == "rsassa_pkcs1v15":
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidSignature("RSA signature but the key is not RSA")
        public_key.verify(signature, message, padding.PKCS1v15(), _hash(hash_name))
    elif kind == "ecdsa":
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise InvalidSignature("ECDSA signature but the key is not EC")
        if signature[:1] != b"\x30":  # some issuers write plain r||s
            half = len(signature) // 2
            signature = utils.encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
        public_key.verify(signature, message, ec.ECDSA(_hash(hash_name)))
    else:
        raise ValueError(f"unsupported signature algorithm {kind}")


def check_signature(sod: SODFile) -> tuple[Check, x509.Certificate | None]:
    """The SOD's CMS signature by the DS certificate it carries."""
    name = "sod signature"
    try:
        ds = _signer_certificate(sod)
    except DECODE_ERRORS as exc:
        return Check(name, FAIL, f"the DS certificate does not decode: {exc}"), None
    if ds is None:
        return Check(name, FAIL, "the SOD carries no Document Signer certificate"), None
    signer = sod.signer
    try:
        digest_name = signer["digest_algorithm"]["algorithm"].native
        attrs = signer["signed_attrs"]
        if attrs.native is None or len(attrs) == 0:
            message = sod.econtent
        else:
            values = {attr["type"].native: attr["values"][0] for attr in attrs}
            if values.get("message_digest") is None:
                return Check(name, FAIL, "the signed attributes lack the message digest"), ds
            if values["message_digest"].native != digest(digest_name, sod.econtent):
                return Check(name, FAIL, "the signed digest does not match the hash list"), ds
            content_type = values.get("content_type")
            if content_type is not None and content_type.dotted != LDS_SECURITY_OBJECT:
                return Check(name, FAIL, "the signed content type is not an LDS object"), ds
            message = b"\x31" + attrs.dump()[1:]
        verify_signature(ds.public_key(), signer, message)
    except InvalidSignature:
        return Check(name, FAIL, "the signature does not verify with the DS certificate"), ds
    except DECODE_ERRORS as exc:
        return Check(name, FAIL, f"cannot verify: {exc}"), ds
    return Check(name, PASS, f"signed by {ds.subject.rfc4514_string()}"), ds


def _valid_at(cert: x509.Certificate, at: datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def check_chain(ds: x509.Certificate | None, trust: TrustStore | None, at: datetime) -> list[Check]:
    """DS chained to a trusted CSCA; validity of both at `at`; revocation by CRLs given."""
    if ds is None:
        return [Check("ds chain", SKIPPED, "no Document Signer certificate")]
    if trust is None or not trust.certificates:
        return [Check("ds chain", FAIL, "no CSCA certificates in the trust store")]
    checks: list[Check] = []
    issuer = None
    for candidate in trust.issuers_of(ds):
        try:
            ds.verify_directly_issued_by(candidate)
        except SIGNATURE_ERRORS:
            continue
        issuer = candidate
        break
    if issuer is None:
        return [
            Check(
                "ds chain",
                FAIL,
                f"DS issuer {ds.issuer.rfc4514_string()} is not a trusted CSCA (or its "
                "signature does not verify)",
            )
        ]
    checks.append(Check("ds chain", PASS, f"issued by CSCA {issuer.subject.rfc4514_string()}"))
    if not _valid_at(ds, at):
        checks.append(
            Check(
                "ds validity",
                FAIL,
                f"DS certificate valid {ds.not_valid_before_utc:%Y-%m-%d} to "
                f"{ds.not_valid_after_utc:%Y-%m-%d}, not on {at:%Y-%m-%d}",
            )
        )
    elif not _valid_at(issuer, at):
        checks.append(
            Check(
                "ds validity",
                FAIL,
                f"CSCA certificate expired {issuer.not_valid_after_utc:%Y-%m-%d}",
            )
        )
    else:
        checks.append(Check("ds validity", PASS, f"valid until {ds.not_valid_after_utc:%Y-%m-%d}"))
    crls = trust.crls_of(issuer)
    if not crls:
        checks.append(Check("ds revocation", SKIPPED, "no CRL of this CSCA in the trust store"))
        return checks
    for crl in crls:
        if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            checks.append(Check("ds revocation", FAIL, "the CSCA's CRL signature does not verify"))
            return checks
        if crl.get_revoked_certificate_by_serial_number(ds.serial_number) is not None:
            checks.append(Check("ds revocation", FAIL, "the DS certificate is revoked"))
            return checks
    checks.append(Check("ds revocation", PASS, "not on the CSCA's CRL"))
    return checks


def check_hashes(sod: SODFile, files: dict[int, bytes]) -> list[Check]:
    """One check per data group read: its hash against the SOD's."""
    checks = []
    for number in sorted(files):
        name = f"dg{number} hash"
        expected = sod.hashes.get(number)
        if expected is None:
            checks.append(Check(name, FAIL, f"DG{number} is not listed in the SOD"))
        elif digest(sod.hash_algorithm, files[number]) != expected:
            checks.append(Check(name, FAIL, f"DG{number} does not match its hash in the SOD"))
        else:
            checks.append(Check(name, PASS, sod.hash_algorithm))
    return checks


def verify(
    sod: SODFile, files: dict[int, bytes], trust: TrustStore | None, at: datetime
) -> list[Check]:
    """Every passive-authentication check, in the order an officer reads them."""
    signature, ds = check_signature(sod)
    return [signature, *check_chain(ds, trust, at), *check_hashes(sod, files)]
