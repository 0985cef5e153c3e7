"""`kiosk verify` throughput on format v2 records, beside the bound from the same run.

N records of 10 KB are sealed (format v2, one kiosk, one chain), then verified through the
library path `kiosk verify` uses (`outbox.heartbeat.Diverted` over the sources,
`outbox.verify.verify`):

- headers only: the same records with their bodies dropped (as retention leaves them);
- with bodies: every body hashed against its signed payload;
- with bodies, decrypted: `--central-key`, every body HPKE-decrypted too.

The bound beside each is the cryptography alone per record, measured in the same run:
Ed25519 verify of the envelope (+ SHA-256 of the body) (+ HPKE decrypt of the body).

    python bench/verify_bench.py [--records N] [--size BYTES] [--workers N]

`--workers 2` checks records in two forked processes, as `kiosk verify --workers 2`.

Targets (issue #19): 100,000 records of 10 KB, >= 5,000 records/s with bodies and
>= 20,000 records/s headers only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from outbox.heartbeat import Diverted
from outbox.keys import (
    generate_central_key,
    generate_signing_key,
    load_central_private,
    load_central_public,
    public_pem,
    suite,
)
from outbox.record import read_header, without_body
from outbox.store import Identity, Outbox
from outbox.verify import load_registry, verify


def crypto_bound(records: list[bytes], key: object, central: object, count: int = 2000) -> dict:
    """Seconds per record of each cryptographic step alone, on the first records."""
    sample = [read_header(data) for data in records[: min(count, len(records))]]
    public = key.public_key()  # type: ignore[attr-defined]
    hpke = suite(central.suite)  # type: ignore[attr-defined]
    steps = {
        "Ed25519 verify": lambda r: public.verify(
            r.message.signature, _sig_structure(r.message.protected, r.message.payload)
        ),
        "SHA-256 of the body": lambda r: hashlib.sha256(r.ciphertext).digest(),
        "HPKE decrypt": lambda r: hpke.decrypt(
            r.ciphertext,
            central.key,  # type: ignore[attr-defined]
            info=r.header.info,
        ),
    }
    seconds = {}
    for name, step in steps.items():
        start = time.perf_counter()
        for record in sample:
            step(record)
        seconds[name] = (time.perf_counter() - start) / len(sample)
    return seconds


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    from outbox.cose import sig_structure

    return sig_structure(protected, payload)


def run_verify(records: list[bytes], registry: object, central: object, workers: int) -> float:
    sources = Diverted((f"r{i}", data) for i, data in enumerate(records))
    start = time.perf_counter()
    reports, kiosks = verify(sources, registry, central, workers=workers)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    bad = [r for r in reports if r.problems]
    assert not bad and len(reports) == len(records), bad[:3]
    assert len(kiosks) == 1 and kiosks[0].ok and kiosks[0].records == len(records)
    return len(records) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=10_000, help="body bytes")
    parser.add_argument(
        "--workers", type=int, default=1, help="verify processes (kiosk verify's --workers)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    try:
        generate_central_key(work / "central.key", work / "central.pub")
        key = generate_signing_key(work / "kiosk.pem")
        (work / "keys").mkdir()
        (work / "keys" / "K-1.pem").write_bytes(public_pem(key))
        registry = load_registry(work / "keys")
        central = load_central_private(work / "central.key")
        identity = Identity("K-1", "UTO-N1", key, load_central_public(work / "central.pub"))
        start = time.perf_counter()
        with Outbox(work / "o.db") as box:
            for first in range(0, args.records, 1000):
                burst = min(1000, args.records - first)
                box.seal_many(
                    identity, [("test", "b", "entry", {"pad": os.urandom(args.size)})] * burst
                )
            records = [data for _seq, data in box.data()]
        print(
            f"== {len(records)} records of {args.size} B body, format v2, sealed in "
            f"{time.perf_counter() - start:.1f} s"
        )
        headers = [without_body(read_header(data)) for data in records]
        bound = crypto_bound(records, key, central)
        for name, seconds in bound.items():
            print(f"   {name + ' alone':<30} {seconds * 1e6:7.1f} us per record")
        signature = bound["Ed25519 verify"]
        cases = [
            ("headers only", headers, None, signature, 20_000),
            ("with bodies", records, None, signature + bound["SHA-256 of the body"], 5_000),
            ("with bodies, decrypted", records, central, sum(bound.values()), None),
        ]
        for name, data, key_central, per_record, target in cases:
            rate = run_verify(data, registry, key_central, args.workers)
            goal = f"target >= {target:,} /s" if target else ""
            print(
                f"   {name:<24} ours {rate:8.0f} /s   bound (crypto alone, 1 core) "
                f"{1 / per_record:8.0f} /s   {goal}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
