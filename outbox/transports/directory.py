"""`dir`: records as files on removable media, for posts with no link at all.

Each record is written to a temporary name, fsync'd, renamed into place, and the
directory fsync'd: a record file either exists whole or not at all, even if the stick is
pulled. File names sort in sequence order: `<kiosk>-<seq:012>-<id>.cose`.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from outbox.errors import TransportError
from outbox.record import fsync_directory
from outbox.store import Pending


def record_filename(kiosk: str, record: Pending) -> str:
    return f"{kiosk}-{record.seq:012d}-{record.record_id.hex()}.cose"


class DirTransport:
    name = "dir"

    def __init__(self, settings: dict[str, Any], kiosk: str) -> None:
        self.path = Path(settings["path"])
        self.kiosk = kiosk

    async def connect(self) -> None:
        if not self.path.is_dir():
            raise TransportError(f"{self.path} is not a mounted directory")

    async def send(self, batch: list[Pending]) -> set[bytes]:
        return await asyncio.to_thread(self._write, batch)

    def _write(self, batch: list[Pending]) -> set[bytes]:
        done: set[bytes] = set()
        try:
            for record in batch:
                final = self.path / record_filename(self.kiosk, record)
                if final.exists() and final.read_bytes() == record.data:
                    done.add(record.record_id)
                    continue
                temporary = final.with_name("." + final.name + ".tmp")
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    os.write(fd, record.data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(temporary, final)
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
