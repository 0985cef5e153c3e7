"""Secure messaging (ICAO 9303-11 §9.8): protected command and response APDUs, the SSC.

`SecureChannel` wraps a `transceive` callable: commands go out with DO'87' (encrypted data,
padding indicator 01), DO'97' (Le) and DO'8E' (MAC over the send sequence counter and the
padded header and objects); responses are checked MAC first, then decrypted.
"""

from __future__ import annotations

from collections.abc import Callable

from emrtd import MalformedData, SecureMessagingError, tlv
from emrtd.apdu import Command, Response
from emrtd.crypto import Suite, pad, unpad

Transceive = Callable[[bytes], bytes]


class SecureChannel:
    """Session keys and the send sequence counter of one SM session."""

    def __init__(self, suite: Suite, k_enc: bytes, k_mac: bytes, ssc: int = 0) -> None:
        self.suite = suite
        self.k_enc = k_enc
        self.k_mac = k_mac
        self.ssc = ssc

    def _ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.suite.block, "big")

    def _iv(self) -> bytes:
        if self.suite.name == "3DES":
            return b"\x00" * 8
        return self.suite.ecb_encrypt(self.k_enc, self._ssc_bytes())

    def wrap(self, command: Command) -> bytes:
        """The protected APDU for `command` (increments the SSC)."""
        block = self.suite.block
        self.ssc += 1
        cla = command.cla | 0x0C
        header = bytes((cla, command.ins, command.p1, command.p2))
        objects = b""
        if command.data:
            encrypted = self.suite.encrypt(self.k_enc, pad(command.data, block), self._iv())
            # An odd INS (READ BINARY B1) carries BER-TLV data: DO'85', no padding indicator.
            if command.ins & 1:
                objects += tlv.encode(0x85, encrypted)
            else:
                objects += tlv.encode(0x87, b"\x01" + encrypted)
        extended = command.le is not None and command.le > 256
        if command.le is not None:
            le = command.le
            if extended:
                le_bytes = (0 if le == 65536 else le).to_bytes(2, "big")
            else:
                le_bytes = bytes((0 if le == 256 else le,))
            objects += tlv.encode(0x97, le_bytes)
        mac_data = self._ssc_bytes() + pad(header, block) + objects
        mac = self.suite.mac(self.k_mac, pad(mac_data, block))
        objects += tlv.encode(0x8E, mac)
        protected = Command(
            cla, command.ins, command.p1, command.p2, objects, 256 if not extended else 65536
        )
        return protected.encode(extended=extended or len(objects) > 255)

    def unwrap(self, raw: bytes) -> Response:
        """Check and open a protected response (increments the SSC)."""
        self.ssc += 1
        response = Response.decode(raw)
        if not response.data:
            # Errors such as 6982 may come back unprotected (the session is then over); a
            # success never may: a plain 9000 here could be anyone's.
            if response.sw == 0x9000:
                raise SecureMessagingError("the chip answered without secure messaging")
            return response
        try:
            objects = {obj.tag: obj for obj in tlv.iter_tlv(response.data)}
        except MalformedData as exc:
            raise SecureMessagingError(f"protected response is not TLV: {exc}") from None
        if 0x8E not in objects or 0x99 not in objects:
            raise SecureMessagingError("protected response lacks its MAC or status object")
        covered = b""
        for obj in tlv.iter_tlv(response.data):
            if obj.tag in (0x87, 0x85, 0x99):
                covered += tlv.encode(obj.tag, obj.value)
        block = self.suite.block
        expected = self.suite.mac(self.k_mac, pad(self._ssc_bytes() + covered, block))
        if expected != objects[0x8E].value:
            raise SecureMessagingError("response MAC does not match: the session is broken")
        data = b""
        if 0x87 in objects or 0x85 in objects:
            if 0x87 in objects:
                value = objects[0x87].value
                if not value or value[0] != 1:
                    raise SecureMessagingError("DO'87' has a bad padding indicator")
                value = value[1:]
            else:
                value = objects[0x85].value
            if not value or len(value) % block:
                raise SecureMessagingError("encrypted response data has a bad length")
            try:
                data = unpad(self.suite.decrypt(self.k_enc, value, self._iv()))
            except ValueError:
                raise SecureMessagingError("response data has bad padding") from None
        sw_obj = objects[0x99].value
        if len(sw_obj) != 2:
            raise SecureMessagingError("DO'99' is not a status word")
        return Response(data, int.from_bytes(sw_obj, "big"))

    def send(self, transceive: Transceive, command: Command) -> Response:
        return self.unwrap(transceive(self.wrap(command)))
