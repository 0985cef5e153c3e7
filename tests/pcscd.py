"""pcscd with vsmartcard's virtual reader (vpcd), run by the tests themselves.

pcscd's socket and pid file sit at a compiled-in path (/run/pcscd); to run a private pcscd
beside any system one, the test pcscd runs in its own mount namespace with a temporary
directory bound over /run/pcscd, and clients reach its socket through PCSCLITE_CSOCK_NAME.
libpcsclite reads that variable once per process, so it is set when this module is
imported (by tests/conftest.py), before any test touches PC/SC: no test ever talks to the
machine's own pcscd.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
RUN_DIR = Path(tempfile.gettempdir()) / f"kiosk-tests-pcscd-{os.getpid()}"
os.environ.setdefault("PCSCLITE_CSOCK_NAME", str(RUN_DIR / "pcscd.comm"))


@dataclass
class Pcscd:
    process: subprocess.Popen[bytes]
    port: int  # vpcd port of "Virtual PCD 00 00"; "00 01" listens on port + 1
    log: Path

    reader = "Virtual PCD 00 00"
    second_reader = "Virtual PCD 00 01"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(Path(os.environ["PCSCLITE_CSOCK_NAME"]).parent, ignore_errors=True)


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            if port >= 65535:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no two consecutive free TCP ports")


def why_not() -> str | None:
    if shutil.which("pcscd") is None and not Path("/usr/sbin/pcscd").exists():
        return "pcscd is not installed (make setup installs Debian's pcscd)"
    if not VPCD_DRIVER.exists():
        return "vsmartcard's vpcd driver is not installed (Debian vsmartcard-vpcd)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is needed to run a private pcscd"
    if os.geteuid() != 0 and not Path("/run/pcscd").is_dir():
        return "a private pcscd needs root, or an existing /run/pcscd to bind over"
    return None


def start_pcscd(conf: Path) -> Pcscd:
    """A private pcscd with the vpcd readers on free ports (see the module docstring)."""
    socket_path = Path(os.environ["PCSCLITE_CSOCK_NAME"])
    run_dir = socket_path.parent
    run_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port_pair()
    (conf / "vpcd").write_text(
        'FRIENDLYNAME "Virtual PCD"\n'
        f"DEVICENAME   /dev/null:0x{port:04X}\n"
        f"LIBPATH      {VPCD_DRIVER}\n"
        f"CHANNELID    0x{port:04X}\n"
    )
    if os.geteuid() == 0:
        Path("/run/pcscd").mkdir(exist_ok=True)
        prefix = ["unshare", "--mount", "--propagation", "private"]
    else:
        prefix = ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"]
    pcscd_bin = shutil.which("pcscd") or "/usr/sbin/pcscd"
    script = f'mount --bind "{run_dir}" /run/pcscd && exec "{pcscd_bin}" -f -c "{conf}"'
    log = conf / "pcscd.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*prefix, "sh", "-c", script], stdout=out, stderr=out)
    server = Pcscd(process, port, log)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pcscd did not start: {log.read_text(errors='replace')[-300:]}")
        if socket_path.exists():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                pass
        time.sleep(0.05)
    else:
        process.terminate()
        raise RuntimeError(f"pcscd started but vpcd is not listening: {log.read_text()[-300:]}")
    return server


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    reason = why_not()
    if reason:
        pytest.skip(reason)
    try:
        server = start_pcscd(tmp_path_factory.mktemp("pcscd-conf"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()
