"""Chip authentication (ICAO 9303-11 §6.2) with the ECDH key of DG14: the chip proves it holds
the private key by continuing secure messaging under keys only that key yields (the chip is
not a clone of a genuine chip's data)."""

from __future__ import annotations

from emrtd import CardError, SecureMessagingError, tlv
from emrtd.apdu import Command
from emrtd.checks import FAIL, PASS, SKIPPED, Check
from emrtd.crypto import ENC, MAC
from emrtd.lds import EF_COM
from emrtd.pace import oid_bytes
from emrtd.security_infos import CA_ECDH, SecurityInfos
from emrtd.service import PassportService
from emrtd.sm import SecureChannel

NAME = "chip authentication"


def authenticate(service: PassportService, infos: SecurityInfos) -> Check:
    """Run CA when DG14 offers an ECDH key; a Check saying what happened."""
    keys = [k for k in infos.chip_auth_keys if k.curve is not None and k.point is not None]
    if not keys:
        reason = (
            "DH chip authentication is not supported" if infos.chip_auth_keys else "not offered"
        )
        return Check(NAME, SKIPPED, reason)
    key = keys[0]
    protocol = next(
        (p for p in infos.chip_auth if p.oid.startswith(CA_ECDH + ".") and p.key_id == key.key_id),
        None,
    ) or next((p for p in infos.chip_auth if p.oid.startswith(CA_ECDH + ".")), None)
    if protocol is None:
        return Check(NAME, SKIPPED, "DG14 has a key but no ECDH chip authentication protocol")
    curve = key.curve
    assert curve is not None and key.point is not None
    suite = protocol.suite
    secret = curve.random_scalar()
    public = curve.encode(curve.mul(secret, curve.g))
    key_ref = tlv.encode(0x84, key.key_id.to_bytes(1, "big")) if key.key_id is not None else b""
    try:
        if suite.name == "3DES":
            service.send(Command(0x00, 0x22, 0x41, 0xA6, tlv.encode(0x91, public) + key_ref)).check(
                "MSE:Set KAT"
            )
        else:
            service.send(
                Command(0x00, 0x22, 0x41, 0xA4, tlv.encode(0x80, oid_bytes(protocol.oid)) + key_ref)
            ).check("MSE:Set AT for chip authentication")
            service.send(
                Command(0x00, 0x86, 0x00, 0x00, tlv.encode(0x7C, tlv.encode(0x80, public)), le=256)
            ).check("GENERAL AUTHENTICATE for chip authentication")
    except CardError as exc:
        return Check(NAME, FAIL, str(exc))
    shared = curve.mul(secret, key.point)
    if shared is None:
        return Check(NAME, FAIL, "the chip's key gives the point at infinity")
    seed = shared[0].to_bytes(curve.size, "big")
    service.channel = SecureChannel(suite, suite.kdf(seed, ENC), suite.kdf(seed, MAC), 0)
    try:
        service.send(Command(0x00, 0xA4, 0x02, 0x0C, EF_COM.fid.to_bytes(2, "big"))).check(
            "SELECT EF.COM after chip authentication"
        )
    except (SecureMessagingError, CardError) as exc:
        return Check(NAME, FAIL, f"the chip could not continue under the new keys ({exc})")
    return Check(NAME, PASS, f"{curve.name}, {suite.name}")
