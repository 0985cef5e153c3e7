"""ZhianTec / Synochip fingerprint modules over UART (R30x, AS608, ZFM-20, R503)."""

from __future__ import annotations

import logging
import struct
import time

import numpy as np
import serial

from drivers import DeviceError, DeviceLost, DeviceTimeout, ProtocolError
from drivers import zhiantec_protocol as zp
from drivers.base import Device, Notifier
from drivers.events import FingerImage, FingerPresence
from drivers.serialport import close_quietly, open_serial

log = logging.getLogger(__name__)

#: Baud rates tried, in order, when the module does not answer at the configured one.
PROBE_BAUDRATES = (57600, 115200, 9600, 19200, 38400)


class ZhianTecError(DeviceError):
    """The module answered with a non-zero confirmation code."""

    def __init__(self, command: str, code: int) -> None:
        self.code = code
        super().__init__(f"{command}: {zp.status_message(code)} (code 0x{code:02x})")


class ZhianTecModule:
    """Synchronous command API over one serial port (used by the device thread and the CLI)."""

    def __init__(
        self,
        path: str,
        *,
        baudrate: int = 57600,
        password: int = 0,
        address: int = zp.DEFAULT_ADDRESS,
        timeout: float = 1.0,
    ) -> None:
        self.path = path
        self.baudrate = baudrate
        self.password = password
        self.address = address
        self.timeout = timeout
        self._port: serial.Serial | None = None
        self._reader = zp.PacketReader()
        self.parameters: zp.SystemParameters | None = None

    # -- connection -----------------------------------------------------------------------
    def open(self, *, switch_to: int | None = 115200, probe: bool = True) -> zp.SystemParameters:
        """Open, find the baud rate, verify the password, read parameters, speed up."""
        rates = [self.baudrate] + [r for r in PROBE_BAUDRATES if r != self.baudrate]
        last: DeviceError | None = None
        for rate in rates if probe else rates[:1]:
            self._open_port(rate)
            try:
                self.verify_password()
                break
            except (DeviceTimeout, ProtocolError) as exc:
                last = exc
                log.info("%s: no answer at %d baud (%s)", self.path, rate, exc)
                self.close()
        else:
            tried = ", ".join(str(r) for r in (rates if probe else rates[:1]))
            raise DeviceTimeout(
                f"{self.path}: no valid answer from a fingerprint module at {tried} baud "
                f"({last}); check power, TX/RX wiring and the baud rate"
            )
        self.parameters = self.read_parameters()
        if switch_to and self.baudrate != switch_to:
            self.set_baudrate(switch_to)
            self.parameters = self.read_parameters()
        return self.parameters

    def _open_port(self, rate: int) -> None:
        self._port = open_serial(self.path, baudrate=rate, timeout=0.05)
        self._port.reset_input_buffer()
        self._reader = zp.PacketReader()
        self.baudrate = rate

    def close(self) -> None:
        close_quietly(self._port)
        self._port = None

    # -- packets --------------------------------------------------------------------------
    def _send(self, pid: int, payload: bytes) -> None:
        if self._port is None:
            raise DeviceLost(f"{self.path} is not open")
        try:
            self._port.write(zp.encode(pid, payload, self.address))
        except (serial.SerialException, OSError) as exc:
            raise DeviceLost(f"{self.path}: port went away ({exc})") from exc

    def _receive(self, timeout: float | None = None) -> zp.Packet:
        if self._port is None:
            raise DeviceLost(f"{self.path} is not open")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            packet = self._reader.next()
            if packet is not None:
                return packet
            if time.monotonic() >= deadline:
                garbage = self._reader.skipped
                hint = f" ({garbage} bytes of garbage: wrong baud rate?)" if garbage else ""
                raise DeviceTimeout(f"{self.path}: the module stopped answering{hint}")
            try:
                data = self._port.read(max(1, self._port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                raise DeviceLost(f"{self.path}: port went away ({exc})") from exc
            self._reader.feed(data)

    def command(self, name: str, code: int, args: bytes = b"", *, check: bool = True) -> bytes:
        """Send a command; return the ack's data after the confirmation code."""
        self._send(zp.PID_COMMAND, bytes([code]) + args)
        packet = self._receive()
        if packet.pid != zp.PID_ACK or not packet.payload:
            raise ProtocolError(f"{name}: expected an acknowledgement, got packet id {packet.pid}")
        status = packet.payload[0]
        if check and status != 0:
            raise ZhianTecError(name, status)
        return packet.payload

    # -- commands -------------------------------------------------------------------------
    def verify_password(self) -> None:
        self.command("VfyPwd", zp.CMD_VFYPWD, struct.pack(">I", self.password))

    def read_parameters(self) -> zp.SystemParameters:
        payload = self.command("ReadSysPara", zp.CMD_READSYSPARA)
        return zp.SystemParameters.parse(payload[1:])

    def set_baudrate(self, rate: int) -> None:
        """WriteReg 4 (N x 9600), then reopen the port at the new rate."""
        if rate % 9600 or not 1 <= rate // 9600 <= 12:
            raise DeviceError(f"unsupported baud rate {rate}: use a multiple of 9600 up to 115200")
        self.command("WriteReg", zp.CMD_WRITEREG, bytes([zp.REG_BAUD, rate // 9600]))
        assert self._port is not None
        self._port.flush()
        time.sleep(0.02)
        self._port.baudrate = rate
        self.baudrate = rate

    def finger_present(self) -> bool:
        """GenImg: True when an image of a finger was taken into the image buffer."""
        payload = self.command("GenImg", zp.CMD_GENIMG, check=False)
        if payload[0] == 0x02:
            return False
        if payload[0] != 0:
            raise ZhianTecError("GenImg", payload[0])
        return True

    def upload_image(self) -> np.ndarray:
        """UpImage: the whole data-packet stream, 4-bit to 8-bit, 288x256."""
        self.command("UpImage", zp.CMD_UPIMAGE)
        data = bytearray()
        while True:
            packet = self._receive()
            if packet.pid not in (zp.PID_DATA, zp.PID_END):
                raise ProtocolError(f"UpImage: unexpected packet id {packet.pid} in the image")
            data += packet.payload
            if len(data) > zp.IMAGE_BYTES:
                raise ProtocolError(f"UpImage: more than {zp.IMAGE_BYTES} image bytes")
            if packet.pid == zp.PID_END:
                if len(data) != zp.IMAGE_BYTES:
                    raise ProtocolError(
                        f"UpImage: {len(data)} of {zp.IMAGE_BYTES} image bytes arrived "
                        "(data packets lost to line noise?)"
                    )
                return zp.unpack_image(data)

    def led(self, control: int, color: int, speed: int = 0x80, count: int = 0) -> None:
        """R503 Aura LED control (other models answer 'undefined' and are left alone)."""
        self.command("AuraLedConfig", zp.CMD_AURALED, bytes([control, speed, color, count]))

    def capture(self, timeout: float, poll: float = 0.05) -> np.ndarray:
        """Wait for a finger (GenImg polling), then upload its image."""
        deadline = time.monotonic() + timeout
        while not self.finger_present():
            if time.monotonic() >= deadline:
                raise DeviceTimeout(f"no finger on {self.path} within {timeout:g} s")
            time.sleep(poll)
        return self.upload_image()


class ZhianTecDevice(Device):
    """Polls for a finger; emits `FingerPresence` and `FingerImage`."""

    driver_name = "zhiantec"

    def __init__(
        self,
        path: str,
        *,
        notifier: Notifier | None = None,
        baudrate: int = 57600,
        password: int = 0,
        poll: float = 0.05,
        switch_to: int | None = 115200,
    ) -> None:
        super().__init__(path, notifier=notifier)
        self.module = ZhianTecModule(path, baudrate=baudrate, password=password)
        self._initial_baud = baudrate
        self._poll = poll
        self._switch_to = switch_to
        self._finger = False

    def _open(self) -> str:
        params = self.module.open(switch_to=self._switch_to)
        self._finger = False
        return (
            f"fingerprint module, {self.module.baudrate} baud, library {params.library_size}, "
            f"packets of {params.packet_size} bytes"
        )

    def _close(self) -> None:
        self.module.close()

    def _step(self) -> None:
        try:
            present = self.module.finger_present()
        except DeviceTimeout as exc:
            raise ProtocolError(str(exc)) from exc
        except ZhianTecError as exc:
            raise ProtocolError(str(exc)) from exc
        if present and not self._finger:
            self._finger = True
            self.emit(FingerPresence(device=self.path, present=True))
            try:
                image = self.module.upload_image()
            except (DeviceTimeout, ZhianTecError) as exc:
                self._finger = False
                raise ProtocolError(str(exc)) from exc
            self.emit(FingerImage(device=self.path, image=image))
        elif not present and self._finger:
            self._finger = False
            self.emit(FingerPresence(device=self.path, present=False))
        time.sleep(self._poll)
