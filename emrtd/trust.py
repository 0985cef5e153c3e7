"""The kiosk's CSCA trust store: a directory of CSCA certificates (DER/PEM) and CRLs, filled
from ICAO master lists or single certificates."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms, core, pem
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from emrtd import DECODE_ERRORS, SIGNATURE_ERRORS, EMRTDError, MalformedData

log = logging.getLogger(__name__)

CSCA_MASTER_LIST = "2.23.136.1.1.2"
#: A file in the store that cannot be read is skipped with a warning, not fatal.
_UNREADABLE: tuple[type[Exception], ...] = (*DECODE_ERRORS, MalformedData)


class CscaCertificates(core.SetOf):
    _child_spec = asn1_x509.Certificate


class CscaMasterList(core.Sequence):
    _fields = [("version", core.Integer), ("certs", CscaCertificates)]


def _der_objects(data: bytes) -> list[bytes]:
    if pem.detect(data):
        return [der for _type, _headers, der in pem.unarmor(data, multiple=True)]
    return [data]


def load_certificates(data: bytes, source: str) -> list[bytes]:
    """DER certificates from a master list (.ml, CMS), a PEM bundle or one DER certificate."""
    certs: list[bytes] = []
    for der in _der_objects(data):
        try:
            info = cms.ContentInfo.load(der)
            if info["content_type"].native == "signed_data":
                encap = info["content"]["encap_content_info"]
                if encap["content_type"].dotted != CSCA_MASTER_LIST:
                    raise MalformedData(f"{source}: a CMS object but not an ICAO master list")
                content = encap["content"].native
                if not isinstance(content, bytes):
                    content = encap["content"].parsed.dump()
                master = CscaMasterList.load(content)
                for cert in master["certs"]:
                    certs.append(
                        x509.load_der_x509_certificate(cert.dump()).public_bytes(Encoding.DER)
                    )
                continue
        except MalformedData:
            raise
        except DECODE_ERRORS as exc:
            if certs or _is_master_list(der):
                raise MalformedData(f"{source}: the master list is malformed ({exc})") from None
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError:
            raise MalformedData(
                f"{source}: neither an ICAO master list nor a PEM/DER certificate"
            ) from None
        certs.append(certificate.public_bytes(Encoding.DER))
    if not certs:
        raise MalformedData(f"{source}: holds no certificate")
    return certs


def _is_master_list(der: bytes) -> bool:
    try:
        info = cms.ContentInfo.load(der)
        return bool(
            info["content"]["encap_content_info"]["content_type"].dotted == CSCA_MASTER_LIST
        )
    except DECODE_ERRORS:
        return False


def verify_master_list(data: bytes) -> str | None:
    try:
        return _verify_master_list(data)
    except DECODE_ERRORS as exc:
        raise MalformedData(f"the master list is malformed ({exc}): not imported") from None


def _verify_master_list(data: bytes) -> str | None:
    """The signer of an ICAO master list if its CMS signature holds; None if `data` is not a
    master list; `MalformedData` when the signature does not verify (nothing is imported)."""

    from emrtd.passive_auth import digest, verify_signature

    try:
        info = cms.ContentInfo.load(data)
        if info["content_type"].native != "signed_data":
            return None
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != CSCA_MASTER_LIST:
            return None
        content = encap["content"].native
        if not isinstance(content, bytes):
            content = encap["content"].parsed.dump()
        signer = signed["signer_infos"][0]
        sid = signer["sid"]
        certs = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
    except DECODE_ERRORS:
        return None
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            match = (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            )
        else:
            match = cert.key_identifier == sid.chosen.native
        if not match:
            continue
        attrs = signer["signed_attrs"]
        message = content
        if attrs.native:
            values = {attr["type"].native: attr["values"][0] for attr in attrs}
            algorithm = signer["digest_algorithm"]["algorithm"].native
            if values.get("message_digest") is None or values["message_digest"].native != digest(
                algorithm, content
            ):
                raise MalformedData("the master list's signed digest does not match: not imported")
            message = b"\x31" + attrs.dump()[1:]
        try:
            verify_signature(
                x509.load_der_x509_certificate(cert.dump()).public_key(), signer, message
            )
        except SIGNATURE_ERRORS as exc:
            raise MalformedData(
                f"the master list's signature does not verify ({exc or 'bad signature'}): "
                "not imported"
            ) from None
        return str(cert.subject.human_friendly)
    raise MalformedData("the master list carries no certificate of its signer: not imported")


@dataclass
class TrustStore:
    """CSCA certificates and CRLs; `directory` None means an empty store."""

    certificates: list[x509.Certificate] = field(default_factory=list)
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    directory: Path | None = None

    @classmethod
    def load(cls, directory: Path) -> TrustStore:
        """Every *.der/*.cer/*.crt/*.pem certificate and *.crl in `directory`."""
        if not directory.is_dir():
            raise EMRTDError(
                f"trust store {directory} does not exist: import CSCA certificates with "
                "'kiosk provision csca import FILE'"
            )
        store = cls(directory=directory)
        for path in sorted(directory.iterdir()):
            suffix = path.suffix.lower()
            try:
                if suffix == ".crl":
                    for der in _der_objects(path.read_bytes()):
                        store.crls.append(x509.load_der_x509_crl(der))
                elif suffix in (".der", ".cer", ".crt", ".pem"):
                    for der in load_certificates(path.read_bytes(), str(path)):
                        store.certificates.append(x509.load_der_x509_certificate(der))
            except _UNREADABLE as exc:
                log.warning("trust store: skipping %s: %s", path, exc)
        return store

    def issuers_of(self, certificate: x509.Certificate) -> list[x509.Certificate]:
        return [c for c in self.certificates if c.subject == certificate.issuer]

    def crls_of(self, issuer: x509.Certificate) -> list[x509.CertificateRevocationList]:
        return [c for c in self.crls if c.issuer == issuer.subject]

    def add(self, der: bytes) -> tuple[Path, bool]:
        """Store one certificate as <country>-<sha256 prefix>.der; (path, was it new)."""
        if self.directory is None:
            raise EMRTDError("this trust store has no directory to write to")
        certificate = x509.load_der_x509_certificate(der)
        countries = certificate.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
        country = str(countries[0].value).upper() if countries else "XX"
        name = f"{country}-{hashlib.sha256(der).hexdigest()[:16]}.der"
        path = self.directory / name
        if path.exists():
            return path, False
        path.write_bytes(der)
        self.certificates.append(certificate)
        return path, True


def crl_der(data: bytes) -> list[bytes]:
    """DER CRLs from a file (PEM or DER); `MalformedData` if it holds none."""
    out = []
    for der in _der_objects(data):
        try:
            asn1_crl.CertificateList.load(der).native  # noqa: B018
        except ValueError as exc:
            raise MalformedData(f"not a CRL: {exc}") from None
        out.append(der)
    return out
