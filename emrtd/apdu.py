"""ISO 7816-4 command and response APDUs, short and extended length."""

from __future__ import annotations

from dataclasses import dataclass

from emrtd import CardError, MalformedData

SW_OK = 0x9000


@dataclass(frozen=True)
class Command:
    """A command APDU; `le` None means no response data expected, 0 means 'as much as fits'."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    @property
    def extended(self) -> bool:
        return len(self.data) > 255 or (self.le is not None and self.le > 256)

    def encode(self, *, extended: bool | None = None) -> bytes:
        """Case 1-4 encoding; extended length when the sizes need it (or when asked)."""
        ext = self.extended if extended is None else extended
        if len(self.data) > 65535 or (self.le is not None and self.le > 65536):
            raise ValueError("APDU too long even for extended length")
        header = bytes((self.cla, self.ins, self.p1, self.p2))
        body = b""
        if self.data:
            if ext:
                body += b"\x00" + len(self.data).to_bytes(2, "big")
            else:
                body += bytes((len(self.data),))
            body += self.data
        if self.le is not None:
            if ext:
                le = 0 if self.le == 65536 else self.le
                body += (b"" if self.data else b"\x00") + le.to_bytes(2, "big")
            else:
                body += bytes((0 if self.le == 256 else self.le,))
        return header + body


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @classmethod
    def decode(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise MalformedData(f"response APDU of {len(raw)} bytes has no status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def check(self, what: str) -> bytes:
        """The data if the status word says success (9000, or 6282 short read)."""
        if self.sw not in (SW_OK, 0x6282):
            raise CardError(what, self.sw)
        return self.data


def parse_command(raw: bytes) -> Command:
    """Decode a command APDU (the emulators' and the tests' view of the wire)."""
    if len(raw) < 4:
        raise MalformedData("command APDU shorter than its header")
    cla, ins, p1, p2 = raw[:4]
    body = raw[4:]
    if not body:
        return Command(cla, ins, p1, p2)
    if len(body) == 1:
        return Command(cla, ins, p1, p2, le=body[0] or 256)
    if body[0] != 0:
        lc = body[0]
        data = body[1 : 1 + lc]
        if len(data) != lc:
            raise MalformedData("command APDU shorter than its Lc")
        rest = body[1 + lc :]
        if len(rest) > 1:
            raise MalformedData("command APDU longer than its Lc and Le")
        return Command(cla, ins, p1, p2, data, (rest[0] or 256) if rest else None)
    if len(body) == 3:
        return Command(cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or 65536)
    lc = int.from_bytes(body[1:3], "big")
    data = body[3 : 3 + lc]
    if len(data) != lc:
        raise MalformedData("extended command APDU shorter than its Lc")
    rest = body[3 + lc :]
    if rest and len(rest) != 2:
        raise MalformedData("extended command APDU has a malformed Le")
    le = (int.from_bytes(rest, "big") or 65536) if rest else None
    return Command(cla, ins, p1, p2, data, le)
