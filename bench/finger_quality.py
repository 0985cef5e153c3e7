"""NFIQ 2 time per image through our FingerAssessor vs a bare nbis-py call, same images.

The reference is the same NIST code called directly (PNG bytes -> minutiae -> quality), so
the ratio shows what our wrapper costs. WSQ encode/decode times are printed alongside.
"""

from __future__ import annotations

import statistics
import sys
import time

import cv2
import nbis

from biometrics import formats, synthetic
from biometrics.finger import FingerAssessor

N = 20


def main() -> int:
    prints = [synthetic.fingerprint(seed) for seed in range(N)]
    pngs = [cv2.imencode(".png", p)[1].tobytes() for p in prints]
    assessor = FingerAssessor()
    assessor.assess(prints[0])

    start = time.perf_counter()
    ours = [assessor.assess(p).score for p in prints]
    ours_s = (time.perf_counter() - start) / N

    settings = nbis.NbisExtractorSettings(
        min_quality=0.0, get_center=False, check_fingerprint=True, compute_nfiq2=True, ppi=500.0
    )
    ex = nbis.new_nbis_extractor(settings)
    ex.extract_minutiae(pngs[0]).quality()
    start = time.perf_counter()
    ref = [ex.extract_minutiae(b).quality().score for b in pngs]
    ref_s = (time.perf_counter() - start) / N

    start = time.perf_counter()
    blobs = [formats.wsq_encode(p) for p in prints]
    enc_s = (time.perf_counter() - start) / N
    start = time.perf_counter()
    for b in blobs:
        formats.wsq_decode(b)
    dec_s = (time.perf_counter() - start) / N

    start = time.perf_counter()
    for seed in range(5):
        synthetic.fingerprint(seed)
    gen_s = (time.perf_counter() - start) / 5

    print(f"{N} synthetic prints 256x320 @500 ppi")
    print(f"NFIQ 2 per image, ours (FingerAssessor): {ours_s * 1000:7.1f} ms")
    print(f"NFIQ 2 per image, bare nbis-py (ref):    {ref_s * 1000:7.1f} ms")
    print(f"ratio ours/ref: {ours_s / ref_s:.2f}; same scores: {ours == ref}")
    print(f"scores: median {statistics.median(ours)}, min {min(ours)}, max {max(ours)}")
    print(f"WSQ encode {enc_s * 1000:.1f} ms, decode {dec_s * 1000:.1f} ms per image")
    print(f"synthetic generator: {gen_s * 1000:.0f} ms per print")

    # Real images that are not fingerprints (scikit-image ships them): NFIQ 2's own
    # fingerprint check must give 0; with it off they scored 27 (face) and 38 (cup).
    from skimage import data

    unchecked = nbis.new_nbis_extractor(
        nbis.NbisExtractorSettings(
            min_quality=0.0, get_center=False, check_fingerprint=False, compute_nfiq2=True,
            ppi=500.0,
        )
    )  # fmt: skip
    failed = 0
    for name in ("astronaut", "coffee", "camera", "coins"):
        rgb = getattr(data, name)()
        gray = rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        score = assessor.assess(gray).score
        without = unchecked.extract_minutiae(cv2.imencode(".png", gray)[1].tobytes())
        print(
            f"non-print {name:9s}: ours {score:3d} (check on), NFIQ 2 with its check off "
            f"{without.quality().score:3d}"
        )
        failed |= score != 0
    return failed


if __name__ == "__main__":
    sys.exit(main())
