"""A ZhianTec fingerprint module on a pty, speaking the EF01 packet protocol byte for byte.

The caller places and lifts finger images; faults (noise, drop, stall, bad checksum,
disconnect) are armed for the next answer.
"""

from __future__ import annotations

import random
import struct
import threading
import time

import numpy as np

from drivers import ProtocolError
from drivers import zhiantec_protocol as zp
from drivers.sim.pty import PtyPeer


class ZhianTecEmulator(PtyPeer):
    """An R503-like module: 57600 baud, password 0, packets of 128 bytes, LED control."""

    def __init__(
        self,
        *,
        baudrate: int = 57600,
        password: int = 0,
        packet_size: int = 128,
        pace: bool = False,
        led: bool = True,
    ) -> None:
        super().__init__(baudrate=baudrate, pace=pace, name="ttyFP")
        self.password = password
        self.packet_size = packet_size
        self.has_led = led
        self.led_state: tuple[int, int] | None = None
        self.finger: np.ndarray | None = None
        self.commands: list[int] = []
        self._reader = zp.PacketReader()
        self._faults: list[str] = []
        self._fault_lock = threading.Lock()
        self._rng = random.Random(7)
        self.stall_seconds = 3.0

    # -- what the caller controls ---------------------------------------------------------
    def place_finger(self, image: np.ndarray) -> None:
        self.finger = image

    def lift_finger(self) -> None:
        self.finger = None

    def inject(self, fault: str) -> None:
        """Arm a fault for the next answer: noise, drop, stall, bad-checksum, disconnect."""
        if fault not in ("noise", "drop", "stall", "bad-checksum", "disconnect"):
            raise ValueError(f"unknown fault {fault!r}")
        with self._fault_lock:
            self._faults.append(fault)

    def _take_fault(self) -> str | None:
        with self._fault_lock:
            return self._faults.pop(0) if self._faults else None

    # -- wire -----------------------------------------------------------------------------
    def handle(self, data: bytes) -> None:
        if not self.baud_matches():
            # A UART at the wrong rate sees framing errors: answer garbage, like real ones.
            self.write(bytes(self._rng.randrange(256) for _ in range(len(data) // 2 + 1)))
            return
        self._reader.feed(data)
        while True:
            try:
                packet = self._reader.next()
            except ProtocolError:
                self._answer(0x01)
                continue
            if packet is None:
                return
            if packet.pid == zp.PID_COMMAND and packet.payload:
                self._command(packet.payload[0], packet.payload[1:])

    def _send(self, pid: int, payload: bytes, fault: str | None) -> None:
        frame = zp.encode(pid, payload)
        if fault == "bad-checksum":
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        if fault == "noise":
            frame = bytes(self._rng.randrange(256) for _ in range(12)).replace(b"\xef", b"") + frame
        self.write(frame)

    def _answer(self, status: int, data: bytes = b"", fault: str | None = None) -> None:
        self._send(zp.PID_ACK, bytes([status]) + data, fault)

    def _command(self, code: int, args: bytes) -> None:
        self.commands.append(code)
        fault = self._take_fault()
        if fault == "drop":
            return
        if fault == "disconnect":
            threading.Thread(target=self._replug, daemon=True).start()
            return
        if code == zp.CMD_VFYPWD:
            ok = len(args) == 4 and struct.unpack(">I", args)[0] == self.password
            self._answer(0 if ok else 0x13, fault=fault)
        elif code == zp.CMD_READSYSPARA:
            params = zp.SystemParameters(
                0, 0x0009, 200, 3, zp.DEFAULT_ADDRESS, self.packet_size, self.baudrate
            )
            self._answer(0, params.pack(), fault)
        elif code == zp.CMD_WRITEREG:
            self._write_reg(args, fault)
        elif code == zp.CMD_GENIMG:
            self._answer(0 if self.finger is not None else 0x02, fault=fault)
        elif code == zp.CMD_UPIMAGE:
            self._upload(fault)
        elif code == zp.CMD_AURALED and self.has_led and len(args) == 4:
            self.led_state = (args[0], args[2])
            self._answer(0, fault=fault)
        else:
            self._answer(0x19 if code == zp.CMD_AURALED else 0x01, fault=fault)

    def _write_reg(self, args: bytes, fault: str | None) -> None:
        if len(args) != 2:
            self._answer(0x01, fault=fault)
            return
        register, value = args
        if register == zp.REG_BAUD and 1 <= value <= 12:
            self._answer(0, fault=fault)
            time.sleep(0.005)
            self.baudrate = value * 9600
        elif register == zp.REG_PACKET_SIZE and value <= 3:
            self._answer(0, fault=fault)
            self.packet_size = zp.PACKET_SIZES[value]
        else:
            self._answer(0x1A, fault=fault)

    def _upload(self, fault: str | None) -> None:
        if self.finger is None:
            self._answer(0x0F)
            return
        self._answer(0)
        data = zp.pack_image(self.finger)
        size = self.packet_size
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        stream = bytearray()
        for index, chunk in enumerate(chunks):
            pid = zp.PID_END if index == len(chunks) - 1 else zp.PID_DATA
            stream += zp.encode(pid, chunk)
        if fault == "stall":
            self.write(bytes(stream[: len(stream) // 2]))
            time.sleep(self.stall_seconds)
            return
        if fault == "bad-checksum":
            frame_length = len(zp.encode(zp.PID_DATA, chunks[0]))
            stream[(len(chunks) // 2) * frame_length + 20] ^= 0xFF
        if fault == "noise":
            middle = len(stream) // 3
            stream[middle:middle] = bytes(range(1, 40))
        self.write(bytes(stream))

    def _replug(self) -> None:
        self.unplug()
        time.sleep(0.3)
        self.plug()
        self._reader = zp.PacketReader()
