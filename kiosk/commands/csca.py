"""`kiosk provision csca import|list`: the CSCA trust store for chip reading (issue #17).

Certificates come from ICAO master lists (CMS `.ml`, whose signature is checked against the
signer certificate it carries) or PEM/DER files; CRLs (`.crl`) are kept beside them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
from pathlib import Path

from kiosk import KioskError
from kiosk.commands import Subparsers


def register(actions: Subparsers) -> None:
    csca = actions.add_parser("csca", help="CSCA certificates for chip authentication")
    csca.add_argument(
        "--trust", type=Path, metavar="DIR", help="trust store (default: STATE_DIR/csca)"
    )
    verbs = csca.add_subparsers(dest="csca_command", metavar="ACTION")
    verbs.required = True
    add = verbs.add_parser(
        "import", help="import an ICAO master list (.ml), PEM/DER certificates or a CRL"
    )
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.set_defaults(func=run_import)
    listing = verbs.add_parser("list", help="the CSCA certificates and CRLs in the store")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)


def _store_dir(args: argparse.Namespace) -> Path:
    from kiosk.commands.chip import default_trust_dir

    return args.trust or default_trust_dir()


def run_import(args: argparse.Namespace) -> int:
    from emrtd import MalformedData
    from emrtd.trust import TrustStore, crl_der, load_certificates, verify_master_list

    directory = _store_dir(args)
    directory.mkdir(parents=True, exist_ok=True)
    store = TrustStore(directory=directory)
    for path in args.files:
        data = path.read_bytes()
        if path.suffix.lower() == ".crl":
            for der in crl_der(data):
                target = directory / f"{hashlib.sha256(der).hexdigest()[:16]}.crl"
                target.write_bytes(der)
                print(f"{path}: CRL stored as {target.name}")
            continue
        try:
            signer = verify_master_list(data)
            certificates = load_certificates(data, str(path))
        except MalformedData as exc:
            raise KioskError(str(exc)) from None
        new = sum(store.add(der)[1] for der in certificates)
        origin = f"master list signed by {signer}" if signer else "certificates"
        print(f"{path}: {len(certificates)} CSCA certificates ({new} new) from {origin}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from emrtd.trust import TrustStore

    directory = _store_dir(args)
    if not directory.is_dir():
        raise KioskError(
            f"no trust store at {directory}: import CSCA certificates with "
            "'kiosk provision csca import FILE'"
        )
    store = TrustStore.load(directory)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for cert in sorted(store.certificates, key=lambda c: c.subject.rfc4514_string()):
        expired = cert.not_valid_after_utc < now
        rows.append(
            {
                "subject": cert.subject.rfc4514_string(),
                "serial": format(cert.serial_number, "x"),
                "not_before": cert.not_valid_before_utc.date().isoformat(),
                "not_after": cert.not_valid_after_utc.date().isoformat(),
                "state": "expired" if expired else "valid",
            }
        )
    if args.json:
        for row in rows:
            print(json.dumps(row))
        for crl in store.crls:
            print(json.dumps({"crl": crl.issuer.rfc4514_string()}))
        return 0
    if not rows:
        print(f"no CSCA certificates in {directory}")
    for row in rows:
        print(f"{row['state']:<8} {row['not_before']} .. {row['not_after']}  {row['subject']}")
    for crl in store.crls:
        print(f"CRL      {crl.issuer.rfc4514_string()}")
    return 0
