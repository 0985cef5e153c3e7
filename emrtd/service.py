"""The card service: plain or protected APDUs, selecting the eMRTD application and files,
chunked READ BINARY of whole files.

All APDU traffic of a read goes through `PassportService.raw`, which also counts round trips
and the time spent waiting for the card (the bench separates protocol CPU from card time).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from emrtd import CardRemoved, MalformedData, tlv
from emrtd.apdu import Command, Response
from emrtd.lds import EF_CARD_ACCESS, FileRef
from emrtd.sm import SecureChannel

Transceive = Callable[[bytes], bytes]

EMRTD_AID = bytes.fromhex("A0000002471001")
#: Largest READ BINARY under SM with short APDUs: 223 bytes pad to 224, DO'87' fits 256.
SHORT_CHUNK = 0xDF
MAX_B0_OFFSET = 0x7FFF


class PassportService:
    def __init__(self, transceive: Transceive, *, chunk: int = SHORT_CHUNK) -> None:
        self._transceive = transceive
        self.chunk = chunk
        self.channel: SecureChannel | None = None
        self.apdus = 0
        self.card_seconds = 0.0

    def raw(self, apdu: bytes) -> bytes:
        """One round trip; a card that went away becomes `CardRemoved`."""
        start = time.perf_counter()
        try:
            answer = self._transceive(apdu)
        except OSError as exc:
            raise CardRemoved(str(exc) or type(exc).__name__) from None
        finally:
            self.card_seconds += time.perf_counter() - start
            self.apdus += 1
        return bytes(answer)

    def send(self, command: Command) -> Response:
        if self.channel is None:
            return Response.decode(self.raw(command.encode()))
        return self.channel.send(self.raw, command)

    # -- files --------------------------------------------------------------------------
    def select_applet(self) -> None:
        self.send(Command(0x00, 0xA4, 0x04, 0x0C, EMRTD_AID)).check("SELECT eMRTD application")

    def read_card_access(self) -> bytes | None:
        """EF.CardAccess from the master file (before any access control); None if absent."""
        first = Response.decode(
            self.raw(Command(0x00, 0xB0, 0x80 | EF_CARD_ACCESS.sfi, 0x00, le=8).encode())
        )
        if first.sw in (0x6A82, 0x6982, 0x6986, 0x6A86, 0x6D00, 0x6E00) or (first.sw >> 8 == 0x6A):
            return None
        head = first.check("READ EF.CardAccess")
        return self._read_rest(head, "EF.CardAccess", plain=True)

    def read_file(self, ref: FileRef) -> bytes:
        """The whole file: SELECT, its first bytes, then exactly the length its TLV says."""
        self.send(Command(0x00, 0xA4, 0x02, 0x0C, ref.fid.to_bytes(2, "big"))).check(
            f"SELECT {ref.name}"
        )
        head = self._read(0, 8, ref.name)
        return self._read_rest(head, ref.name)

    def _read_rest(self, head: bytes, name: str, plain: bool = False) -> bytes:
        total = tlv.total_length(head)
        if total is None:
            raise MalformedData(f"{name}: the file's first bytes are not a TLV header")
        if total > 1 << 20:
            raise MalformedData(f"{name}: the file claims {total} bytes")
        data = bytearray(head[:total])
        while len(data) < total:
            size = min(self.chunk, total - len(data))
            if plain:
                command = Command(0x00, 0xB0, len(data) >> 8, len(data) & 0xFF, le=size)
                part = Response.decode(self.raw(command.encode())).check(f"READ {name}")
            else:
                part = self._read(len(data), size, name)
            if not part:
                raise MalformedData(f"{name}: the chip returned no data at offset {len(data)}")
            data += part
        return bytes(data)

    def _read(self, offset: int, length: int, name: str) -> bytes:
        if offset <= MAX_B0_OFFSET:
            command = Command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length)
            return self.send(command).check(f"READ BINARY {name}")
        # Offsets past 32767: READ BINARY with odd INS, offset in DO'54', data in DO'53'.
        command = Command(
            0x00, 0xB1, 0x00, 0x00, tlv.encode(0x54, offset.to_bytes(3, "big")), le=length + 4
        )
        answer = self.send(command).check(f"READ BINARY {name}")
        return tlv.parse(answer, 0x53, f"{name} (odd READ BINARY)").value
