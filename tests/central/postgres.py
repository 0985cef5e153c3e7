"""A real PostgreSQL 15 (Debian's `postgresql`) for the central tests: `initdb` into a
temporary directory, `postgres` on a loopback port and a private socket directory, trust
authentication for loopback only.

PostgreSQL refuses to run as root, and CI runs as root: then the server is initialised and
run as `nobody` (uid 65534), in a directory under /tmp that nobody owns (pytest's own
tmp_path lives under a 0700 directory of root's). As any other user it runs as that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port

NOBODY = 65534
SUPERUSER = "central"


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL server binaries directory, if installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _as_server_user() -> dict[str, Any]:
    """subprocess arguments that drop root to nobody; none for any other user."""
    if os.geteuid() != 0:
        return {}
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []}


@dataclass
class Postgres:
    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    databases: int = 0
    # Fast shutdown (SIGINT) checkpoints first; the throw-away server at the end of the
    # session skips that (SIGQUIT, immediate: crash recovery would follow a restart).
    stop_signal: int = signal.SIGINT

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def initdb(self) -> None:
        binaries = postgres_bin()
        assert binaries is not None
        subprocess.run(
            [
                str(binaries / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N",
            ],
            check=True, capture_output=True, cwd=self.directory, **_as_server_user(),
        )  # fmt: skip

    def start(self) -> None:
        binaries = postgres_bin()
        assert binaries is not None
        log = open(self.directory / "postgres.log", "ab")  # noqa: SIM115 - the server's log
        self.process = subprocess.Popen(
            [
                str(binaries / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-k", str(self.directory), "-c", "listen_addresses=127.0.0.1",
                "-c", "max_connections=50", "-c", "shared_buffers=64MB",
            ],
            stdout=log, stderr=log, cwd=self.directory, **_as_server_user(),
        )  # fmt: skip
        log.close()
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    "postgres exited: " + (self.directory / "postgres.log").read_text()[-2000:]
                )
            try:
                psycopg.connect(self.dsn(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def create_database(self) -> str:
        """A fresh, empty database; its connection string."""
        import psycopg

        self.databases += 1
        name = f"central_{self.databases}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.dsn(name)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (make setup installs Debian's postgresql)")
    directory = Path(tempfile.mkdtemp(prefix="central-pg-"))
    if os.geteuid() == 0:
        os.chown(directory, NOBODY, NOBODY)
    server = Postgres(directory, free_port())
    try:
        server.initdb()
        server.start()
        yield server
    finally:
        server.stop_signal = signal.SIGQUIT
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
