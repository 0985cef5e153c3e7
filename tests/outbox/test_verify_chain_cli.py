"""`kiosk outbox verify-chain` on a provisioned kiosk: what it checked, with bodies and
after the retention dropped them, and one line with exit status 1 for a gap, a broken
link or a bad signature."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from outbox.record import read_header
from outbox.store import Outbox
from tests.kiosk.test_cli import run_kiosk
from tests.outbox.test_forwarder_cli import provision


@pytest.fixture
def kiosk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "media").mkdir()
    config = provision(tmp_path, ["--transport", "dir", "--dir", str(tmp_path / "media")])
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    assert run_kiosk("outbox", "inject", "--count", "6").returncode == 0
    return tmp_path


def outbox_file(tmp_path: Path) -> Path:
    return next((tmp_path / "state").rglob("*.db"))


def test_verify_chain_says_what_it_checked_with_bodies_and_without(kiosk: Path) -> None:
    done = run_kiosk("outbox", "verify-chain")
    assert done.returncode == 0, done.stderr
    assert "kiosk K-5: seq 1..6, 6 records kept (v2: 6)" in done.stdout
    assert "signatures verified      6 of 6" in done.stdout
    assert "bodies checked           6" in done.stdout
    assert done.stdout.rstrip().endswith("chain ok")
    # forwarded, then the retention job drops the delivered bodies
    assert run_kiosk("forward", "--once").returncode == 0
    time.sleep(0.02)
    with Outbox(outbox_file(kiosk)) as box:
        assert box.purge(retention_seconds=0.01) == 6
    status = json.loads(run_kiosk("outbox", "status", "--json").stdout)
    assert status["header_only"] == 6 and status["delivered"] == 6
    run_kiosk("outbox", "inject", "--count", "1")
    done = run_kiosk("outbox", "verify-chain", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["first_seq"] == 1 and report["last_seq"] == 7
    assert (report["signatures_verified"], report["bodies_checked"]) == (7, 1)
    assert report["header_only"] == 6 and report["links_checked"] == 7
    # a copy of the outbox file, checked with the enrolments and no configuration at all
    copy = run_kiosk(
        "outbox", "verify-chain", "--outbox", str(outbox_file(kiosk)), "--keys",
        str(kiosk / "registry"), "--config", str(kiosk / "no-such.toml"),
    )  # fmt: skip
    assert copy.returncode == 0 and "signatures verified      7 of 7" in copy.stdout, copy.stderr
    # the media copies and the kept headers verify centrally as one set of records
    export = run_kiosk("outbox", "export", str(kiosk / "export"))
    assert export.returncode == 0
    central = run_kiosk(
        "verify", str(kiosk / "media"), str(kiosk / "export"), "--keys", str(kiosk / "registry"),
        "--central-key", str(kiosk / "central.key"),
    )  # fmt: skip
    assert central.returncode == 0, central.stdout + central.stderr
    assert "kiosk K-5: 7 records, seq 1..7: ok" in central.stdout
    assert "header only: 6 record(s)" in central.stdout


def test_verify_chain_names_a_gap_a_broken_link_and_a_bad_signature(kiosk: Path) -> None:
    path = outbox_file(kiosk)
    db = sqlite3.connect(path)
    db.execute("DELETE FROM records WHERE seq = 2")
    rows = dict(db.execute("SELECT seq, data FROM records"))
    signature = read_header(rows[5]).message.signature
    bad = bytearray(rows[5])
    bad[rows[5].index(signature)] ^= 0x10
    db.execute("UPDATE records SET data = ? WHERE seq = 5", (bytes(bad),))
    db.execute("UPDATE records SET data = ? WHERE seq = 4", (rows[3],))  # seq 3's record again
    db.commit()
    db.close()
    done = run_kiosk("outbox", "verify-chain")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "GAP: seq 2..2 missing from the outbox" in lines
    assert any(line.startswith("MISPLACED: seq 4 ") for line in lines), lines
    assert any(line.startswith("BROKEN LINK: seq 4 ") for line in lines), lines
    assert any(line.startswith("BAD SIGNATURE: seq 5 ") for line in lines), lines
    assert any(line.startswith("BROKEN LINK: seq 6 ") for line in lines), lines
    assert lines[-1].startswith("chain has ") and done.stderr == ""


def test_verify_chain_of_a_missing_file_is_one_line(kiosk: Path) -> None:
    done = run_kiosk(
        "outbox", "verify-chain", "--outbox", str(kiosk / "nope.db"), "--keys", str(kiosk)
    )
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.startswith("kiosk: error: ") and done.stderr.count("\n") == 1
