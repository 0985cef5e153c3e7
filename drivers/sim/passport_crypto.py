"""The chip side's cryptography for the passport emulator: key derivation, 3DES/AES with their
MACs, and elliptic-curve points. Written apart from `emrtd` (libraries do not import each
other), so the emulator is a second, independent implementation the reader is tested against.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC


def pad(data: bytes, block: int) -> bytes:
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % block)


def unpad(data: bytes) -> bytes:
    end = len(data.rstrip(b"\x00"))
    if end == 0 or data[end - 1] != 0x80:
        raise ValueError("padding")
    return data[: end - 1]


@dataclass(frozen=True)
class SymmetricKind:
    """'3DES' or 'AES' with a key length in bytes."""

    name: str
    key_length: int

    @property
    def block(self) -> int:
        return 8 if self.name == "3DES" else 16

    def derive(self, seed: bytes, counter: int) -> bytes:
        material = seed + counter.to_bytes(4, "big")
        if self.name == "3DES":
            key = bytearray(hashlib.sha1(material).digest()[:16])
            for i, byte in enumerate(key):  # odd parity in each byte
                key[i] = (byte & 0xFE) | (1 - bin(byte >> 1).count("1") % 2)
            return bytes(key)
        algorithm = "sha1" if self.key_length == 16 else "sha256"
        return hashlib.new(algorithm, material).digest()[: self.key_length]

    def _cipher(self, key: bytes, iv: bytes) -> Cipher[modes.CBC]:
        algorithm = TripleDES(key + key[:8]) if self.name == "3DES" else algorithms.AES(key)
        return Cipher(algorithm, modes.CBC(iv))

    def encrypt(self, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
        op = self._cipher(key, iv or bytes(self.block)).encryptor()
        return op.update(data) + op.finalize()

    def decrypt(self, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
        op = self._cipher(key, iv or bytes(self.block)).decryptor()
        return op.update(data) + op.finalize()

    def mac(self, key: bytes, data: bytes) -> bytes:
        """Retail MAC over padded data (3DES), or AES-CMAC truncated to 8 bytes."""
        if self.name == "3DES":
            ka, kb = key[:8] * 3, key[8:16] * 3
            state = Cipher(TripleDES(ka), modes.CBC(bytes(8))).encryptor()
            last = (state.update(pad(data, 8)) + state.finalize())[-8:]
            step = Cipher(TripleDES(kb), modes.ECB()).decryptor()
            last = step.update(last) + step.finalize()
            step = Cipher(TripleDES(ka), modes.ECB()).encryptor()
            return step.update(last) + step.finalize()
        signer = CMAC(algorithms.AES(key))
        signer.update(data)
        return signer.finalize()[:8]

    def iv_for(self, key: bytes, counter: bytes) -> bytes:
        if self.name == "3DES":
            return bytes(8)
        op = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        return op.update(counter) + op.finalize()


@dataclass(frozen=True)
class ECDomain:
    """Short Weierstrass domain parameters handed in by the caller."""

    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def size(self) -> int:
        return (self.p.bit_length() + 7) // 8

    def add(self, p1: tuple[int, int] | None, p2: tuple[int, int] | None) -> tuple[int, int] | None:
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        (x1, y1), (x2, y2) = p1, p2
        if x1 == x2 and (y1 + y2) % self.p == 0:
            return None
        if p1 == p2:
            slope = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, self.p)
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, self.p)
        x3 = (slope * slope - x1 - x2) % self.p
        return (x3, (slope * (x1 - x3) - y1) % self.p)

    def times(self, k: int, point: tuple[int, int] | None) -> tuple[int, int] | None:
        """k * point: right-to-left double-and-add in Jacobian coordinates (one inversion)."""
        if point is None:
            return None
        p = self.p
        result: tuple[int, int, int] | None = None
        addend = (point[0], point[1], 1)
        while k:
            if k & 1:
                result = addend if result is None else self._jacobian_add(result, addend)
            addend = self._jacobian_double(addend)
            k >>= 1
        if result is None or result[2] == 0:
            return None
        x, y, z = result
        inverse = pow(z, -1, p)
        return (x * inverse * inverse % p, y * inverse * inverse * inverse % p)

    def _jacobian_double(self, q: tuple[int, int, int]) -> tuple[int, int, int]:
        x, y, z = q
        p = self.p
        if y == 0 or z == 0:
            return (0, 1, 0)
        yy = y * y % p
        zz = z * z % p
        s = 4 * x * yy % p
        m = (3 * x * x + self.a * zz * zz) % p
        x3 = (m * m - 2 * s) % p
        return (x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * y * z % p)

    def _jacobian_add(
        self, q1: tuple[int, int, int], q2: tuple[int, int, int]
    ) -> tuple[int, int, int]:
        (x1, y1, z1), (x2, y2, z2) = q1, q2
        p = self.p
        if z1 == 0:
            return q2
        if z2 == 0:
            return q1
        z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
        u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
        s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
        if u1 == u2:
            return self._jacobian_double(q1) if s1 == s2 else (0, 1, 0)
        h, r = (u2 - u1) % p, (s2 - s1) % p
        hh = h * h % p
        hhh = h * hh % p
        v = u1 * hh % p
        x3 = (r * r - hhh - 2 * v) % p
        return (x3, (r * (v - x3) - s1 * hhh) % p, z1 * z2 * h % p)

    def point_bytes(self, point: tuple[int, int] | None) -> bytes:
        assert point is not None
        return b"\x04" + point[0].to_bytes(self.size, "big") + point[1].to_bytes(self.size, "big")

    def point_from(self, data: bytes) -> tuple[int, int]:
        if len(data) != 1 + 2 * self.size or data[0] != 4:
            raise ValueError("not an uncompressed point")
        x = int.from_bytes(data[1 : 1 + self.size], "big")
        y = int.from_bytes(data[1 + self.size :], "big")
        if (y * y - x * x * x - self.a * x - self.b) % self.p:
            raise ValueError("point not on the curve")
        return (x, y)

    def secret(self) -> int:
        return 1 + secrets.randbelow(self.n - 1)
