"""Basic Access Control (ICAO 9303-11 §4.3): 3DES mutual authentication from the MRZ."""

from __future__ import annotations

import os
from collections.abc import Callable

from emrtd import AccessDenied, CardError, MalformedData
from emrtd.apdu import Command, Response
from emrtd.crypto import ENC, MAC, TDES, pad
from emrtd.keys import MRZKey
from emrtd.sm import SecureChannel

Transceive = Callable[[bytes], bytes]


def key_seed(key: MRZKey) -> bytes:
    return key.secret[:16]


def authenticate(
    transceive: Transceive,
    key: MRZKey,
    *,
    rnd_ifd: bytes | None = None,
    k_ifd: bytes | None = None,
) -> SecureChannel:
    """GET CHALLENGE, EXTERNAL AUTHENTICATE; the session's SM channel with its SSC."""
    seed = key_seed(key)
    k_enc, k_mac = TDES.kdf(seed, ENC), TDES.kdf(seed, MAC)
    challenge = Response.decode(transceive(Command(0x00, 0x84, 0x00, 0x00, le=8).encode()))
    rnd_ic = challenge.check("GET CHALLENGE")
    if len(rnd_ic) != 8:
        raise MalformedData(f"GET CHALLENGE returned {len(rnd_ic)} bytes, not 8")
    rnd_ifd = rnd_ifd or os.urandom(8)
    k_ifd = k_ifd or os.urandom(16)
    e_ifd = TDES.encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    m_ifd = TDES.mac(k_mac, pad(e_ifd, 8))
    answer = Response.decode(
        transceive(Command(0x00, 0x82, 0x00, 0x00, e_ifd + m_ifd, le=40).encode())
    )
    if answer.sw in (0x6300, 0x6982) or answer.sw & 0xFFF0 == 0x63C0:
        raise AccessDenied("BAC refused")
    try:
        data = answer.check("EXTERNAL AUTHENTICATE")
    except CardError as exc:
        raise AccessDenied(f"BAC: {exc}") from None
    if len(data) != 40:
        raise MalformedData(f"EXTERNAL AUTHENTICATE returned {len(data)} bytes, not 40")
    e_ic, m_ic = data[:32], data[32:]
    if TDES.mac(k_mac, pad(e_ic, 8)) != m_ic:
        raise AccessDenied("the chip's BAC answer does not authenticate")
    plain = TDES.decrypt(k_enc, e_ic)
    if plain[:8] != rnd_ic or plain[8:16] != rnd_ifd:
        raise AccessDenied("the chip's BAC answer does not echo our challenge")
    k_ic = plain[16:]
    session_seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ssc = int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big")
    return SecureChannel(TDES, TDES.kdf(session_seed, ENC), TDES.kdf(session_seed, MAC), ssc)
