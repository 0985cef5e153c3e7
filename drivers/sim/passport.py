"""An eMRTD chip answering APDUs: PACE (ECDH generic mapping), BAC, secure messaging, chip and
active authentication, serving the files the caller hands it.

It knows nothing of MRZ or data-group contents: the caller gives file contents by file
identifier, the access password (the MRZ information bytes and/or a CAN), the PACE protocol
(its OID bytes, domain parameters and cipher), and the chip's private keys. Put it on a
reader with `drivers.sim.vpcd.VpcdCard`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

from drivers.sim.passport_crypto import ECDomain, SymmetricKind, pad, unpad

log = logging.getLogger(__name__)

AID = bytes.fromhex("A0000002471001")
CARD_ACCESS = 0x011C
SW_OK = b"\x90\x00"
# A contactless ATR (PC/SC part 3 for ISO 14443-4 type B, historical bytes empty).
ATR = bytes.fromhex("3B8880010000000000000000000009")


class _Reject(Exception):
    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


def _enc_len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def do(tag: int, value: bytes) -> bytes:
    return tag.to_bytes(2 if tag > 0xFF else 1, "big") + _enc_len(len(value)) + value


def objects(data: bytes) -> list[tuple[int, bytes]]:
    """Data objects of a command (1- or 2-byte tags); 6A80 when malformed."""
    out, pos = [], 0
    try:
        while pos < len(data):
            tag = data[pos]
            pos += 1
            if tag & 0x1F == 0x1F:
                tag = tag << 8 | data[pos]
                pos += 1
            length = data[pos]
            pos += 1
            if length & 0x80:
                count = length & 0x7F
                length = int.from_bytes(data[pos : pos + count], "big")
                pos += count
            value = data[pos : pos + length]
            if len(value) != length:
                raise _Reject(0x6A80)
            out.append((tag, value))
            pos += length
    except IndexError:
        raise _Reject(0x6A80) from None
    return out


@dataclass
class PaceSetup:
    oid: bytes  # the protocol OID's content bytes, as EF.CardAccess names it
    domain: ECDomain
    cipher: SymmetricKind
    parameter_id: int


@dataclass
class ChipAuthSetup:
    oid: bytes
    private_key: int
    domain: ECDomain
    cipher: SymmetricKind
    key_id: int | None = None


@dataclass
class ChipProfile:
    files: dict[int, bytes]  # file identifier -> contents (0x011C EF.CardAccess in the MF)
    mrz_password: bytes  # the MRZ information, as the reader hashes it
    can: bytes | None = None
    pace: PaceSetup | None = None
    bac: bool = True
    chip_auth: ChipAuthSetup | None = None
    active_auth_key: Any = None  # cryptography RSA or EC private key
    #: No access control at all (plain SELECT and READ BINARY): a reference card for benches.
    open_access: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class _Session:
    def __init__(self, cipher: SymmetricKind, k_enc: bytes, k_mac: bytes, ssc: int) -> None:
        self.cipher, self.k_enc, self.k_mac, self.ssc = cipher, k_enc, k_mac, ssc

    def counter(self) -> bytes:
        return self.ssc.to_bytes(self.cipher.block, "big")

    def _mac(self, data: bytes) -> bytes:
        """SM pads the MAC input for both ciphers; the retail MAC pads by itself."""
        if self.cipher.name == "3DES":
            return self.cipher.mac(self.k_mac, data)
        return self.cipher.mac(self.k_mac, pad(data, self.cipher.block))

    def open(self, apdu: bytes) -> tuple[bytes, bytes, int | None]:
        """(header, data, le) of a protected command; 6988 when its MAC fails."""
        self.ssc += 1
        header = apdu[:4]
        body = apdu[5:-1] if len(apdu) > 5 and apdu[4] != 0 else apdu[7:-2]
        items = objects(body)
        tags = dict(items)
        if 0x8E not in tags:
            raise _Reject(0x6987)
        covered = b"".join(do(t, v) for t, v in items if t != 0x8E)
        if self._mac(self.counter() + pad(header, self.cipher.block) + covered) != tags[0x8E]:
            raise _Reject(0x6988)
        data = b""
        encrypted = tags.get(0x87, b"\x01")[1:] if 0x87 in tags else tags.get(0x85, b"")
        if encrypted:
            iv = self.cipher.iv_for(self.k_enc, self.counter())
            data = unpad(self.cipher.decrypt(self.k_enc, encrypted, iv))
        le = None
        if 0x97 in tags:
            le = int.from_bytes(tags[0x97], "big") or (256 if len(tags[0x97]) == 1 else 65536)
        return header, data, le

    def close(self, data: bytes, sw: bytes, odd: bool) -> bytes:
        self.ssc += 1
        block = self.cipher.block
        out = b""
        if data:
            iv = self.cipher.iv_for(self.k_enc, self.counter())
            encrypted = self.cipher.encrypt(self.k_enc, pad(data, block), iv)
            out += do(0x85, encrypted) if odd else do(0x87, b"\x01" + encrypted)
        out += do(0x99, sw)
        mac = self._mac(self.counter() + out)
        return out + do(0x8E, mac) + SW_OK


class PassportChip:
    """The chip's state machine. `apdu()` is called from the vpcd thread."""

    atr = ATR

    def __init__(self, profile: ChipProfile) -> None:
        self.profile = profile
        self._lock = threading.Lock()
        self.commands: list[bytes] = []
        self.power(True)

    def power(self, on: bool) -> None:
        self.session: _Session | None = None
        self.applet = False
        self.current: int | None = None
        self.rnd_ic: bytes | None = None
        self.pace_state: dict[str, Any] = {}
        self.pending_ca: _Session | None = None

    # -- dispatch -----------------------------------------------------------------------
    def apdu(self, command: bytes) -> bytes:
        with self._lock:
            self.commands.append(command)
            if len(command) < 4:
                return b"\x67\x00"
            protected = command[0] & 0x0C == 0x0C
            session = self.session
            if session is not None and not protected:
                self.session = None  # a plain command ends secure messaging
                session = None
            try:
                if protected:
                    if session is None:
                        return b"\x69\x82"
                    header, data, le = session.open(command)
                    answer, sw = self._handle(
                        header[0] & 0xF3, header[1], header[2], header[3], data, le
                    )
                    wrapped = session.close(answer, sw, odd=bool(header[1] & 1))
                    if self.pending_ca is not None:
                        self.session, self.pending_ca = self.pending_ca, None
                    return wrapped
                data, le = self._plain_body(command)
                answer, sw = self._handle(command[0], command[1], command[2], command[3], data, le)
                return answer + sw
            except _Reject as reject:
                if protected and reject.sw in (0x6987, 0x6988):
                    self.session = None
                return reject.sw.to_bytes(2, "big")

    @staticmethod
    def _plain_body(command: bytes) -> tuple[bytes, int | None]:
        body = command[4:]
        if not body:
            return b"", None
        if len(body) == 1:
            return b"", body[0] or 256
        if body[0] == 0 and len(body) >= 3:
            if len(body) == 3:
                return b"", int.from_bytes(body[1:3], "big") or 65536
            lc = int.from_bytes(body[1:3], "big")
            rest = body[3 + lc :]
            return body[3 : 3 + lc], (int.from_bytes(rest, "big") or 65536) if rest else None
        lc = body[0]
        rest = body[1 + lc :]
        return body[1 : 1 + lc], (rest[0] or 256) if rest else None

    def _handle(
        self, cla: int, ins: int, p1: int, p2: int, data: bytes, le: int | None
    ) -> tuple[bytes, bytes]:
        secure = self.session is not None or self.profile.open_access
        if ins == 0xA4:
            return self._select(p1, data, secure)
        if ins in (0xB0, 0xB1):
            return self._read(ins, p1, p2, data, le, secure)
        if ins == 0x84 and not secure:
            self.rnd_ic = os.urandom(8)
            return self.rnd_ic, SW_OK
        if ins == 0x82 and not secure:
            return self._bac(data)
        if ins == 0x22:
            return self._mse(p1, p2, data, secure)
        if ins == 0x86:
            if secure:
                return self._ca_general_authenticate(data)
            return self._pace_step(cla, data)
        if ins == 0x88 and secure:
            return self._internal_authenticate(data)
        raise _Reject(0x6D00 if ins not in (0x84, 0x82, 0x88) else 0x6982)

    # -- files --------------------------------------------------------------------------
    def _select(self, p1: int, data: bytes, secure: bool) -> tuple[bytes, bytes]:
        if p1 == 0x04:
            if data != AID:
                raise _Reject(0x6A82)
            self.applet = True
            self.current = None
            return b"", SW_OK
        if p1 == 0x00 and data in (b"", b"\x3f\x00"):
            self.applet = False
            self.current = None
            return b"", SW_OK
        fid = int.from_bytes(data, "big") if len(data) == 2 else -1
        if fid == CARD_ACCESS or not self.applet:
            if fid in self.profile.files and fid == CARD_ACCESS:
                self.current = fid
                return b"", SW_OK
            raise _Reject(0x6A82)
        if not secure:
            raise _Reject(0x6982)
        if fid not in self.profile.files:
            raise _Reject(0x6A82)
        self.current = fid
        return b"", SW_OK

    def _read(
        self, ins: int, p1: int, p2: int, data: bytes, le: int | None, secure: bool
    ) -> tuple[bytes, bytes]:
        if ins == 0xB0 and p1 & 0x80:
            fid = 0x0100 | (p1 & 0x1F)
            if fid not in self.profile.files or (not self.applet and fid != CARD_ACCESS):
                raise _Reject(0x6A82)
            self.current = fid
            offset = p2
        elif ins == 0xB0:
            offset = p1 << 8 | p2
        else:
            tags = dict(objects(data))
            if 0x54 not in tags:
                raise _Reject(0x6A80)
            offset = int.from_bytes(tags[0x54], "big")
        if self.current is None:
            raise _Reject(0x6986)
        if self.current != CARD_ACCESS and not secure:
            raise _Reject(0x6982)
        content = self.profile.files[self.current]
        if offset > len(content):
            raise _Reject(0x6B00)
        size = le if le is not None else 256
        if ins == 0xB1:
            size = max(0, size - 4)
        chunk = content[offset : offset + size]
        if ins == 0xB1:
            chunk = do(0x53, chunk)
        return chunk, (SW_OK if len(chunk) == size or ins == 0xB1 else b"\x62\x82")

    # -- BAC ----------------------------------------------------------------------------
    def _bac(self, data: bytes) -> tuple[bytes, bytes]:
        if not self.profile.bac or self.rnd_ic is None or len(data) != 40:
            raise _Reject(0x6985)
        tdes = SymmetricKind("3DES", 16)
        seed = hashlib.sha1(self.profile.mrz_password).digest()[:16]
        k_enc, k_mac = tdes.derive(seed, 1), tdes.derive(seed, 2)
        if tdes.mac(k_mac, data[:32]) != data[32:]:
            raise _Reject(0x6300)
        plain = tdes.decrypt(k_enc, data[:32])
        rnd_ifd, rnd_ic, k_ifd = plain[:8], plain[8:16], plain[16:]
        if rnd_ic != self.rnd_ic:
            raise _Reject(0x6300)
        k_ic = os.urandom(16)
        encrypted = tdes.encrypt(k_enc, rnd_ic + rnd_ifd + k_ic)
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
        ssc = int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big")
        self.session = _Session(tdes, tdes.derive(seed, 1), tdes.derive(seed, 2), ssc)
        return encrypted + tdes.mac(k_mac, encrypted), SW_OK

    # -- PACE ---------------------------------------------------------------------------
    def _mse(self, p1: int, p2: int, data: bytes, secure: bool) -> tuple[bytes, bytes]:
        tags = dict(objects(data))
        if (p1, p2) == (0xC1, 0xA4) and not secure:
            pace = self.profile.pace
            if pace is None or tags.get(0x80) != pace.oid:
                raise _Reject(0x6A80)
            reference = tags.get(0x83, b"")
            if reference == b"\x01":
                secret = hashlib.sha1(self.profile.mrz_password).digest()
            elif reference == b"\x02" and self.profile.can is not None:
                secret = self.profile.can
            else:
                raise _Reject(0x6A88)
            self.pace_state = {"step": 1, "secret": secret}
            return b"", SW_OK
        if secure and (p1, p2) in ((0x41, 0xA4), (0x41, 0xA6)):
            return self._ca_mse(p2, tags)
        raise _Reject(0x6A86)

    def _pace_step(self, cla: int, data: bytes) -> tuple[bytes, bytes]:
        pace, state = self.profile.pace, self.pace_state
        if pace is None or not state:
            raise _Reject(0x6985)
        outer = dict(objects(data))
        if 0x7C not in outer:
            raise _Reject(0x6A80)
        inner = dict(objects(outer[0x7C]))
        step = state["step"]
        domain, cipher = pace.domain, pace.cipher
        g = (domain.gx, domain.gy)
        try:
            if step == 1 and not inner:
                state["s"] = os.urandom(cipher.block)
                k_pi = cipher.derive(state["secret"], 3)
                answer = do(0x80, cipher.encrypt(k_pi, state["s"]))
            elif step == 2 and 0x81 in inner:
                terminal = domain.point_from(inner[0x81])
                own = domain.secret()
                h = domain.times(own, terminal)
                mapped = domain.add(domain.times(int.from_bytes(state["s"], "big"), g), h)
                state["g"] = mapped
                answer = do(0x82, domain.point_bytes(domain.times(own, g)))
            elif step == 3 and 0x83 in inner:
                terminal_raw = inner[0x83]
                terminal = domain.point_from(terminal_raw)
                own = domain.secret()
                own_raw = domain.point_bytes(domain.times(own, state["g"]))
                shared = domain.times(own, terminal)
                assert shared is not None
                seed = shared[0].to_bytes(domain.size, "big")
                state.update(terminal=terminal_raw, own=own_raw, seed=seed)
                answer = do(0x84, own_raw)
            elif step == 4 and 0x85 in inner and cla & 0x10 == 0:
                k_enc, k_mac = cipher.derive(state["seed"], 1), cipher.derive(state["seed"], 2)
                expected = self._token(cipher, k_mac, pace.oid, state["own"])
                if inner[0x85] != expected:
                    self.pace_state = {}
                    raise _Reject(0x6300)
                answer = do(0x86, self._token(cipher, k_mac, pace.oid, state["terminal"]))
                self.pace_state = {}
                self.session = _Session(cipher, k_enc, k_mac, 0)
                return do(0x7C, answer), SW_OK
            else:
                self.pace_state = {}
                raise _Reject(0x6985)
        except ValueError:
            self.pace_state = {}
            raise _Reject(0x6A80) from None
        state["step"] = step + 1
        return do(0x7C, answer), SW_OK

    @staticmethod
    def _token(cipher: SymmetricKind, k_mac: bytes, oid: bytes, point: bytes) -> bytes:
        data = do(0x7F49, do(0x06, oid) + do(0x86, point))
        return cipher.mac(k_mac, data)

    # -- chip and active authentication -------------------------------------------------
    def _ca_mse(self, p2: int, tags: dict[int, bytes]) -> tuple[bytes, bytes]:
        ca = self.profile.chip_auth
        if ca is None:
            raise _Reject(0x6A80)
        if p2 == 0xA4:
            if tags.get(0x80) != ca.oid:
                raise _Reject(0x6A80)
            self.pace_state = {"ca": True}
            return b"", SW_OK
        return self._ca_agree(tags.get(0x91, b""))

    def _ca_general_authenticate(self, data: bytes) -> tuple[bytes, bytes]:
        if not self.pace_state.get("ca"):
            raise _Reject(0x6985)
        outer = dict(objects(data))
        inner = dict(objects(outer.get(0x7C, b"")))
        self._ca_agree(inner.get(0x80, b""))
        return do(0x7C, b""), SW_OK

    def _ca_agree(self, public: bytes) -> tuple[bytes, bytes]:
        ca = self.profile.chip_auth
        assert ca is not None
        try:
            point = ca.domain.point_from(public)
        except ValueError:
            raise _Reject(0x6A80) from None
        shared = ca.domain.times(ca.private_key, point)
        assert shared is not None
        seed = shared[0].to_bytes(ca.domain.size, "big")
        # The answer still goes out under the old keys; the new ones start after it.
        self.pending_ca = _Session(
            ca.cipher, ca.cipher.derive(seed, 1), ca.cipher.derive(seed, 2), 0
        )
        self.pace_state = {}
        return b"", SW_OK

    def _internal_authenticate(self, challenge: bytes) -> tuple[bytes, bytes]:
        key = self.profile.active_auth_key
        if key is None or len(challenge) != 8:
            raise _Reject(0x6985 if key is None else 0x6700)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = utils.decode_dss_signature(key.sign(challenge, ec.ECDSA(hashes.SHA256())))
            size = (key.curve.key_size + 7) // 8
            return r.to_bytes(size, "big") + s.to_bytes(size, "big"), SW_OK
        if isinstance(key, rsa.RSAPrivateKey):
            numbers = key.private_numbers()
            n = numbers.public_numbers.n
            size = (n.bit_length() + 7) // 8
            m1 = os.urandom(size - 22)
            representative = b"\x6a" + m1 + hashlib.sha1(m1 + challenge).digest() + b"\xbc"
            signature = pow(int.from_bytes(representative, "big"), numbers.d, n)
            return signature.to_bytes(size, "big"), SW_OK
        raise _Reject(0x6985)
