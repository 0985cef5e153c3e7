"""`dir`: records as files on removable media, for posts with no link at all.

Each record is written to a temporary name, fsync'd, renamed into place, and the
directory fsync'd: a record file either exists whole or not at all, even if the stick is
pulled. File names sort in sequence order: `<kiosk>-<seq:012>-<id>.cose`; the heartbeat
is `<kiosk>-status.cose`, replaced the same way.

A write that does not finish within `timeout` seconds (a stick that stopped answering)
ends the batch; the stuck thread is left behind, and no new write starts until it ends.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from outbox.errors import TransportError
from outbox.record import fsync_directory
from outbox.store import Pending
from outbox.transports import run_blocking


def record_filename(kiosk: str, record: Pending) -> str:
    return f"{kiosk}-{record.seq:012d}-{record.record_id.hex()}.cose"


class DirTransport:
    name = "dir"

    def __init__(self, settings: dict[str, Any], kiosk: str) -> None:
        self.path = Path(settings["path"])
        self.kiosk = kiosk
        self.timeout = float(settings.get("timeout", 30))
        self._busy = threading.Lock()  # held by a write in progress, even an abandoned one

    async def connect(self) -> None:
        if not self.path.is_dir():
            raise TransportError(f"{self.path} is not a mounted directory")

    async def send(self, batch: list[Pending]) -> set[bytes]:
        return await self._run(lambda: self._write(batch), f"writing to {self.path}")

    async def send_status(self, data: bytes) -> None:
        await self._run(lambda: self._status(data), f"writing the heartbeat to {self.path}")

    async def _run(self, work: Any, what: str) -> Any:
        if not self._busy.acquire(blocking=False):
            raise TransportError(f"an earlier write to {self.path} has not finished yet")

        def locked() -> Any:
            try:
                return work()
            finally:
                self._busy.release()

        return await run_blocking(locked, self.timeout, what)

    def _write_file(self, final: Path, data: bytes) -> None:
        temporary = final.with_name("." + final.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, final)

    def _status(self, data: bytes) -> None:
        try:
            self._write_file(self.path / f"{self.kiosk}-status.cose", data)
            fsync_directory(self.path)
        except OSError as exc:
            raise TransportError(f"cannot write to {self.path}: {exc.strerror}") from None

    def _write(self, batch: list[Pending]) -> set[bytes]:
        done: set[bytes] = set()
        try:
            for record in batch:
                final = self.path / record_filename(self.kiosk, record)
                if final.exists() and final.read_bytes() == record.data:
                    done.add(record.record_id)
                    continue
                self._write_file(final, record.data)
                done.add(record.record_id)
            fsync_directory(self.path)
        except OSError as exc:
            if not done:
                raise TransportError(f"cannot write to {self.path}: {exc.strerror}") from None
            try:
                fsync_directory(self.path)
            except OSError:
                return set()
        return done

    async def close(self) -> None:
        return None
