"""The kiosk side of updates: refresh the TUF metadata, then bring the store to the
repository's latest list by deltas when they chain from the version held, else by the full
list.

Everything python-tuf refuses (a bad signature, a metadata version older than one already
seen, an expired timestamp, a file whose hash or length differs from the signed one) and
everything this module refuses (a list older than the one in use, a delta that does not
start at it) raises `UpdateError` with one line; the store keeps the list it had and
records the attempt, so `status` shows how long the list has gone without an update.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata
from tuf.ngclient import FetcherInterface, Updater, UpdaterConfig

from alerts.entries import read_csv
from alerts.errors import AlertsError, UpdateError
from alerts.publish import INDEX
from alerts.store import Store, iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    version: int
    previous: int | None
    how: str  # "current", "delta", "full"
    entries: int
    changes: int

    def line(self) -> str:
        if self.how == "current":
            return f"alert list version {self.version} is current ({self.entries} entries)"
        if self.how == "delta":
            return (
                f"alert list updated {self.previous} -> {self.version} by deltas "
                f"({self.changes} changes, {self.entries} entries)"
            )
        return f"alert list version {self.version} loaded in full ({self.entries} entries)"


_REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (tuf_errors.ExpiredMetadataError, "refused: the repository's signed metadata has expired "
     "(a frozen or replayed list?)"),
    (tuf_errors.BadVersionNumberError, "refused: the repository offers older metadata than "
     "the kiosk has seen (a rollback?)"),
    (tuf_errors.EqualVersionNumberError, "refused: the repository changed metadata without "
     "a new version (a rollback?)"),
    (tuf_errors.UnsignedMetadataError, "refused: metadata not signed by the trusted keys "
     "(tampered?)"),
    (tuf_errors.LengthOrHashMismatchError, "refused: a file differs from its signed hash or "
     "length (tampered?)"),
    (tuf_errors.DownloadLengthMismatchError, "refused: a file is longer than signed "
     "(tampered?)"),
    (tuf_errors.RepositoryError, "refused: the repository's metadata is inconsistent"),
    (tuf_errors.DownloadError, "the repository cannot be reached"),
)  # fmt: skip


def _explain(exc: Exception) -> str:
    for kind, text in _REFUSALS:
        if isinstance(exc, kind):
            detail = " ".join(str(exc).split())
            return f"{text}: {detail}" if detail else text
    return f"{type(exc).__name__}: {exc}"


def _text(path: Path) -> IO[str]:
    """A gzipped CSV target as a text stream (never the whole list in memory)."""
    return gzip.open(path, "rt", encoding="utf-8", newline="")


class Client:
    """Updates one store from one repository, trusting `root` (a root.json copied to the
    kiosk when it was provisioned) until the repository rotates it by signed metadata."""

    def __init__(
        self,
        store: Store,
        url: str,
        root: Path,
        state_dir: Path,
        fetcher: FetcherInterface,
    ) -> None:
        self.store = store
        self.url = url.rstrip("/") + "/"
        self.root = Path(root)
        self.meta_dir = Path(state_dir) / "tuf"
        self.fetcher = fetcher

    def _updater(self, targets_dir: Path) -> Updater:
        self.meta_dir.mkdir(parents=True, exist_ok=True)
        bootstrap = None
        if not (self.meta_dir / "root.json").exists():
            try:
                bootstrap = self.root.read_bytes()
            except OSError as exc:
                raise UpdateError(
                    f"{self.root}: the trusted root of the alert repository is missing: {exc}"
                ) from None
        return Updater(
            str(self.meta_dir),
            self.url + "metadata/",
            str(targets_dir),
            self.url + "targets/",
            fetcher=self.fetcher,
            config=UpdaterConfig(targets_max_length=2_000_000_000),
            bootstrap=bootstrap,
        )

    def sync(self) -> SyncResult:
        """One update. Raises UpdateError (the store unchanged) when anything is refused."""
        attempt = iso(dt.datetime.now(dt.UTC))
        try:
            result = self._sync()
        except UpdateError as exc:
            self.store.set_meta(last_attempt=attempt, last_error=str(exc))
            raise
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as exc:
            message = _explain(exc)
            self.store.set_meta(last_attempt=attempt, last_error=message)
            raise UpdateError(message) from None
        except AlertsError as exc:
            message = f"refused: {exc}"
            self.store.set_meta(last_attempt=attempt, last_error=message)
            raise UpdateError(message) from None
        self.store.set_meta(last_attempt=attempt, last_sync=attempt, last_error=None)
        return result

    def _sync(self) -> SyncResult:
        self.store.path.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="alerts-", dir=self.store.path.parent))
        try:
            updater = self._updater(work)
            updater.refresh()
            expires = self._expires()
            index = json.loads(self._download(updater, INDEX, work).read_bytes())
            version = int(index["version"])
            current = self.store.version
            meta: dict[str, str | int | None] = {
                "version": version,
                "signed_at": index.get("published"),
                "expires": expires,
                "url": self.url,
            }
            if current is not None and version < current:
                raise UpdateError(
                    f"refused: the repository offers list version {version}, older than the "
                    f"{current} in use (a rollback?)"
                )
            if current == version:
                self.store.set_meta(expires=expires)
                return SyncResult(version, current, "current", self.store.count(), 0)
            chain = self._delta_chain(index, current, version)
            if chain is not None and current is not None:
                changes = 0
                base = current
                for step, name in chain:
                    with _text(self._download(updater, name, work)) as stream:
                        rows = list(read_csv(stream, name, ops=True))
                    step_meta = dict(meta, version=step) if step != version else meta
                    self.store.apply_delta(rows, base, step_meta)
                    changes += len(rows)
                    base = step
                return SyncResult(version, current, "delta", self.store.count(), changes)
            with _text(self._download(updater, index["full"], work)) as stream:
                listed = read_csv(stream, index["full"], unique=False)
                count = self.store.replace((e for _, e in listed), meta)
            return SyncResult(version, current, "full", count, count)
        except (KeyError, ValueError, TypeError, OSError, EOFError) as exc:
            if isinstance(exc, tuf_errors.RepositoryError):
                raise
            raise UpdateError(f"refused: the repository's list is malformed: {exc}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def _delta_chain(
        index: dict[str, Any], current: int | None, version: int
    ) -> list[tuple[int, str]] | None:
        if current is None:
            return None
        deltas = index.get("deltas", {})
        chain = []
        for base in range(current, version):
            name = deltas.get(str(base))
            if name is None:
                return None
            chain.append((base + 1, name))
        return chain

    @staticmethod
    def _download(updater: Updater, name: str, work: Path) -> Path:
        """A target, verified against its signed length and hash."""
        info = updater.get_targetinfo(name)
        if info is None:
            raise UpdateError(f"refused: the signed targets do not list {name}")
        return Path(updater.download_target(info, str(work / name.replace("/", "_"))))

    def _expires(self) -> str:
        """When the verified metadata runs out: the earliest of timestamp, snapshot and
        targets (after that the list counts as stale until an update succeeds)."""
        moments = []
        for role in ("timestamp", "snapshot", "targets"):
            md = Metadata.from_file(str(self.meta_dir / f"{role}.json"))
            moments.append(md.signed.expires)
        return iso(min(moments))
