"""TUF end to end: publish, then sync over HTTPS with client certificates, a NATS
JetStream object store and a directory; tampered files, rollbacks and expired timestamps
are refused with one line, and the list in use stays."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import shutil
import ssl
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from alerts import Matcher, Store, Traveller, UpdateError
from alerts.fetchers import DirectoryFetcher, HttpsFetcher, NatsFetcher, upload_to_nats
from alerts.update import Client
from tests.alerts.conftest import OTHER, PERSON, STOLEN, Central
from tests.kiosk.test_cli import run_kiosk
from tests.outbox.central import Pki, make_pki
from tests.servers import NatsServer


def client(central: Central, tmp_path: Path, url: str | None = None, fetcher: Any = None) -> Client:
    store = Store(tmp_path / "kiosk" / "alerts.db")
    return Client(
        store,
        url or central.repo.as_uri(),
        central.root,
        tmp_path / "kiosk" / "alerts-tuf",
        fetcher or DirectoryFetcher(),
    )


def stolen_found(store: Store) -> bool:
    hits = Matcher(store).check(Traveller(doc_number="L898902C3", doc_state="UTO", doc_type="P"))
    return bool(hits)


def test_directory_sync_loads_the_full_list_then_deltas(central: Central, tmp_path: Path) -> None:
    central.publish([STOLEN, PERSON])
    kiosk = client(central, tmp_path)
    first = kiosk.sync()
    assert (first.how, first.version, first.entries) == ("full", 1, 2)
    assert stolen_found(kiosk.store)
    assert kiosk.sync().how == "current"

    central.publish([PERSON, OTHER])  # the passport is found again, someone new is listed
    central.publish([PERSON, {**OTHER, "action": "refer"}])
    result = kiosk.sync()
    assert (result.how, result.previous, result.version) == ("delta", 1, 3)
    entries = {e.reference: e for e in kiosk.store.entries()}
    assert set(entries) == {"W-1", "W-2"} and entries["W-2"].action == "refer"
    assert not stolen_found(kiosk.store)
    status = kiosk.store.status(dt.timedelta(hours=36))
    assert status.version == 3 and status.stale is None and status.last_error is None


def test_a_kiosk_without_deltas_from_its_version_loads_the_full_list(
    central: Central, tmp_path: Path
) -> None:
    central.publish([STOLEN])
    kiosk = client(central, tmp_path)
    kiosk.sync()
    kiosk.store.set_meta(version=0)  # as if it held a version no delta starts from
    assert kiosk.sync().how == "full"
    assert kiosk.store.version == 1


def test_a_tampered_list_file_is_refused_and_the_list_kept(
    central: Central, tmp_path: Path
) -> None:
    central.publish([STOLEN])
    kiosk = client(central, tmp_path)
    kiosk.sync()
    central.publish([STOLEN, PERSON])
    for path in (central.repo / "targets" / "lists").glob("*.delta-1-2.csv.gz"):
        path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(UpdateError, match="differs from its signed hash"):
        kiosk.sync()
    assert kiosk.store.version == 1 and stolen_found(kiosk.store)
    assert "tampered" in (kiosk.store.status(dt.timedelta(hours=1)).last_error or "")


def test_tampered_metadata_is_refused(central: Central, tmp_path: Path) -> None:
    central.publish([STOLEN])
    kiosk = client(central, tmp_path)
    kiosk.sync()
    central.publish([STOLEN, PERSON])
    timestamp = central.repo / "metadata" / "timestamp.json"
    data = json.loads(timestamp.read_text())
    data["signed"]["expires"] = "2099-01-01T00:00:00Z"  # a longer life, without the key
    timestamp.write_text(json.dumps(data))
    with pytest.raises(UpdateError, match="not signed by the trusted keys"):
        kiosk.sync()
    assert kiosk.store.version == 1


def test_a_rollback_to_older_metadata_is_refused(central: Central, tmp_path: Path) -> None:
    central.publish([STOLEN])
    old = central.directory / "old-repo"
    shutil.copytree(central.repo, old)
    central.publish([PERSON])
    kiosk = client(central, tmp_path)
    kiosk.sync()
    assert kiosk.store.version == 2
    shutil.rmtree(central.repo)
    shutil.copytree(old, central.repo)  # a mirror replays yesterday's repository
    with pytest.raises(UpdateError, match="rollback"):
        kiosk.sync()
    assert kiosk.store.version == 2 and not stolen_found(kiosk.store)


def test_an_expired_timestamp_is_refused_and_the_list_shows_stale(
    central: Central, tmp_path: Path
) -> None:
    central.publish([STOLEN])
    kiosk = client(central, tmp_path)
    kiosk.sync()
    central.publish([PERSON], timestamp=dt.timedelta(hours=-1))  # a frozen, replayed list
    with pytest.raises(UpdateError, match="expired"):
        kiosk.sync()
    assert kiosk.store.version == 1 and stolen_found(kiosk.store)
    status = kiosk.store.status(
        dt.timedelta(hours=36), now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    )
    assert status.stale and "expired" in status.stale


def test_sync_on_the_command_line_says_one_line_when_refused(
    central: Central, tmp_path: Path
) -> None:
    central.publish([STOLEN])
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[kiosk]\nid = "K-1"\npost = "P-1"\nstate_dir = "{tmp_path / "state"}"\n'
        f'[keys]\ncentral_public_key = "{tmp_path / "c.pub"}"\n'
        f'[forward]\ntransport = "dir"\n[forward.dir]\npath = "{tmp_path / "out"}"\n'
        f'[alerts]\nurl = "{central.repo.as_uri()}"\nroot = "{central.root}"\n'
    )
    ok = run_kiosk("alerts", "sync", "--once", "--config", str(config))
    assert ok.returncode == 0, ok.stderr
    assert "version 1 loaded in full" in ok.stdout
    central.publish([PERSON], timestamp=dt.timedelta(hours=-1))
    refused = run_kiosk("alerts", "sync", "--once", "--config", str(config))
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kiosk: error: refused:"), refused.stderr
    assert "keeping list version 1" in lines[0]
    status = run_kiosk("alerts", "status", "--json", "--config", str(config))
    figures = json.loads(status.stdout)
    assert figures["version"] == 1 and "expired" in figures["last_error"]


# -- HTTPS with client certificates ----------------------------------------------------------
@pytest.fixture
def https_repo(central: Central, tmp_path: Path) -> Iterator[tuple[str, Pki]]:
    pki = make_pki(tmp_path / "pki")
    handler = functools.partial(_QuietHandler, directory=str(central.repo))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.load_verify_locations(pki.ca)
    context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", pki
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def test_https_with_client_certificate_syncs(
    central: Central, tmp_path: Path, https_repo: tuple[str, Pki]
) -> None:
    url, pki = https_repo
    central.publish([STOLEN, PERSON])
    fetcher = HttpsFetcher(str(pki.ca), str(pki.client_cert), str(pki.client_key), timeout=10)
    kiosk = client(central, tmp_path, url, fetcher)
    assert kiosk.sync().version == 1
    central.publish([STOLEN])
    assert kiosk.sync().how == "delta"
    assert kiosk.store.count() == 1


def test_https_without_the_right_certificate_cannot_reach_the_repository(
    central: Central, tmp_path: Path, https_repo: tuple[str, Pki]
) -> None:
    url, pki = https_repo
    central.publish([STOLEN])
    fetcher = HttpsFetcher(str(pki.ca), str(pki.stranger_cert), str(pki.stranger_key), timeout=10)
    kiosk = client(central, tmp_path, url, fetcher)
    with pytest.raises(UpdateError, match="cannot be reached"):
        kiosk.sync()
    assert kiosk.store.version is None


# -- NATS JetStream object store -------------------------------------------------------------
def test_nats_object_store_syncs_and_refuses_a_tampered_object(
    central: Central, tmp_path: Path, nats_server: NatsServer
) -> None:
    url = f"{nats_server.url}/ALERTS"
    central.publish([STOLEN])
    assert asyncio.run(upload_to_nats(central.repo, url)) > 0
    fetcher = NatsFetcher(timeout=10)
    try:
        kiosk = client(central, tmp_path, url, fetcher)
        assert kiosk.sync().how == "full"
        assert stolen_found(kiosk.store)
        central.publish([STOLEN, PERSON])
        asyncio.run(upload_to_nats(central.repo, url))
        assert kiosk.sync().how == "delta"
        central.publish([OTHER])
        for path in (central.repo / "targets" / "lists").glob("*.delta-2-3.csv.gz"):
            path.write_bytes(b"not the signed delta")
        asyncio.run(upload_to_nats(central.repo, url))
        with pytest.raises(UpdateError, match="tampered"):
            kiosk.sync()
        assert kiosk.store.version == 2 and kiosk.store.count() == 2
    finally:
        fetcher.close()


def test_a_missing_bucket_is_one_clear_error(
    central: Central, tmp_path: Path, nats_server: NatsServer
) -> None:
    central.publish([STOLEN])
    fetcher = NatsFetcher(timeout=5)
    try:
        kiosk = client(central, tmp_path, f"{nats_server.url}/NOPE", fetcher)
        with pytest.raises(UpdateError, match="cannot be reached"):
            kiosk.sync()
    finally:
        fetcher.close()


def test_a_reader_keeps_working_across_a_full_load_and_then_sees_the_new_list(
    central: Central, tmp_path: Path
) -> None:
    central.publish([STOLEN])
    kiosk = client(central, tmp_path)
    kiosk.sync()
    reader = Store(kiosk.store.path)  # the lane's own connection, another process in life
    assert stolen_found(reader)
    central.publish([PERSON])
    kiosk.store.set_meta(version=0)  # no delta applies: the next sync loads in full
    assert kiosk.sync().how == "full"
    assert not stolen_found(reader) and reader.version == 2
    assert sorted(p.name for p in kiosk.store.path.parent.iterdir() if "alerts.db" in p.name) == [
        "alerts.db"
    ]
