"""Benchmark: our OCR-B reader vs PassportEye on the same seeded synthetic images.

Prints, for both readers in the same run: images read exactly (all lines equal to the truth
and reported valid), valid-but-wrong reads (must be 0 for ours), no-MRZ answers, and median /
95th-percentile time per image; then the accuracy per damage kind. Usage:

    python bench/mrz_scan.py [--images 500] [--seed 424242] [--baseline-images N]
                             [--small-images N]

PassportEye is slow (seconds per image), so `--baseline-images` lets it run on the first N
images only; its figures then cover those N, and ours are also shown for the same N.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from mrz import synthetic
from mrz.image.passporteye_reader import read_image_passporteye
from mrz.image.reader import ImageRead, read_image


@dataclass
class Tally:
    exact: int = 0
    wrong_valid: int = 0
    not_found: int = 0
    withheld: int = 0  # read right, but not reported valid (confidence gate, width doubt)
    count: int = 0
    times: list[float] = field(default_factory=list)

    def add(self, read: ImageRead, truth: list[str]) -> bool:
        self.count += 1
        self.times.append(read.elapsed_ms)
        ok = read.result is not None and read.result.valid and read.result.lines == truth
        self.exact += ok
        self.wrong_valid += bool(read.valid and not ok)
        self.not_found += read.result is None
        self.withheld += bool(not ok and read.result is not None and read.result.lines == truth)
        return ok

    def row(self, name: str) -> str:
        t = np.array(self.times or [0.0])
        return (
            f"{name:<12} {self.count:>5} {100 * self.exact / max(1, self.count):>7.1f}% "
            f"{self.wrong_valid:>11} {self.not_found:>9} {statistics.median(t):>10.1f} "
            f"{np.percentile(t, 95):>9.1f}"
        )

    def misses(self, name: str) -> str:
        """Why images were not read exactly: not located, read right but withheld, misread."""
        misread = self.count - self.exact - self.not_found - self.withheld
        return (
            f"{name}: {self.count - self.exact} misses: {self.not_found} no MRZ located, "
            f"{self.withheld} read right but withheld as not valid, {misread} misread"
        )


HEADER = (
    f"{'reader':<12} {'images':>5} {'exact':>8} {'wrong+valid':>11} {'no MRZ':>9} "
    f"{'median ms':>10} {'p95 ms':>9}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--seed", type=int, default=424242)
    parser.add_argument("--baseline-images", type=int, default=100)
    parser.add_argument(
        "--small-images",
        type=int,
        default=200,
        help="a harder extra set, ours only: all print 14-20 px high, mostly blurred",
    )
    args = parser.parse_args()
    ours, ours_sub, theirs = Tally(), Tally(), Tally()
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    read_image(synthetic.blank(0))  # load the model outside the timings
    t0 = time.perf_counter()
    for i, sample in enumerate(synthetic.iter_dataset(args.images, args.seed)):
        read = read_image(sample.image)
        ok = ours.add(read, sample.lines)
        d = sample.degradation
        kinds = [k for k in synthetic.KINDS if k != "scale" and getattr(d, k)]
        if d.char_height < 20:
            kinds.append("small(<20px)")
        for kind in kinds or ["none"]:
            per_kind[kind][0] += ok
            per_kind[kind][1] += 1
        if i < args.baseline_images:
            ours_sub.add(read, sample.lines)
            theirs.add(read_image_passporteye(sample.image), sample.lines)
    print(f"synthetic set: {args.images} images, seed {args.seed}, {time.perf_counter() - t0:.0f}s")
    print(HEADER)
    print(ours.row("ours"))
    print(f"-- same first {theirs.count} images for both readers --")
    print(ours_sub.row("ours"))
    print(theirs.row("passporteye"))
    if theirs.count and ours_sub.times:
        ratio = statistics.median(ours_sub.times) / max(1e-9, statistics.median(theirs.times))
        gain = 100 * (ours_sub.exact - theirs.exact) / theirs.count
        print(f"median time ratio ours/passporteye: {ratio:.3f}; accuracy gain: {gain:+.1f} points")
    print(ours.misses("ours"))
    print(theirs.misses("passporteye"))
    print("ours, exact reads per damage kind (an image may have several):")
    for kind, (good, total) in sorted(per_kind.items()):
        print(f"  {kind:<14} {good:>4}/{total:<4} {100 * good / total:6.1f}%")
    if args.small_images:
        small = Tally()
        for sample in synthetic.iter_small_print(args.small_images, args.seed + 1):
            small.add(read_image(sample.image), sample.lines)
        print(f"harder set, ours only: small blurred print, seed {args.seed + 1}")
        print(HEADER)
        print(small.row("ours"))
        print(small.misses("ours"))


if __name__ == "__main__":
    main()
