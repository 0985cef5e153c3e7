"""DigitalPersona U.are.U 4000/4000B/4500: registers, interrupt codes, image layout, de-scrambling.

No I/O here. Register numbers, modes and interrupt codes are public facts about the device.
The image arrives as a 64-byte header then 290 lines of 384 bytes; blocks of lines may be
scrambled with a keystream from a 32-bit LFSR whose start key the device gives on request.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from drivers import ProtocolError

VENDOR_DIGITALPERSONA = 0x05BA
VENDOR_MICROSOFT = 0x045E
#: USB ids this driver speaks to, and the model name shown to technicians.
MODELS: dict[tuple[int, int], str] = {
    (0x05BA, 0x0007): "DigitalPersona U.are.U 4000",
    (0x05BA, 0x000A): "DigitalPersona U.are.U 4000B",
    (0x05BA, 0x000B): "DigitalPersona U.are.U 4500",
}

EP_INTR = 0x81
EP_DATA = 0x82
USB_RQ = 0x04
CTRL_IN = 0xC0
CTRL_OUT = 0x40
IRQ_LENGTH = 64

REG_HWSTAT = 0x07
REG_SCRAMBLE_DATA_INDEX = 0x33
REG_SCRAMBLE_DATA_KEY = 0x34
REG_MODE = 0x4E

MODE_INIT = 0x00
MODE_AWAIT_FINGER_ON = 0x10
MODE_AWAIT_FINGER_OFF = 0x12
MODE_CAPTURE = 0x20
MODE_OFF = 0x70
MODE_READY = 0x80

IRQ_SCANPWR_ON = 0x56AA
IRQ_FINGER_ON = 0x0101
IRQ_FINGER_OFF = 0x0200
IRQ_DEATH = 0x0800

WIDTH = 384
HEIGHT = 290
HEADER_SIZE = 64
IMAGE_SIZE = HEADER_SIZE + WIDTH * HEIGHT

BLOCK_CHANGE_KEY = 0x80
BLOCK_NO_KEY_UPDATE = 0x04
BLOCK_ENCRYPTED = 0x02
BLOCK_NOT_PRESENT = 0x01

#: Feedback taps of the keystream LFSR (bit t of the mask = bit t of the key).
LFSR_TAPS = 0x9248144D
#: Key bits that form the keystream byte, least significant first.
XOR_BITS = (4, 8, 11, 14, 18, 21, 24, 29)


@dataclass(frozen=True)
class ImageHeader:
    num_lines: int
    key_number: int
    blocks: tuple[tuple[int, int], ...]  # (flags, lines)

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> ImageHeader:
        if len(data) < HEADER_SIZE:
            raise ProtocolError(f"image header truncated ({len(data)} bytes)")
        num_lines, key_number = struct.unpack_from("<HB", data, 4)
        blocks = []
        for index in range(15):
            flags, lines = data[16 + 2 * index], data[17 + 2 * index]
            if lines == 0:
                break
            blocks.append((flags, lines))
        if num_lines > HEIGHT:
            raise ProtocolError(f"image header says {num_lines} lines (at most {HEIGHT})")
        if sum(lines for _, lines in blocks) < num_lines:
            raise ProtocolError("image header blocks do not cover the image")
        return cls(num_lines, key_number, tuple(blocks))

    def pack(self) -> bytes:
        out = bytearray(HEADER_SIZE)
        struct.pack_into("<HB", out, 4, self.num_lines, self.key_number)
        for index, (flags, lines) in enumerate(self.blocks[:15]):
            out[16 + 2 * index] = flags
            out[17 + 2 * index] = lines
        return bytes(out)

    @property
    def encrypted(self) -> bool:
        return any(flags & BLOCK_ENCRYPTED for flags, _ in self.blocks)


_TAP_POSITIONS = tuple(t for t in range(32) if LFSR_TAPS >> t & 1)


def lfsr_bits(key: int, count: int) -> np.ndarray:
    """Bits b[0..count+31] with key_n = b[n..n+31]: the LFSR state after n steps.

    b[n+32] = XOR of b[n+t] over the taps. Squaring the feedback polynomial (GF(2)) gives
    b[n+32m] = XOR of b[n+tm] for m a power of two, so blocks of m bits come out at once.
    """
    total = count + 32
    bits = np.zeros(total + 4096 * 32, dtype=np.uint8)
    bits[:32] = [(key >> t) & 1 for t in range(32)]
    # Start one bit at a time, then double the block size as the sequence grows.
    filled = 32
    step = 1
    while filled < total:
        # With spacing `step`, entries [32*step, 33*step) need only earlier entries.
        block = min(step, total - filled) if filled >= 32 * step else 0
        if block == 0:
            # Generate sequentially until 32*step entries exist (cheap: step is small).
            while filled < min(32 * step, total):
                n = filled - 32
                parity = 0
                for t in _TAP_POSITIONS:
                    parity ^= int(bits[n + t])
                bits[filled] = parity
                filled += 1
            continue
        start = filled - 32 * step
        chunk = np.zeros(block, dtype=np.uint8)
        for t in _TAP_POSITIONS:
            chunk ^= bits[start + t * step : start + t * step + block]
        bits[filled : filled + block] = chunk
        filled += block
        if step < 4096 and filled >= 32 * step * 2:
            step *= 2
    return bits[:total]


def keystream(key: int, count: int) -> np.ndarray:
    """The `count` keystream bytes starting from `key` (one LFSR step per byte)."""
    bits = lfsr_bits(key, count)
    out = np.zeros(count, dtype=np.uint8)
    for shift, bit in enumerate(XOR_BITS):
        out |= (bits[bit : bit + count] << shift).astype(np.uint8)
    return out


def descramble(header: ImageHeader, data: bytes | bytearray | memoryview, key: int) -> np.ndarray:
    """The 290x384 image from the scrambled line data (encrypted blocks XOR the keystream).

    A scrambled block is shifted by one byte on the wire: plain[i] = wire[i+1] ^ ks[i].
    Keystream positions run through every block not flagged NO_KEY_UPDATE.
    """
    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    if raw.size < header.num_lines * WIDTH:
        raise ProtocolError(
            f"truncated image: {raw.size} of {header.num_lines * WIDTH} bytes; "
            "the scanner stopped mid-transfer"
        )
    image = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    flat = image.reshape(-1)
    stream_length = sum(
        lines * WIDTH for flags, lines in header.blocks if not flags & BLOCK_NO_KEY_UPDATE
    )
    ks = keystream(key, stream_length) if header.encrypted else None
    line = 0
    position = 0
    for flags, lines in header.blocks:
        lines = min(lines, header.num_lines - line)
        if lines <= 0:
            break
        begin, end = line * WIDTH, (line + lines) * WIDTH
        if flags & BLOCK_NOT_PRESENT:
            pass  # lines the device did not send stay black
        elif flags & BLOCK_ENCRYPTED and ks is not None:
            size = end - begin
            flat[begin : end - 1] = raw[begin + 1 : end] ^ ks[position : position + size - 1]
        else:
            flat[begin:end] = raw[begin:end]
        if not flags & BLOCK_NO_KEY_UPDATE:
            position += end - begin
        line += lines
    return image


def scramble(image: np.ndarray, key: int, blocks: tuple[tuple[int, int], ...]) -> bytes:
    """The inverse of `descramble` (for the emulator): wire bytes of the line data."""
    flat = image.reshape(-1)
    wire = bytearray(flat.tobytes())
    stream_length = sum(lines * WIDTH for flags, lines in blocks if not flags & BLOCK_NO_KEY_UPDATE)
    ks = keystream(key, stream_length)
    line = 0
    position = 0
    for flags, lines in blocks:
        begin, end = line * WIDTH, (line + lines) * WIDTH
        if flags & BLOCK_ENCRYPTED:
            size = end - begin
            block = np.zeros(size, dtype=np.uint8)
            block[1:] = flat[begin : end - 1] ^ ks[position : position + size - 1]
            wire[begin:end] = block.tobytes()
        if not flags & BLOCK_NO_KEY_UPDATE:
            position += end - begin
        line += lines
    return bytes(wire)
