"""Kiosks publish to their post's leaf node; the hub's R3 stream sources the post's stream
across the leaf connection; `kiosk central intake` stores the hub stream in PostgreSQL.
Real servers, real processes, real faults: the post's uplink cut and restored, a hub node
SIGKILLed mid-flow (the stream's leader), the intake and the leaf SIGKILLed mid-stream.
Afterwards every sealed record is in PostgreSQL exactly once, byte for byte, with every
kiosk's sequence gapless and its chain checked link by link (nothing in quarantine).
`pytest --slow` repeats each fault over several rounds."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from outbox.store import Outbox
from tests.central.conftest import World


def rounds(request: pytest.FixtureRequest) -> int:
    return 4 if request.config.getoption("--slow") else 1


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, world: World) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s\n" + world.logs())
        time.sleep(0.1)


def test_records_sealed_while_the_uplink_is_cut_reach_postgresql_once_it_is_back(
    world: World, request: pytest.FixtureRequest
) -> None:
    kiosks = [world.add_kiosk("K-A"), world.add_kiosk("K-B")]
    for kiosk in kiosks:
        kiosk.start_forwarder()
    world.start_intake()
    total = 0
    for _ in range(rounds(request)):
        for kiosk in kiosks:
            kiosk.seal(60)
        total += 120
        world.wait_stored(total)
        before = world.hub_messages()
        world.leaf.cut()
        for kiosk in kiosks:
            kiosk.seal(100)
        total += 200
        # The post goes on: its leaf node takes every record, the hub sees none of them.
        wait_until(lambda: all(k.pending() == 0 for k in kiosks), 30, "the leaf took them", world)
        time.sleep(1)
        assert world.hub_messages() == before
        world.leaf.restore()
        world.wait_stored(total, timeout=90)
    world.assert_exactly_once()
    world.assert_status_complete()


def test_a_hub_node_killed_mid_flow_loses_and_duplicates_nothing(
    world: World, request: pytest.FixtureRequest
) -> None:
    kiosk = world.add_kiosk("K-A")
    kiosk.start_forwarder()
    world.start_intake()
    total = 0
    for _ in range(rounds(request)):
        kiosk.seal(200)
        total += 200
        start = world.hub_messages()
        wait_until(lambda start=start: world.hub_messages() > start + 30, 30, "records flow", world)
        leader = world.stream_leader()
        [node] = [h for h in world.topology.hubs if h.name == leader]
        node.kill(signal.SIGKILL)  # the stream's leader, with records in flight
        kiosk.seal(60)
        total += 60
        world.wait_stored(total, timeout=90)
        node.start()
    world.assert_exactly_once()


def test_the_intake_killed_mid_stream_stores_every_record_once(
    world: World, request: pytest.FixtureRequest
) -> None:
    kiosks = [world.add_kiosk("K-A"), world.add_kiosk("K-B")]
    total = 0
    for kiosk in kiosks:
        kiosk.start_forwarder()
    for _ in range(rounds(request)):
        for kiosk in kiosks:
            kiosk.seal(250)
        total += 500
        wait_until(
            lambda total=total: world.hub_messages() >= total, 60, "the hub has the backlog", world
        )
        already = world.stored()
        world.start_intake()
        wait_until(
            lambda already=already: world.stored() > already + 100, 60, "the intake stores", world
        )
        world.stop_intake(signal.SIGKILL)
        assert world.stored() < total, "the intake finished before it was killed"
        world.start_intake()
        world.wait_stored(total)
        world.stop_intake()
    world.assert_exactly_once()


def test_the_leaf_killed_mid_stream_loses_and_duplicates_nothing(
    world: World, request: pytest.FixtureRequest
) -> None:
    kiosks = [world.add_kiosk("K-A"), world.add_kiosk("K-B")]
    world.start_intake()
    total = 0
    for kiosk in kiosks:
        kiosk.start_forwarder()
    for _ in range(rounds(request)):
        start = world.leaf_messages()
        for kiosk in kiosks:
            kiosk.seal(200)
        total += 400
        wait_until(
            lambda start=start: world.leaf_messages() > start + 50, 30, "kiosks publish", world
        )
        assert any(k.pending() for k in kiosks), "the kiosks finished before the kill"
        world.leaf.kill(signal.SIGKILL)  # kiosks mid-publish, the hub mid-sourcing
        time.sleep(0.5)
        world.leaf.start()
        world.wait_stored(total, timeout=90)
    world.assert_exactly_once()


@pytest.mark.slow
def test_every_fault_in_turn_while_kiosks_keep_sealing(world: World) -> None:
    """Rounds of: a link cut, the stream leader SIGKILLed, the intake SIGKILLed, the leaf
    SIGKILLed, in a random order, while three kiosks seal and forward; then everything
    once, gapless, with the heartbeats' tails."""
    import random

    rng = random.Random(19)
    kiosks = [world.add_kiosk(f"K-{n}") for n in range(3)]
    for kiosk in kiosks:
        kiosk.start_forwarder()
    world.start_intake()
    total = 0
    for _ in range(8):
        faults = ["cut", "hub", "intake", "leaf"]
        rng.shuffle(faults)
        for fault in faults:
            for kiosk in kiosks:
                kiosk.seal(rng.randint(20, 120))
            time.sleep(rng.uniform(0.2, 1.5))
            if fault == "cut":
                world.leaf.cut()
                time.sleep(rng.uniform(0.5, 3))
                world.leaf.restore()
            elif fault == "hub":
                leader = world.stream_leader()
                [node] = [h for h in world.topology.hubs if h.name == leader]
                node.kill(signal.SIGKILL)
                time.sleep(rng.uniform(0.5, 3))
                node.start()
            elif fault == "intake":
                world.stop_intake(signal.SIGKILL)
                world.start_intake()
            else:
                world.leaf.kill(signal.SIGKILL)
                time.sleep(rng.uniform(0.2, 1))
                world.leaf.start()
    for kiosk in kiosks:
        with Outbox(kiosk.outbox_path) as box:
            total += box.status().last_seq
    world.wait_stored(total, timeout=300)
    world.assert_exactly_once()
    world.assert_status_complete(timeout=90)
