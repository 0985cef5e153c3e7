"""The ZhianTec / Synochip packet protocol (R30x, AS608, ZFM-20, R503), without I/O.

Packet: header EF 01, 4-byte address, packet id, 2-byte length (payload + 2), payload,
2-byte checksum (sum of id, length bytes and payload, low 16 bits). Big-endian throughout.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from drivers import ProtocolError

HEADER = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF

PID_COMMAND = 0x01
PID_DATA = 0x02
PID_ACK = 0x07
PID_END = 0x08

CMD_GENIMG = 0x01
CMD_UPIMAGE = 0x0A
CMD_WRITEREG = 0x0E
CMD_READSYSPARA = 0x0F
CMD_VFYPWD = 0x13
CMD_AURALED = 0x35

REG_BAUD = 4
REG_SECURITY = 5
REG_PACKET_SIZE = 6

IMAGE_WIDTH = 256
IMAGE_HEIGHT = 288
IMAGE_BYTES = IMAGE_WIDTH * IMAGE_HEIGHT // 2
PACKET_SIZES = (32, 64, 128, 256)

# Aura LED (R503): control codes and colour indexes.
LED_BREATHING, LED_FLASHING, LED_ON, LED_OFF, LED_FADE_IN, LED_FADE_OUT = 1, 2, 3, 4, 5, 6
LED_RED, LED_BLUE, LED_PURPLE = 1, 2, 3

STATUS: dict[int, str] = {
    0x00: "ok",
    0x01: "error receiving the packet",
    0x02: "no finger on the sensor",
    0x03: "failed to enroll the finger image",
    0x06: "finger image too disorderly",
    0x07: "too few feature points in the image",
    0x08: "fingers do not match",
    0x09: "no matching finger found",
    0x0A: "failed to combine the character files",
    0x0B: "template address beyond the library",
    0x0C: "error reading the template, or invalid template",
    0x0D: "error uploading the template",
    0x0E: "module cannot receive the following data packets",
    0x0F: "error uploading the image",
    0x10: "failed to delete the template",
    0x11: "failed to clear the finger library",
    0x13: "wrong module password",
    0x15: "no valid primary image in the buffer",
    0x18: "error writing the flash",
    0x19: "undefined error",
    0x1A: "invalid register number",
    0x1B: "incorrect register configuration",
    0x1C: "wrong notepad page number",
    0x1D: "failed to operate the communication port",
    0x1E: "automatic enrollment failed",
    0x1F: "fingerprint library is full",
    0x20: "wrong module address",
    0x21: "the module password must be verified first",
}


def status_message(code: int) -> str:
    return STATUS.get(code, f"unknown status code 0x{code:02x}")


def checksum(pid: int, length: int, payload: bytes) -> int:
    return (pid + (length >> 8) + (length & 0xFF) + sum(payload)) & 0xFFFF


def encode(pid: int, payload: bytes, address: int = DEFAULT_ADDRESS) -> bytes:
    length = len(payload) + 2
    return (
        HEADER
        + struct.pack(">IBH", address, pid, length)
        + payload
        + struct.pack(">H", checksum(pid, length, payload))
    )


@dataclass(frozen=True)
class Packet:
    pid: int
    payload: bytes
    address: int = DEFAULT_ADDRESS


class PacketReader:
    """Incremental decoder: skips noise before a header, rejects bad checksums."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.skipped = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next(self) -> Packet | None:
        """The next whole packet, None if more bytes are needed; ProtocolError if corrupt."""
        buf = self._buffer
        start = buf.find(HEADER)
        if start < 0:
            keep = 1 if buf.endswith(HEADER[:1]) else 0
            self.skipped += len(buf) - keep
            del buf[: len(buf) - keep]
            return None
        if start:
            self.skipped += start
            del buf[:start]
        if len(buf) < 9:
            return None
        address, pid, length = struct.unpack_from(">IBH", buf, 2)
        if length < 2 or length > 2 + 512:
            del buf[:2]
            raise ProtocolError(f"bad packet length {length}")
        end = 9 + length
        if len(buf) < end:
            return None
        payload = bytes(buf[9 : end - 2])
        (received,) = struct.unpack_from(">H", buf, end - 2)
        del buf[:end]
        expected = checksum(pid, length, payload)
        if received != expected:
            raise ProtocolError(
                f"bad checksum 0x{received:04x} (expected 0x{expected:04x}): line noise? "
                "check the cable and the baud rate"
            )
        return Packet(pid, payload, address)


def unpack_image(data: bytes | bytearray) -> np.ndarray:
    """4-bit pixels, high nibble first, to an 8-bit (0..255) 288x256 image."""
    if len(data) != IMAGE_BYTES:
        raise ProtocolError(f"image has {len(data)} bytes, expected {IMAGE_BYTES}")
    packed = np.frombuffer(bytes(data), dtype=np.uint8)
    pixels = np.empty(packed.size * 2, dtype=np.uint8)
    pixels[0::2] = packed >> 4
    pixels[1::2] = packed & 0x0F
    pixels *= 17
    return pixels.reshape(IMAGE_HEIGHT, IMAGE_WIDTH)


def pack_image(image: np.ndarray) -> bytes:
    """8-bit 288x256 image to the module's 4-bit wire format."""
    if image.shape != (IMAGE_HEIGHT, IMAGE_WIDTH):
        raise ValueError(f"image must be {IMAGE_HEIGHT}x{IMAGE_WIDTH}, got {image.shape}")
    nibbles = (image.astype(np.uint16) * 15 + 127) // 255
    flat = nibbles.astype(np.uint8).reshape(-1)
    return bytes((flat[0::2] << 4) | flat[1::2])


@dataclass(frozen=True)
class SystemParameters:
    """ReadSysPara's answer."""

    status: int
    system_id: int
    library_size: int
    security_level: int
    address: int
    packet_size: int
    baudrate: int

    @classmethod
    def parse(cls, data: bytes) -> SystemParameters:
        if len(data) < 16:
            raise ProtocolError(f"ReadSysPara answer too short ({len(data)} bytes)")
        status, system_id, size, level, address, size_code, baud_n = struct.unpack(
            ">HHHHIHH", data[:16]
        )
        if size_code > 3:
            raise ProtocolError(f"bad packet size code {size_code}")
        return cls(status, system_id, size, level, address, PACKET_SIZES[size_code], baud_n * 9600)

    def pack(self) -> bytes:
        return struct.pack(
            ">HHHHIHH",
            self.status,
            self.system_id,
            self.library_size,
            self.security_level,
            self.address,
            PACKET_SIZES.index(self.packet_size),
            self.baudrate // 9600,
        )
