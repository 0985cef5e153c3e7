"""`kiosk alerts ...` as an operator and a technician use it: the demo list is found from
the MRZ, bad input is one line, [alerts] is validated like every section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.alerting import demo_travellers
from tests.alerts.conftest import write_list
from tests.kiosk.test_cli import run_kiosk


def kiosk_config(tmp_path: Path, alerts: str) -> Path:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[kiosk]\nid = "K-1"\npost = "P-1"\nstate_dir = "{tmp_path / "state"}"\n'
        f'[keys]\ncentral_public_key = "{tmp_path / "c.pub"}"\n'
        f'[forward]\ntransport = "dir"\n[forward.dir]\npath = "{tmp_path / "out"}"\n'
        f"[alerts]\n{alerts}"
    )
    return config


@pytest.fixture(scope="module")
def demo_kiosk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("demo")
    repo = tmp_path / "repo"
    published = run_kiosk("alerts", "publish", "--demo", "--repo", str(repo),
                          "--keys", str(tmp_path / "keys"), "--new-keys")  # fmt: skip
    assert published.returncode == 0, published.stderr
    config = kiosk_config(
        tmp_path, f'url = "{repo.as_uri()}"\nroot = "{repo / "metadata" / "1.root.json"}"\n'
    )
    synced = run_kiosk("alerts", "sync", "--once", "--config", str(config))
    assert synced.returncode == 0, synced.stderr
    return config


def test_check_finds_the_demo_stolen_passport_and_the_respelled_person(demo_kiosk: Path) -> None:
    stolen, person = demo_travellers()
    first = run_kiosk("alerts", "check", "--json", "--config", str(demo_kiosk), "--mrz", *stolen)
    hits = json.loads(first.stdout)["hits"]
    assert [(h["kind"], h["action"]) for h in hits] == [("document", "deny")]
    second = run_kiosk("alerts", "check", "--config", str(demo_kiosk), "--mrz", *person)
    assert second.returncode == 0, second.stderr
    assert "HIT REFER person" in second.stdout
    assert "ALHASAN~HASSAN" in second.stdout and "same date" in second.stdout


def test_check_by_name_in_another_script(demo_kiosk: Path) -> None:
    result = run_kiosk("alerts", "check", "--config", str(demo_kiosk),
                       "--name", "الحسن, محمد عبد الرحمن", "--birth", "1981-07-14")  # fmt: skip
    assert "HIT REFER person" in result.stdout, result.stdout + result.stderr
    nobody = run_kiosk("alerts", "check", "--config", str(demo_kiosk),
                       "--name", "ERIKSSON, ANNA", "--birth", "1974-08-12")  # fmt: skip
    assert nobody.stdout.startswith("no hit (list version 1, 2 entries)")


def test_status_shows_the_list_and_exits_0_when_current(demo_kiosk: Path) -> None:
    result = run_kiosk("alerts", "status", "--config", str(demo_kiosk))
    assert result.returncode == 0, result.stderr
    assert "list version  1" in result.stdout and "current" in result.stdout


def test_status_without_a_list_is_stale_with_exit_1(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path, "")
    result = run_kiosk("alerts", "status", "--json", "--config", str(config))
    assert result.returncode == 1
    assert json.loads(result.stdout)["stale"] == "no alert list has been loaded"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "give either --mrz"),
        (["check", "--name", "X", "--birth", "1981-13"], "month 13 does not exist"),
        (["check", "--mrz", "P<UTO"], "kiosk: error:"),
    ],
)
def test_bad_check_input_is_one_line(demo_kiosk: Path, args: list[str], message: str) -> None:
    result = run_kiosk("alerts", *args, "--config", str(demo_kiosk))
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ('url = "ftp://x"\n', "[alerts] url: 'ftp://x': use an https://"),
        ("person_threshold = 120\n", "[alerts] person_threshold: 120: use a number from 0 to 100"),
        ("colour = 1\n", "[alerts] colour: unknown key"),
        ("evidence_bits = 0\n", "[alerts] evidence_bits: 0: must be greater than 0"),
    ],
)
def test_the_alerts_section_is_validated_with_its_line(
    tmp_path: Path, alerts: str, message: str
) -> None:
    config = kiosk_config(tmp_path, alerts)
    result = run_kiosk("alerts", "status", "--config", str(config))
    assert result.returncode == 1
    assert message in result.stderr and f"{config}:12:" in result.stderr, result.stderr


def test_a_bad_list_row_is_one_line_and_publishes_nothing(tmp_path: Path) -> None:
    path = write_list(tmp_path / "list.csv", [
        {"list_id": "SLTD", "reference": "1", "category": "document", "action": "deny",
         "doc_number": "X1"},
        {"list_id": "W", "reference": "2", "category": "person", "action": "arrest",
         "surname": "DOE"},
    ])  # fmt: skip
    result = run_kiosk("alerts", "publish", str(path), "--repo", str(tmp_path / "repo"),
                       "--keys", str(tmp_path / "keys"), "--new-keys")  # fmt: skip
    assert result.returncode == 1
    assert f"{path}:3: action 'arrest': use one of refer, deny, notify" in result.stderr
    assert not (tmp_path / "repo" / "metadata" / "timestamp.json").exists()


def test_publish_without_keys_says_how_to_make_them(tmp_path: Path) -> None:
    path = write_list(tmp_path / "list.csv", [])
    result = run_kiosk("alerts", "publish", str(path), "--repo", str(tmp_path / "repo"),
                       "--keys", str(tmp_path / "none"))  # fmt: skip
    assert result.returncode == 1
    assert "create the keys once with --new-keys" in result.stderr


def test_the_sync_daemon_updates_then_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    repo = tmp_path / "repo"
    run_kiosk("alerts", "publish", "--demo", "--repo", str(repo), "--keys",
              str(tmp_path / "keys"), "--new-keys")  # fmt: skip
    config = kiosk_config(
        tmp_path,
        f'url = "{repo.as_uri()}"\nroot = "{repo / "metadata" / "1.root.json"}"\ninterval = 60\n',
    )
    daemon = subprocess.Popen([sys.executable, "-m", "kiosk", "alerts", "sync", "--config",
                               str(config)], stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = run_kiosk("alerts", "status", "--json", "--config", str(config))
            if status.returncode == 0 and json.loads(status.stdout)["version"] == 1:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the daemon did not load the list")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(20) == 0
    finally:
        daemon.kill()
    assert "Traceback" not in (daemon.stderr.read() if daemon.stderr else "")


def test_evidence_bits_reach_the_matcher(tmp_path: Path) -> None:
    from kiosk.alerting import settings
    from kiosk.config import load

    assert (
        settings(load(kiosk_config(tmp_path, "evidence_bits = 31.5\n"))).thresholds.evidence == 31.5
    )
