"""Officer accounts on a real SQLite file: login, wrong PIN, lockout, disabled, roles."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kiosk.officers import (
    LOCKOUT_SECONDS,
    MAX_FAILURES,
    LoginError,
    LoginEvent,
    OfficerStore,
    PepperError,
    Role,
    create_pepper,
    hash_pin,
    load_pepper,
)
from tests.kiosk.test_cli import run_kiosk


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def pepper(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "pin-pepper"
    create_pepper(path)
    return path


@pytest.fixture
def pepper_file(tmp_path: Path) -> Path:
    return pepper(tmp_path)


@pytest.fixture
def store(tmp_path: Path, clock: Clock, pepper_file: Path) -> OfficerStore:
    store = OfficerStore(tmp_path / "officers.db", pepper=load_pepper(pepper_file), clock=clock)
    store.add("anna", "Anna Berg", Role.OFFICER, "246813")
    store.add("tech", "Tom Tech", Role.TECHNICIAN, "135790")
    return store


def test_correct_pin_logs_in_with_role(store: OfficerStore) -> None:
    assert store.login("anna", "246813").role is Role.OFFICER
    assert store.login("tech", "135790").role is Role.TECHNICIAN


def test_pin_is_stored_hashed_with_a_salt_per_account(store: OfficerStore, tmp_path: Path) -> None:
    raw = (tmp_path / "officers.db").read_bytes()
    assert b"246813" not in raw
    assert stat.S_IMODE((tmp_path / "officers.db").stat().st_mode) == 0o600


def test_wrong_pin_and_unknown_id_say_the_same(store: OfficerStore) -> None:
    with pytest.raises(LoginError, match="unknown officer id or wrong PIN"):
        store.login("anna", "000000")
    with pytest.raises(LoginError, match="unknown officer id or wrong PIN"):
        store.login("nobody", "000000")
    assert store.get("anna").failures == 1


def test_lockout_after_repeated_failures_then_expiry(store: OfficerStore, clock: Clock) -> None:
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginError, match="wrong PIN"):
            store.login("anna", "000000")
    with pytest.raises(LoginError, match="is locked for 15 minutes"):
        store.login("anna", "000000")
    with pytest.raises(LoginError, match="locked for 15 more minute"):
        store.login("anna", "246813")  # even the right PIN
    clock.now += LOCKOUT_SECONDS + 1
    assert store.login("anna", "246813").officer_id == "anna"


def test_reset_pin_clears_lockout(store: OfficerStore) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginError):
            store.login("anna", "000000")
    store.reset_pin("anna", "975310")
    assert store.login("anna", "975310").officer_id == "anna"
    with pytest.raises(LoginError):
        store.login("anna", "246813")


def test_disabled_account_is_refused(store: OfficerStore) -> None:
    store.disable("anna")
    with pytest.raises(LoginError, match="disabled; ask a technician"):
        store.login("anna", "246813")
    store.enable("anna")
    assert store.login("anna", "246813").officer_id == "anna"


def test_cli_add_list_disable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pepper_file: Path
) -> None:
    monkeypatch.setenv("KIOSK_STATE_DIR", str(tmp_path))
    nopepper = run_kiosk("provision", "officer", "add", "x", "--name", "X", stdin="246813\n")
    assert nopepper.returncode == 1
    assert "needs the PIN pepper: pass --pepper FILE or --config" in nopepper.stderr
    added = run_kiosk(
        "provision",
        "officer",
        "--pepper",
        str(pepper_file),
        "add",
        "anna",
        "--name",
        "Anna B",
        stdin="246813\n",
    )
    assert added.returncode == 0, added.stderr
    tech = run_kiosk(
        "provision",
        "officer",
        "--pepper",
        str(pepper_file),
        "add",
        "tom",
        "--name",
        "Tom",
        "--role",
        "technician",
        stdin="135790\n",
    )
    assert tech.returncode == 0
    again = run_kiosk(
        "provision",
        "officer",
        "--pepper",
        str(pepper_file),
        "add",
        "anna",
        "--name",
        "X",
        stdin="246813\n",
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "kiosk: error: officer 'anna' already exists"
    assert run_kiosk("provision", "officer", "disable", "anna").returncode == 0
    listed = run_kiosk("provision", "officer", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["role"], r["disabled"]) for r in rows] == [
        ("anna", "officer", True),
        ("tom", "technician", False),
    ]
    short = run_kiosk(
        "provision", "officer", "--pepper", str(pepper_file), "reset-pin", "tom", stdin="1234\n"
    )
    assert short.returncode == 1
    assert short.stderr.strip() == "kiosk: error: a PIN is 6 to 12 digits"


def test_four_digit_pins_are_refused(store: OfficerStore) -> None:
    with pytest.raises(Exception, match="a PIN is 6 to 12 digits"):
        store.add("bo", "Bo", Role.OFFICER, "1234")
    with pytest.raises(Exception, match="a PIN is 6 to 12 digits"):
        store.reset_pin("anna", "12345")


def test_a_stolen_database_without_the_pepper_is_not_searchable(
    store: OfficerStore, tmp_path: Path, clock: Clock
) -> None:
    """The stored hash is keyed: scrypt of the right PIN with the row's salt does not give
    it, and the same file with another pepper accepts no PIN."""
    import sqlite3

    with sqlite3.connect(tmp_path / "officers.db") as db:
        salt, stored = db.execute("SELECT salt, pin_hash FROM officers WHERE id='anna'").fetchone()
    assert hash_pin("246813", salt) != stored
    assert hash_pin("246813", salt, load_pepper(tmp_path / "etc" / "pin-pepper")) == stored
    other = tmp_path / "other-pepper"
    create_pepper(other)
    thief = OfficerStore(tmp_path / "officers.db", pepper=load_pepper(other), clock=clock)
    with pytest.raises(LoginError):
        thief.login("anna", "246813")


def test_the_pepper_can_come_from_a_systemd_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "creds"
    create_pepper(credentials / "pin-pepper")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert load_pepper(tmp_path / "missing") == (credentials / "pin-pepper").read_bytes().strip()
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    with pytest.raises(PepperError, match="does not exist"):
        load_pepper(tmp_path / "missing")
    assert stat.S_IMODE((credentials / "pin-pepper").stat().st_mode) == 0o640


def test_lockouts_escalate_until_a_right_pin(store: OfficerStore, clock: Clock) -> None:
    """The lockout used to reset the count: about 480 guesses a day. Now each lockout in a
    row is twice as long, so a day allows a few dozen."""
    lengths = []
    for _ in range(4):
        for _ in range(MAX_FAILURES - 1):
            with pytest.raises(LoginError) as wrong:
                store.login("anna", "000000")
            assert wrong.value.event is LoginEvent.WRONG_PIN
        with pytest.raises(LoginError) as locked:
            store.login("anna", "000000")
        assert locked.value.event is LoginEvent.LOCKED_OUT
        lengths.append(locked.value.locked_until - clock.now)
        with pytest.raises(LoginError) as refused:
            store.login("anna", "246813")
        assert refused.value.event is LoginEvent.LOCKED
        clock.now = locked.value.locked_until + 1
    assert lengths == [LOCKOUT_SECONDS * 2**n for n in range(4)]
    assert store.login("anna", "246813").officer_id == "anna"
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginError) as last:
            store.login("anna", "000000")
    assert last.value.locked_until - clock.now == LOCKOUT_SECONDS  # back to the first


def test_every_refusal_says_what_happened_for_the_audit(store: OfficerStore) -> None:
    with pytest.raises(LoginError) as unknown:
        store.login("nobody", "000000")
    assert unknown.value.event is LoginEvent.UNKNOWN_OFFICER
    assert str(unknown.value) == "unknown officer id or wrong PIN"  # same as a wrong PIN
    store.disable("anna")
    with pytest.raises(LoginError) as disabled:
        store.login("anna", "246813")
    assert disabled.value.audit() == {
        "event": "login refused",
        "reason": "login to a disabled account",
        "officer": "anna",
        "failures": 0,
        "locked_until_ms": None,
    }


def test_pins_hashed_before_the_pepper_still_work_and_are_rehashed(
    store: OfficerStore, tmp_path: Path
) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "officers.db") as db:
        salt = bytes(16)
        db.execute(
            "UPDATE officers SET salt=?, pin_hash=?, scheme=0 WHERE id='anna'",
            (salt, hash_pin("2468", salt)),
        )
    assert store.login("anna", "2468").officer_id == "anna"
    with sqlite3.connect(tmp_path / "officers.db") as db:
        assert db.execute("SELECT scheme FROM officers WHERE id='anna'").fetchone() == (1,)
    assert store.login("anna", "2468").officer_id == "anna"
