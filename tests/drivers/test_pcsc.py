"""The PC/SC driver against pcscd's virtual reader: card events, transceive, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from drivers import DeviceNotFound, DeviceTimeout
from drivers.base import Health, wait_for
from drivers.pcsc import CardGone, CardInserted, CardRemoved, PCSCReader, card_present, list_readers
from drivers.sim.passport import ChipProfile, PassportChip
from drivers.sim.vpcd import VpcdCard
from tests.pcscd import Pcscd


def a_card() -> PassportChip:
    return PassportChip(ChipProfile(files={0x011C: b"\x31\x00"}, mrz_password=b"x"))


def test_pcscd_lists_both_virtual_readers(pcscd: Pcscd) -> None:
    assert list_readers() == [pcscd.reader, pcscd.second_reader]


def test_the_reader_reports_cards_arriving_and_leaving(pcscd: Pcscd) -> None:
    events: list[object] = []
    device = PCSCReader(pcscd.second_reader)
    device.notifier.add(events.append)
    card = VpcdCard(a_card(), port=pcscd.port + 1)
    with device:
        assert wait_for(lambda: device.health is Health.CONNECTED, 5)
        card.insert()
        assert wait_for(lambda: any(isinstance(e, CardInserted) for e in events), 5)
        card.remove()
        assert wait_for(lambda: any(isinstance(e, CardRemoved) for e in events), 5)
    inserted = next(e for e in events if isinstance(e, CardInserted))
    assert inserted.atr.startswith(b"\x3b") and inserted.device == pcscd.second_reader


def test_transceive_carries_apdus_and_a_pulled_card_is_card_gone(pcscd: Pcscd) -> None:
    reader = PCSCReader(pcscd.second_reader)
    card = VpcdCard(a_card(), port=pcscd.port + 1)
    card.insert()
    try:
        reader.wait_for_card(5)
        assert reader.transceive(bytes.fromhex("00B09C0002")) == b"\x31\x00\x90\x00"
        card.remove()
        with pytest.raises(CardGone) as caught:
            reader.transceive(bytes.fromhex("00B09C0002"))
        assert isinstance(caught.value, ConnectionError)
    finally:
        card.remove()
        reader.disconnect()
    assert wait_for(lambda: card_present(pcscd.second_reader) is None, 5)


def test_waiting_for_a_card_times_out_with_a_clear_error(pcscd: Pcscd) -> None:
    with pytest.raises(DeviceTimeout, match=r"no card on Virtual PCD 00 01 within 0.3 s"):
        PCSCReader(pcscd.second_reader).wait_for_card(0.3)


def test_an_unknown_reader_is_not_found(pcscd: Pcscd) -> None:
    device = PCSCReader("ACME 9000")
    with pytest.raises(DeviceNotFound, match="no PC/SC reader named 'ACME 9000'"):
        device._open()


def test_without_pcscd_the_cli_says_to_start_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = dict(
        os.environ, PCSCLITE_CSOCK_NAME=str(tmp_path / "none.comm"), KIOSK_STATE_DIR=str(tmp_path)
    )
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "chip", "read", "--can", "123456"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.startswith("kiosk: error: PC/SC is not available")
    assert "start pcscd" in run.stderr and len(run.stderr.splitlines()) == 1
    devices = subprocess.run(
        [sys.executable, "-m", "kiosk", "devices", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert devices.returncode == 0 and '"pcsc"' not in devices.stdout


def test_kiosk_devices_test_reports_the_card_on_a_reader(pcscd: Pcscd) -> None:
    card = VpcdCard(a_card(), port=pcscd.port + 1)
    card.insert()
    try:
        run = subprocess.run(
            [sys.executable, "-m", "kiosk", "devices", "test", f"pcsc:{pcscd.second_reader}", "--json", "--timeout", "5"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        card.remove()
    assert run.returncode == 0, run.stderr
    assert '"emrtd": true' in run.stdout and '"atr": "3b88' in run.stdout
    assert wait_for(lambda: card_present(pcscd.second_reader) is None, 5)
