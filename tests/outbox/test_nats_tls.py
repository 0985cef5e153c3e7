"""NATS with TLS and client certificates, against a real nats-server: the forwarder and
`kiosk verify tls://...` with `ca`, `cert`, `key` and a user and password; a private CA
without `ca`, a client without its certificate and a wrong password are each refused
with one clear line; plain `nats://` works but is warned about.

The CA and certificates are made in the test (`tests.outbox.central.make_pki`)."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from outbox.errors import TransportError
from outbox.forward import Forwarder
from outbox.store import Identity, Outbox
from outbox.transports import open_transport
from tests.outbox.central import Pki, make_pki
from tests.outbox.conftest import Keys
from tests.outbox.test_forward import seal
from tests.servers import NatsServer, free_port

USER, PASSWORD = "kiosk", "s3cret-pass"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def tls_server(tmp_path: Path, pki: Pki, nats_server: NatsServer) -> Iterator[NatsServer]:
    """A second nats-server that requires TLS, a client certificate and a password."""
    conf = tmp_path / "tls.conf"
    conf.write_text(
        "tls {\n"
        f'  cert_file: "{pki.server_cert}"\n  key_file: "{pki.server_key}"\n'
        f'  ca_file: "{pki.ca}"\n  verify: true\n  timeout: 2\n'
        "}\n"
        f'authorization {{ user: "{USER}", password: "{PASSWORD}" }}\n'
    )
    server = NatsServer(free_port(), tmp_path / "js-tls", extra=("-c", str(conf)), scheme="tls")
    server.start()
    yield server
    server.stop()


def settings(server: NatsServer, pki: Pki, **change: object) -> dict[str, object]:
    base: dict[str, object] = {
        "url": f"tls://{USER}:{PASSWORD}@127.0.0.1:{server.port}",
        "stream": "RECORDS",
        "timeout": 2,
        "ca": str(pki.ca),
        "cert": str(pki.client_cert),
        "key": str(pki.client_key),
    }
    base.update(change)
    return {k: v for k, v in base.items() if v is not None}


async def _add_stream(server: NatsServer, pki: Pki) -> None:
    import nats

    context = ssl.create_default_context(cafile=str(pki.ca))
    context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    nc = await nats.connect(
        f"tls://{USER}:{PASSWORD}@127.0.0.1:{server.port}", tls=context, allow_reconnect=False
    )
    await nc.jetstream().add_stream(name="RECORDS", subjects=["border.records.>"])
    await nc.close()


def test_forwarder_and_verify_over_mutual_tls_with_a_password(
    tls_server: NatsServer,
    pki: Pki,
    outbox: Outbox,
    identity: Identity,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asyncio.run(_add_stream(tls_server, pki))
    seal(outbox, identity, 12)
    with caplog.at_level(logging.WARNING):
        transport = open_transport("nats", settings(tls_server, pki), "K-1", "UTO-N1")
    assert not [r for r in caplog.records if "not encrypted" in r.message]
    assert asyncio.run(Forwarder(outbox, transport).run_once()) == 12
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "verify",
         f"tls://{USER}:{PASSWORD}@127.0.0.1:{tls_server.port}/RECORDS",
         "--keys", str(keys.registry), "--central-key", str(keys.central_private),
         "--nats-ca", str(pki.ca), "--nats-cert", str(pki.client_cert),
         "--nats-key", str(pki.client_key), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    [kiosk] = [json.loads(x)["kiosk"] for x in done.stdout.splitlines() if '"kiosk": {' in x]
    assert kiosk["records"] == 12 and kiosk["ok"]
    assert PASSWORD not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ca": None}, "certificate verify failed"),  # the private CA is not trusted
        ({"cert": None, "key": None}, "cannot reach NATS"),  # no client certificate
        ({"url": None}, "cannot reach NATS"),  # no password (default URL, plain)
    ],
    ids=["no-ca", "no-client-certificate", "no-password"],
)
def test_each_missing_piece_is_refused_with_one_line(
    tls_server: NatsServer,
    pki: Pki,
    outbox: Outbox,
    identity: Identity,
    change: dict[str, object],
    expected: str,
) -> None:
    seal(outbox, identity, 2)
    options = settings(tls_server, pki, **change)
    if change.get("url", 1) is None:
        options["url"] = f"tls://127.0.0.1:{tls_server.port}"
    transport = open_transport("nats", options, "K-1", "UTO-N1")
    with pytest.raises(TransportError, match=expected) as caught:
        asyncio.run(Forwarder(outbox, transport).run_once())
    assert "\n" not in str(caught.value) and PASSWORD not in str(caught.value)
    assert outbox.status().pending == 2


def test_verify_refuses_a_wrong_password_in_one_line(
    tls_server: NatsServer, pki: Pki, keys: Keys
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "verify",
         f"tls://{USER}:wrong@127.0.0.1:{tls_server.port}/RECORDS",
         "--keys", str(keys.registry), "--nats-ca", str(pki.ca),
         "--nats-cert", str(pki.client_cert), "--nats-key", str(pki.client_key)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("kiosk: error: cannot reach NATS at tls://127.0.0.1:")
    assert done.stderr.count("\n") == 1 and "wrong" not in done.stderr


def test_plaintext_nats_is_accepted_with_a_warning(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        open_transport("nats", {"url": nats_server.url}, "K-1", "UTO-N1")
    assert any("is not encrypted" in r.message for r in caplog.records)
