"""Officer accounts on a real SQLite file: login, wrong PIN, lockout, disabled, roles."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kiosk.officers import LOCKOUT_SECONDS, MAX_FAILURES, LoginError, OfficerStore, Role
from tests.kiosk.test_cli import run_kiosk


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> OfficerStore:
    store = OfficerStore(tmp_path / "officers.db", clock=clock)
    store.add("anna", "Anna Berg", Role.OFFICER, "2468")
    store.add("tech", "Tom Tech", Role.TECHNICIAN, "13579")
    return store


def test_correct_pin_logs_in_with_role(store: OfficerStore) -> None:
    assert store.login("anna", "2468").role is Role.OFFICER
    assert store.login("tech", "13579").role is Role.TECHNICIAN


def test_pin_is_stored_hashed_with_a_salt_per_account(store: OfficerStore, tmp_path: Path) -> None:
    raw = (tmp_path / "officers.db").read_bytes()
    assert b"2468" not in raw
    assert stat.S_IMODE((tmp_path / "officers.db").stat().st_mode) == 0o600


def test_wrong_pin_and_unknown_id_say_the_same(store: OfficerStore) -> None:
    with pytest.raises(LoginError, match="unknown officer id or wrong PIN"):
        store.login("anna", "0000")
    with pytest.raises(LoginError, match="unknown officer id or wrong PIN"):
        store.login("nobody", "0000")
    assert store.get("anna").failures == 1


def test_lockout_after_repeated_failures_then_expiry(store: OfficerStore, clock: Clock) -> None:
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginError, match="wrong PIN"):
            store.login("anna", "0000")
    with pytest.raises(LoginError, match="is locked for 15 minutes"):
        store.login("anna", "0000")
    with pytest.raises(LoginError, match="locked for 15 more minute"):
        store.login("anna", "2468")  # even the right PIN
    clock.now += LOCKOUT_SECONDS + 1
    assert store.login("anna", "2468").officer_id == "anna"


def test_reset_pin_clears_lockout(store: OfficerStore) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginError):
            store.login("anna", "0000")
    store.reset_pin("anna", "97531")
    assert store.login("anna", "97531").officer_id == "anna"
    with pytest.raises(LoginError):
        store.login("anna", "2468")


def test_disabled_account_is_refused(store: OfficerStore) -> None:
    store.disable("anna")
    with pytest.raises(LoginError, match="disabled; ask a technician"):
        store.login("anna", "2468")
    store.enable("anna")
    assert store.login("anna", "2468").officer_id == "anna"


def test_cli_add_list_disable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_STATE_DIR", str(tmp_path))
    added = run_kiosk("provision", "officer", "add", "anna", "--name", "Anna B", stdin="2468\n")
    assert added.returncode == 0, added.stderr
    tech = run_kiosk(
        "provision",
        "officer",
        "add",
        "tom",
        "--name",
        "Tom",
        "--role",
        "technician",
        stdin="1357\n",
    )
    assert tech.returncode == 0
    again = run_kiosk("provision", "officer", "add", "anna", "--name", "X", stdin="2468\n")
    assert again.returncode == 1
    assert again.stderr.strip() == "kiosk: error: officer 'anna' already exists"
    assert run_kiosk("provision", "officer", "disable", "anna").returncode == 0
    listed = run_kiosk("provision", "officer", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["role"], r["disabled"]) for r in rows] == [
        ("anna", "officer", True),
        ("tom", "technician", False),
    ]
    short = run_kiosk("provision", "officer", "reset-pin", "tom", stdin="12\n")
    assert short.returncode == 1
    assert short.stderr.strip() == "kiosk: error: a PIN is 4 to 12 digits"
