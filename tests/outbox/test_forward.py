"""The forwarder against real transports: a directory, an HTTPS server with mutual TLS, a
NATS JetStream server; links that fail, answer 5xx, time out or lose acknowledgements."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from outbox.errors import TransportError
from outbox.forward import Backoff, Forwarder
from outbox.keys import load_central_private
from outbox.store import Identity, Outbox
from outbox.transports import open_transport
from outbox.verify import load_registry, read_sources, verify
from tests.outbox.central import CentralHttps, make_pki
from tests.outbox.conftest import Keys
from tests.servers import NatsServer


def seal(outbox: Outbox, identity: Identity, count: int) -> None:
    outbox.seal_many(identity, [("test", "t", "entry", {"n": n}) for n in range(count)])


def verified_exactly_once(sources: list[tuple[str, bytes]], keys: Keys, count: int) -> None:
    records, kiosks = verify(
        sources, load_registry(keys.registry), load_central_private(keys.central_private)
    )
    assert all(not r.problems for r in records), [r.problems for r in records if r.problems]
    [kiosk] = kiosks
    assert kiosk.ok and kiosk.records == count and kiosk.last_seq == count
    assert kiosk.duplicates == []


# -- dir -----------------------------------------------------------------------------
def test_dir_transport_writes_every_record_once(
    tmp_path: Path, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    seal(outbox, identity, 25)
    forwarder = Forwarder(
        outbox, open_transport("dir", {"path": str(media)}, "K-1", "P"), batch_size=10
    )
    assert asyncio.run(forwarder.run_once()) == 25
    assert outbox.status().pending == 0
    assert not list(media.glob(".*.tmp"))
    verified_exactly_once(list(read_sources([media])), keys, 25)


def test_dir_missing_media_keeps_records_pending(
    tmp_path: Path, outbox: Outbox, identity: Identity
) -> None:
    seal(outbox, identity, 3)
    forwarder = Forwarder(
        outbox, open_transport("dir", {"path": str(tmp_path / "none")}, "K-1", "P")
    )
    with pytest.raises(TransportError, match="is not a mounted directory"):
        asyncio.run(forwarder.run_once())
    assert outbox.status().pending == 3


def test_dir_write_that_never_finishes_ends_at_its_deadline(
    tmp_path: Path, outbox: Outbox, identity: Identity
) -> None:
    """A FIFO where the first record's temporary file goes: opening it for writing blocks
    until a reader comes, as a write to a stick that stopped answering would."""
    import os
    import time

    from outbox.transports.directory import record_filename

    media = tmp_path / "media"
    media.mkdir()
    seal(outbox, identity, 3)
    first = outbox.pending(1)[0]
    fifo = media / ("." + record_filename("K-1", first) + ".tmp")
    os.mkfifo(fifo)
    transport = open_transport("dir", {"path": str(media), "timeout": 0.5}, "K-1", "P")

    async def twice() -> list[str]:
        messages = []
        for _ in range(2):
            start = time.monotonic()
            with pytest.raises(TransportError) as caught:
                await Forwarder(outbox, transport).drain()
            assert time.monotonic() - start < 1.5
            messages.append(str(caught.value))
        return messages

    stuck, busy = asyncio.run(twice())
    assert "did not finish within 0.5 s" in stuck
    assert "has not finished yet" in busy  # no second writer piles onto the stuck one
    assert outbox.status().pending == 3
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the stick answers again
    for _ in range(100):
        if not transport._busy.locked():  # type: ignore[attr-defined]
            break
        time.sleep(0.02)
    os.close(reader)
    fifo.unlink(missing_ok=True)
    assert asyncio.run(Forwarder(outbox, transport).run_once()) == 3


# -- https ---------------------------------------------------------------------------
@pytest.fixture
def central_https(tmp_path: Path, keys: Keys) -> Iterator[CentralHttps]:
    server = CentralHttps(make_pki(tmp_path / "pki"), keys.registry)
    server.start()
    yield server
    server.stop()


def https_settings(server: CentralHttps, **extra: object) -> dict[str, object]:
    pki = server.pki
    settings = {
        "url": server.url,
        "ca": str(pki.ca),
        "cert": str(pki.client_cert),
        "key": str(pki.client_key),
        "timeout": 1,
    }
    return settings | extra


def test_https_batches_with_mutual_tls(
    central_https: CentralHttps, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    seal(outbox, identity, 30)
    transport = open_transport("https", https_settings(central_https), "K-1", "P")
    assert asyncio.run(Forwarder(outbox, transport, batch_size=8).run_once()) == 30
    assert central_https.posts == 4
    verified_exactly_once([("central", d) for d in central_https.stored.values()], keys, 30)


def test_https_refuses_a_client_without_the_right_certificate(
    central_https: CentralHttps, outbox: Outbox, identity: Identity
) -> None:
    seal(outbox, identity, 2)
    pki = central_https.pki
    stranger = https_settings(central_https, cert=str(pki.stranger_cert), key=str(pki.stranger_key))
    with pytest.raises(TransportError):
        asyncio.run(Forwarder(outbox, open_transport("https", stranger, "K-1", "P")).run_once())
    assert outbox.status().pending == 2 and central_https.stored == {}


@pytest.mark.parametrize(("mode", "message"), [("500", "HTTP 500"), ("slow", "timed out")])
def test_https_errors_keep_records_pending(
    central_https: CentralHttps, outbox: Outbox, identity: Identity, mode: str, message: str
) -> None:
    seal(outbox, identity, 4)
    central_https.mode = mode
    transport = open_transport("https", https_settings(central_https), "K-1", "P")
    with pytest.raises(TransportError, match=message):
        asyncio.run(Forwarder(outbox, transport).run_once())
    assert outbox.status().pending == 4


def test_https_partial_acknowledgement_then_retry_is_exactly_once(
    central_https: CentralHttps, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    seal(outbox, identity, 10)
    transport = open_transport("https", https_settings(central_https), "K-1", "P")
    central_https.mode = "half"
    with pytest.raises(TransportError, match="5 of 10 records were not acknowledged"):
        asyncio.run(Forwarder(outbox, transport, batch_size=10).run_once())
    assert outbox.status().pending == 5
    central_https.mode = "ok"
    assert asyncio.run(Forwarder(outbox, transport).run_once()) == 5
    verified_exactly_once([("central", d) for d in central_https.stored.values()], keys, 10)


def test_https_reply_naming_records_not_sent_is_a_protocol_error_nothing_marked(
    central_https: CentralHttps,
    outbox: Outbox,
    identity: Identity,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seal(outbox, identity, 3)
    central_https.mode = "stranger"
    transport = open_transport("https", https_settings(central_https), "K-1", "P")
    with pytest.raises(TransportError, match=r"protocol error: .* acknowledged records that were"):
        asyncio.run(Forwarder(outbox, transport).run_once())
    assert outbox.status().pending == 3  # not even the three it did store
    assert any("protocol error" in r.message for r in caplog.records if r.levelname == "ERROR")


def test_https_carries_a_signed_heartbeat_that_verifies(
    central_https: CentralHttps, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    from outbox.heartbeat import Signer, from_http_header
    from outbox.heartbeat import verify as verify_heartbeat

    seal(outbox, identity, 4)
    signer = Signer("K-1", "UTO-N1", identity.signing_key, identity.kid)
    transport = open_transport("https", https_settings(central_https), "K-1", "P")
    forwarder = Forwarder(outbox, transport, heartbeat=signer)
    assert asyncio.run(forwarder.run_once()) == 4
    registry = load_registry(keys.registry)
    beat = verify_heartbeat(
        from_http_header(central_https.statuses[-1]), lambda k: registry.get(k or b""), "h"
    )
    assert (beat.kiosk, beat.last_seq, beat.pending) == ("K-1", 4, 0)
    assert beat.chain == outbox.head()[1]


def test_https_deadline_ends_a_request_that_never_finishes(
    central_https: CentralHttps, outbox: Outbox, identity: Identity
) -> None:
    """The server takes the request and answers after 3 s; the deadline is 1 s (+ size)."""
    import time

    seal(outbox, identity, 2)
    central_https.mode = "slow"
    transport = open_transport("https", https_settings(central_https), "K-1", "P")
    start = time.monotonic()
    with pytest.raises(TransportError):
        asyncio.run(Forwarder(outbox, transport).run_once())
    assert time.monotonic() - start < 2.5
    assert outbox.status().pending == 2


# -- nats ----------------------------------------------------------------------------
async def _stream_messages(url: str) -> list[bytes]:
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    info = await js.stream_info("RECORDS")
    messages = [
        (await js.get_msg("RECORDS", seq)).data or b""
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
    ]
    await nc.close()
    return messages


async def _add_stream(url: str) -> None:
    import nats

    nc = await nats.connect(url)
    await nc.jetstream().add_stream(name="RECORDS", subjects=["border.records.>"])
    await nc.close()


def nats_settings(server: NatsServer) -> dict[str, object]:
    return {"url": server.url, "stream": "RECORDS", "timeout": 2}


def test_nats_jetstream_publish_with_msg_id_and_puback(
    nats_server: NatsServer, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    asyncio.run(_add_stream(nats_server.url))
    seal(outbox, identity, 50)
    transport = open_transport("nats", nats_settings(nats_server), "K-1", "UTO-N1")
    assert asyncio.run(Forwarder(outbox, transport, batch_size=20).run_once()) == 50
    messages = asyncio.run(_stream_messages(nats_server.url))
    verified_exactly_once([("nats", m) for m in messages], keys, 50)


def test_nats_server_down_then_up_and_lost_acks_are_deduplicated(
    nats_server: NatsServer, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    asyncio.run(_add_stream(nats_server.url))
    seal(outbox, identity, 20)
    transport = open_transport("nats", nats_settings(nats_server), "K-1", "UTO-N1")
    assert asyncio.run(Forwarder(outbox, transport).run_once()) == 20
    # The central side stored these, but the kiosk never heard back (ack lost):
    # mark them pending again, as after a cut just after publish.
    outbox._db.executescript("DELETE FROM delivered; INSERT INTO pending SELECT seq FROM records")
    seal(outbox, identity, 5)
    nats_server.stop()
    with pytest.raises(TransportError, match="cannot reach NATS"):
        asyncio.run(Forwarder(outbox, transport).run_once())
    assert outbox.status().pending == 25
    nats_server.start()
    assert asyncio.run(Forwarder(outbox, transport).run_once()) == 25
    messages = asyncio.run(_stream_messages(nats_server.url))
    verified_exactly_once([("nats", m) for m in messages], keys, 25)  # no duplicates stored


def test_daemon_backs_off_while_the_link_is_down_and_recovers(
    tmp_path: Path, outbox: Outbox, identity: Identity, keys: Keys
) -> None:
    media = tmp_path / "media"
    seal(outbox, identity, 5)
    forwarder = Forwarder(
        outbox,
        open_transport("dir", {"path": str(media)}, "K-1", "P"),
        backoff=Backoff(base=0.05, cap=0.2),
    )

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(forwarder.run(idle_poll=0.05, stop=stop))
        await asyncio.sleep(0.4)
        assert outbox.status().link == "down"
        assert forwarder.progress.errors >= 2  # retried with backoff
        media.mkdir()  # the stick is plugged in
        for _ in range(100):
            if outbox.status().pending == 0:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(scenario())
    assert outbox.status().pending == 0 and outbox.status().link == "up"
    verified_exactly_once(list(read_sources([media])), keys, 5)


def test_backoff_is_full_jitter_and_capped() -> None:
    backoff = Backoff(base=1, cap=8)
    delays = [backoff.next_delay() for _ in range(10)]
    assert all(0 <= d <= 8 for d in delays)
    assert max(delays[5:]) > 1  # the ceiling grew
    backoff.reset()
    assert backoff.next_delay() <= 1
