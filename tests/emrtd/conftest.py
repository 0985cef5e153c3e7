"""Chip fixtures: passports on pcscd's virtual reader, reached through the PC/SC driver."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from drivers.base import wait_for
from drivers.pcsc import PCSCReader, card_present
from drivers.sim.passport import PassportChip
from drivers.sim.vpcd import VpcdCard
from kiosk.sim.issuer import Passport
from tests.pcscd import Pcscd

PutOnReader = Callable[[Passport], VpcdCard]


@pytest.fixture
def put_on_reader(pcscd: Pcscd) -> Iterator[PutOnReader]:
    """Place a passport on 'Virtual PCD 00 00' (removed again after the test)."""
    cards: list[VpcdCard] = []

    def place(passport: Passport) -> VpcdCard:
        card = VpcdCard(PassportChip(passport.profile), port=pcscd.port)
        card.insert()
        cards.append(card)
        assert wait_for(lambda: card_present(pcscd.reader) is not None, 10), "pcscd saw no card"
        return card

    yield place
    for card in cards:
        card.remove()
    assert wait_for(lambda: card_present(pcscd.reader) is None, 10), "the card stayed"


@pytest.fixture
def reader(pcscd: Pcscd) -> Iterator[PCSCReader]:
    device = PCSCReader(pcscd.reader)
    yield device
    device.disconnect()
