"""`kiosk chip read` and `kiosk provision csca` as a technician runs them, against passports on
pcscd's virtual reader."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from PIL import Image

from kiosk.sim.issuer import CAN, TD3, default_pki, make_passport, make_pki, master_list
from tests.emrtd.conftest import PutOnReader
from tests.pcscd import Pcscd


def kiosk(
    *args: str, env_dir: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    if env_dir is not None:
        env["KIOSK_STATE_DIR"] = str(env_dir)
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def trust_dir(tmp_path: Path) -> Path:
    return default_pki().write_trust(tmp_path / "trust")


def test_chip_read_prints_genuine_every_check_and_writes_the_portrait(
    put_on_reader: PutOnReader, pcscd: Pcscd, tmp_path: Path
) -> None:
    put_on_reader(make_passport())
    portrait = tmp_path / "face.png"
    result = kiosk(
        "chip",
        "read",
        "--mrz",
        *TD3,
        "--trust",
        str(trust_dir(tmp_path)),
        "--portrait",
        str(portrait),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "chip: genuine"
    assert "access: PACE P-256 AES-128" in lines
    assert "DG1 vs printed MRZ: identical" in lines
    assert any(line.split()[:3] == ["pass", "dg2", "hash"] for line in lines)
    assert lines[-1].startswith("timings: access")
    assert Image.open(portrait).size == (360, 480)


def test_chip_read_json_of_a_forgery_names_the_failed_hash_and_exits_1(
    put_on_reader: PutOnReader, pcscd: Pcscd, tmp_path: Path
) -> None:
    put_on_reader(make_passport(forge_dg2=True))
    result = kiosk("chip", "read", "--can", CAN, "--json", "--trust", str(trust_dir(tmp_path)))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["verdict"] == "NOT GENUINE"
    assert report["reason"] == "dg2 hash: DG2 does not match its hash in the SOD"
    assert {c["name"]: c["status"] for c in report["checks"]}["dg1 hash"] == "pass"


def test_chip_read_with_wrong_keys_is_not_read_access_denied(
    put_on_reader: PutOnReader, pcscd: Pcscd, tmp_path: Path
) -> None:
    put_on_reader(make_passport())
    result = kiosk("chip", "read", "--can", "654321", "--trust", str(trust_dir(tmp_path)))
    assert result.returncode == 1
    assert result.stdout.startswith("chip: not read (access denied: check the MRZ or CAN")
    assert "Traceback" not in result.stderr


def test_chip_read_retries_after_the_card_was_pulled_away(
    put_on_reader: PutOnReader, pcscd: Pcscd, tmp_path: Path
) -> None:
    card = put_on_reader(make_passport())
    card.remove_after = 30

    def put_back() -> None:
        import time

        while card.inserted:
            time.sleep(0.05)
        time.sleep(0.5)
        card.insert()

    threading.Thread(target=put_back, daemon=True).start()
    result = kiosk("chip", "read", "--mrz", *TD3, "--trust", str(trust_dir(tmp_path)), "--json")
    assert "card removed: place the passport on the reader again (attempt 1 of 3)" in result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["verdict"] == "genuine"


def test_chip_read_without_a_trust_store_says_where_to_get_one(
    pcscd: Pcscd, tmp_path: Path
) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("KIOSK_STATE_DIR", "KIOSK_CONFIG")}
    env["KIOSK_CONFIG"] = str(tmp_path / "missing.toml")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "chip", "read", "--can", CAN],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert (
        result.stderr.startswith("kiosk: error: no trust store:") and "--trust DIR" in result.stderr
    )


def test_chip_read_refuses_a_bad_mrz_before_touching_the_reader(pcscd: Pcscd) -> None:
    result = kiosk("chip", "read", "--mrz", TD3[0], TD3[1].replace("L898902C36", "L898902C37"))
    assert result.returncode == 2
    assert "check digit" in result.stderr and len(result.stderr.splitlines()) == 1


def test_provision_csca_imports_a_master_list_and_lists_it(tmp_path: Path) -> None:
    a, b = make_pki(seed_name="Utopia"), make_pki(country="XA", seed_name="Xanadu")
    ml = tmp_path / "ICAO.ml"
    ml.write_bytes(master_list([a, b]))
    result = kiosk("provision", "csca", "import", str(ml), env_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 CSCA certificates (2 new) from master list signed by" in result.stdout
    again = kiosk("provision", "csca", "import", str(ml), env_dir=tmp_path)
    assert "(0 new)" in again.stdout
    pem = tmp_path / "extra.pem"
    pem.write_bytes(make_pki(seed_name="Extra").csca.public_bytes(serialization.Encoding.PEM))
    assert kiosk("provision", "csca", "import", str(pem), env_dir=tmp_path).returncode == 0
    listing = kiosk("provision", "csca", "list", "--json", env_dir=tmp_path)
    subjects = sorted(json.loads(line)["subject"] for line in listing.stdout.splitlines())
    assert subjects == ["CN=CSCA Extra,C=UT", "CN=CSCA Utopia,C=UT", "CN=CSCA Xanadu,C=XA"]


def test_provision_csca_refuses_a_tampered_master_list_and_a_non_certificate(
    tmp_path: Path,
) -> None:
    ml = tmp_path / "bad.ml"
    ml.write_bytes(master_list([make_pki()], tamper=True))
    result = kiosk("provision", "csca", "import", str(ml), env_dir=tmp_path)
    assert result.returncode == 1
    assert "signed digest does not match: not imported" in result.stderr
    junk = tmp_path / "junk.der"
    junk.write_bytes(b"\x30\x03\x02\x01\x01")
    result = kiosk("provision", "csca", "import", str(junk), env_dir=tmp_path)
    assert result.returncode == 1 and "neither an ICAO master list nor" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((tmp_path / "csca").glob("*.der"))


def test_kiosk_devices_lists_the_pc_sc_readers(pcscd: Pcscd) -> None:
    result = kiosk("devices", "--json")
    assert result.returncode == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    pcsc = [d for d in found if d["kind"] == "pcsc"]
    assert [d["path"] for d in pcsc] == ["Virtual PCD 00 00", "Virtual PCD 00 01"]
    assert all(d["driver"] == "pcsc" for d in pcsc)


def test_chip_read_shows_where_the_chip_mrz_differs_from_the_printed_one(
    put_on_reader: PutOnReader, pcscd: Pcscd, tmp_path: Path
) -> None:
    altered = (TD3[0].replace("ANNA<MARIA", "ANNA<MARTA"), TD3[1])
    put_on_reader(make_passport(dg1_lines=altered, details=True))
    result = kiosk("chip", "read", "--mrz", *TD3, "--trust", str(trust_dir(tmp_path)), "--json")
    report = json.loads(result.stdout)
    assert report["verdict"] == "genuine"  # the chip is genuine; the printed page is not its twin
    assert report["dg1_differences"] == ["given_names: printed 'ANNA MARIA', chip 'ANNA MARTA'"]
    assert report["details"]["dg11"]["place_of_birth"] == ["ZENITH,UTO"]
    assert report["details"]["dg12"]["issuing_authority"] == ["UTOPIA PASSPORT OFFICE"]
    assert report["details"]["signature_images"] == 1
    assert {"DG7", "DG11", "DG12"} <= set(report["data_groups"])


def test_chip_read_names_the_readers_when_the_one_asked_for_is_not_there(pcscd: Pcscd) -> None:
    result = kiosk("chip", "read", "--can", CAN, "--reader", "ACME 9000", "--trust", "/nonexistent")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "kiosk: error: no PC/SC reader named 'ACME 9000' (readers: Virtual PCD 00 00, Virtual PCD 00 01)"
    )


def test_a_crl_imported_into_the_store_makes_a_revoked_signer_not_genuine(
    put_on_reader: PutOnReader, pcscd: Pcscd, tmp_path: Path
) -> None:
    pki = make_pki(seed_name="Revokia")
    source = pki.write_trust(tmp_path / "from-issuer", crl_revoking=pki.ds)
    (source / "junk.pem").write_text("not a certificate\n")  # skipped with a warning, not fatal
    for name in ("csca.pem", "csca.crl"):
        assert (
            kiosk("provision", "csca", "import", str(source / name), env_dir=tmp_path).returncode
            == 0
        )
    listing = kiosk("provision", "csca", "list", env_dir=tmp_path).stdout
    assert "CN=CSCA Revokia,C=UT" in listing and "CRL      CN=CSCA Revokia,C=UT" in listing
    put_on_reader(make_passport(pki=pki))
    result = kiosk("chip", "read", "--mrz", *TD3, env_dir=tmp_path)
    assert result.returncode == 1
    assert (
        result.stdout.splitlines()[0]
        == "chip: NOT GENUINE (ds revocation: the DS certificate is revoked)"
    )
    shared = kiosk("chip", "read", "--mrz", *TD3, "--trust", str(source), "--json")
    assert json.loads(shared.stdout)["reason"] == "ds revocation: the DS certificate is revoked"
