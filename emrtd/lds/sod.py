"""EF.SOD: the Document Security Object, a CMS SignedData over the hashes of the data groups."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import algos, cms, core, x509

from emrtd import DECODE_ERRORS, MalformedData, tlv
from emrtd.lds import EF_SOD

LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")


class DataGroupHash(core.Sequence):
    _fields = [("number", core.Integer), ("hash", core.OctetString)]


class DataGroupHashes(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):
    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]


class LDSSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("hashes", DataGroupHashes),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


@dataclass
class SODFile:
    raw_cms: bytes
    signed_data: cms.SignedData
    hash_algorithm: str  # 'sha256', ...
    hashes: dict[int, bytes]
    econtent: bytes

    @property
    def signer(self) -> cms.SignerInfo:
        return self.signed_data["signer_infos"][0]

    @property
    def certificates(self) -> list[x509.Certificate]:
        certs = self.signed_data["certificates"]
        if certs.native is None:
            return []
        return [c.chosen for c in certs if c.name == "certificate"]

    @classmethod
    def parse(cls, raw: bytes) -> SODFile:
        outer = tlv.parse(raw, EF_SOD.tag, "EF.SOD")
        try:
            info = cms.ContentInfo.load(outer.value)
            if info["content_type"].native != "signed_data":
                raise MalformedData("EF.SOD: the CMS object is not SignedData")
            signed = info["content"]
            encap = signed["encap_content_info"]
            if encap["content_type"].dotted != LDS_SECURITY_OBJECT:
                raise MalformedData("EF.SOD: the signed content is not an LDS security object")
            econtent = encap["content"].native
            if not isinstance(econtent, bytes):
                econtent = encap["content"].parsed.dump()
            lso = LDSSecurityObject.load(econtent)
            algorithm = lso["hash_algorithm"]["algorithm"].native
            if algorithm not in HASHES:
                raise MalformedData(f"EF.SOD: data groups hashed with unknown {algorithm}")
            hashes = {int(item["number"].native): item["hash"].native for item in lso["hashes"]}
            if len(signed["signer_infos"]) != 1:
                raise MalformedData("EF.SOD: expected exactly one signer")
            # asn1crypto decodes lazily: decode everything now, so a malformed SOD fails here
            # with one message rather than later in the middle of a check.
            signed.native  # noqa: B018
        except MalformedData:
            raise
        except DECODE_ERRORS as exc:
            raise MalformedData(f"EF.SOD: the CMS structure is malformed ({exc})") from None
        return cls(outer.value, signed, algorithm, hashes, econtent)
