"""MRZ text parsing speed: ours beside PassportEye's parser and PyPI's `mrz` checker.

All three read the same seeded 10,000 MRZ strings (every format) in the same run. PyPI's
`mrz` has a top-level package of the same name as ours, so it runs in a subprocess that
sees only its own install directory (`make bench` puts it in .venv/ref-mrz).

    python bench/mrz_parse.py [--count N] [--seed S] [--repeat R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import mrz

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_MRZ = ROOT / ".venv" / "ref-mrz"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
COUNTRIES = ["UTO", "D", "FRA", "NLD", "GBR", "USA", "CHE", "KEN", "SWE", "JPN", "BRA", "IND"]


def sample_mrzs(count: int, seed: int) -> list[str]:
    """Valid MRZs of every format, built by `mrz.compose` from seeded random fields."""
    rng = random.Random(seed)
    formats = ["TD1", "TD2", "TD3", "MRVA", "MRVB"]
    out = []
    for i in range(count):
        fmt = formats[i % len(formats)]
        code = {"TD1": "I", "TD2": "I", "TD3": "P", "MRVA": "V", "MRVB": "V"}[fmt]
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30000))
        expires = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(5000))
        lines = mrz.compose(
            fmt,
            document_code=code + rng.choice("<" + UPPER),
            issuing_state=rng.choice(COUNTRIES),
            document_number="".join(rng.choices(UPPER + "0123456789", k=9)),
            nationality=rng.choice(COUNTRIES),
            birth_date=born,
            sex=rng.choice("MFX"),
            expiry_date=expires,
            surname="".join(rng.choices(UPPER, k=rng.randint(3, 10))),
            given_names=" ".join(
                "".join(rng.choices(UPPER, k=rng.randint(2, 7))) for _ in range(rng.randint(1, 2))
            ),
            optional_data="".join(rng.choices(UPPER + "0123456789", k=rng.randint(0, 7))),
        )
        out.append("\n".join(lines))
    return out


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """Fastest wall time of `repeat` runs and the count of valid MRZs the run reported."""
    best, valid = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        valid = run()
        best = min(best, time.perf_counter() - start)
    return best, valid


def ours(texts: list[str]) -> int:
    parse = mrz.parse
    return sum(parse(text).valid for text in texts)


def passporteye(texts: list[str]) -> int:
    from passporteye.mrz.text import MRZ

    return sum(bool(MRZ(text.split("\n")).valid) for text in texts)


_REFERENCE_SCRIPT = """
import json, sys, time
from mrz.checker.td1 import TD1CodeChecker
from mrz.checker.td2 import TD2CodeChecker
from mrz.checker.td3 import TD3CodeChecker
from mrz.checker.mrva import MRVACodeChecker
from mrz.checker.mrvb import MRVBCodeChecker
texts = json.load(open(sys.argv[1]))
def checker(text):
    first, length = text[0], text.index("\\n")
    if text.count("\\n") == 2:
        return TD1CodeChecker
    if length == 44:
        return MRVACodeChecker if first == "V" else TD3CodeChecker
    return MRVBCodeChecker if first == "V" else TD2CodeChecker
kinds = [checker(t) for t in texts]
best, valid = float("inf"), 0
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    valid = sum(bool(kind(text)) for kind, text in zip(kinds, texts))
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "valid": valid}))
"""


def pypi_mrz(texts: list[str], repeat: int) -> tuple[float, int] | str:
    if not (REFERENCE_MRZ / "mrz").is_dir():
        return f"not installed in {REFERENCE_MRZ} (run `make bench`)"
    with tempfile.NamedTemporaryFile("w", suffix=".json") as data:
        json.dump(texts, data)
        data.flush()
        env_path = f"import sys; sys.path.insert(0, {str(REFERENCE_MRZ)!r})\n"
        done = subprocess.run(
            [sys.executable, "-I", "-c", env_path + _REFERENCE_SCRIPT, data.name, str(repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(done.stdout)
    return figures["seconds"], figures["valid"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=9303)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = sample_mrzs(args.count, args.seed)
    rows: list[tuple[str, tuple[float, int] | str]] = [
        ("ours (mrz.parse, lenient)", best_of(args.repeat, lambda: ours(texts))),
        ("PassportEye MRZ()", best_of(args.repeat, lambda: passporteye(texts))),
        ("PyPI mrz checker", pypi_mrz(texts, args.repeat)),
    ]
    print(f"{args.count} MRZs (all formats, seed {args.seed}), best of {args.repeat} runs")
    print(f"{'parser':<28} {'MRZ/s':>10} {'us/MRZ':>8} {'valid':>7} {'vs ours':>8}")
    our_rate = args.count / rows[0][1][0]  # type: ignore[index]
    for name, figures in rows:
        if isinstance(figures, str):
            print(f"{name:<28} {figures}")
            continue
        seconds, valid = figures
        rate = args.count / seconds
        print(
            f"{name:<28} {rate:>10,.0f} {1e6 * seconds / args.count:>8.1f} "
            f"{valid:>7} {our_rate / rate:>7.1f}x"
        )
    print("target: >= 50,000 MRZ/s for ours")


if __name__ == "__main__":
    main()
