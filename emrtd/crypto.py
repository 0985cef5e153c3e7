"""Symmetric primitives of ICAO 9303-11 §9.7: key derivation, 3DES and AES, their MACs.

3DES comes from `cryptography`'s decrepit module (that is where it lives since 43); the retail
MAC (ISO/IEC 9797-1 algorithm 3) is single-DES CBC-MAC with a final 3DES step, built from it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

ENC = 1
MAC = 2
PACE = 3


def pad(data: bytes, block: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros to a whole block."""
    data += b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise ValueError("bad ISO 9797-1 padding")
    return stripped[:-1]


def _des_parity(key: bytes) -> bytes:
    out = bytearray()
    for byte in key:
        high = byte & 0xFE
        out.append(high | (bin(high).count("1") + 1) % 2)
    return bytes(out)


def _cbc(algorithm: algorithms.AES | TripleDES, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithm, modes.CBC(iv))
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def _ecb(algorithm: algorithms.AES | TripleDES, data: bytes, encrypt: bool = True) -> bytes:
    cipher = Cipher(algorithm, modes.ECB())
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


@dataclass(frozen=True)
class Suite:
    """One cipher family with its key length: '3DES', 'AES-128', 'AES-192', 'AES-256'."""

    name: str
    key_length: int  # bytes

    @property
    def block(self) -> int:
        return 8 if self.name == "3DES" else 16

    def kdf(self, seed: bytes, counter: int) -> bytes:
        """KDF(K, c) of 9303-11 §9.7.1."""
        data = seed + counter.to_bytes(4, "big")
        if self.name == "3DES":
            return _des_parity(hashlib.sha1(data).digest()[:16])
        if self.key_length == 16:
            return hashlib.sha1(data).digest()[:16]
        return hashlib.sha256(data).digest()[: self.key_length]

    def _algorithm(self, key: bytes) -> algorithms.AES | TripleDES:
        return TripleDES(key + key[:8]) if self.name == "3DES" else algorithms.AES(key)

    def encrypt(self, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
        return _cbc(self._algorithm(key), iv or b"\x00" * self.block, data, True)

    def decrypt(self, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
        return _cbc(self._algorithm(key), iv or b"\x00" * self.block, data, False)

    def ecb_encrypt(self, key: bytes, block: bytes) -> bytes:
        return _ecb(self._algorithm(key), block)

    def mac(self, key: bytes, data: bytes) -> bytes:
        """8-byte MAC of already padded data (3DES) or of the data itself (AES CMAC)."""
        if self.name == "3DES":
            return retail_mac(key, data)
        signer = CMAC(algorithms.AES(key))
        signer.update(data)
        return signer.finalize()[:8]


def retail_mac(key: bytes, padded: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 (DES, keys Ka||Kb) over padded data."""
    ka, kb = key[:8], key[8:16]
    last = _cbc(TripleDES(ka * 3), b"\x00" * 8, padded, True)[-8:]
    last = _ecb(TripleDES(kb * 3), last, encrypt=False)
    return _ecb(TripleDES(ka * 3), last)


TDES = Suite("3DES", 16)
AES128 = Suite("AES-128", 16)
AES192 = Suite("AES-192", 24)
AES256 = Suite("AES-256", 32)
