"""`kiosk biometrics face|finger|match`: face and fingerprint quality of images (issue #5),
1:1 face verification against a reference portrait (issue #16)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.commands import Subparsers

log = logging.getLogger(__name__)


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "biometrics", help="face and fingerprint quality of images; 1:1 face verification"
    )
    actions = parser.add_subparsers(dest="biometrics_command", metavar="ACTION")
    actions.required = True
    face = actions.add_parser("face", help="ICAO face quality of photos (one line per image)")
    face.add_argument("images", nargs="+", metavar="IMAGE")
    face.add_argument("--json", action="store_true", help="one JSON object per image")
    face.add_argument(
        "--portrait", metavar="DIR", type=Path, help="also write the ICAO token portrait (JPEG)"
    )
    face.set_defaults(func=_face)
    finger = actions.add_parser("finger", help="NFIQ 2 quality of fingerprint images")
    finger.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/BMP/TIFF/... or WSQ")
    finger.add_argument("--json", action="store_true", help="one JSON object per image")
    finger.add_argument(
        "--threshold", type=int, default=40, help="NFIQ 2 pass threshold, 0-100 (default 40)"
    )
    finger.add_argument("--ppi", type=float, default=500.0, help="scan resolution (default 500)")
    finger.set_defaults(func=_finger)
    match = actions.add_parser(
        "match", help="1:1 face verification: is each probe the person in the reference?"
    )
    match.add_argument("reference", metavar="REFERENCE", help="the document's portrait")
    match.add_argument("probes", nargs="+", metavar="PROBE", help="live captures to compare")
    match.add_argument("--json", action="store_true", help="one JSON object per probe")
    match.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="score threshold, 0-1 (default 0.40: dlib's documented distance of 0.6)",
    )
    match.set_defaults(func=_match)


def _emit(args: argparse.Namespace, path: str, result: dict[str, Any], summary: str) -> None:
    if args.json:
        print(json.dumps({"file": path, **result}, sort_keys=False))
    else:
        print(f"{path}: {summary}")


def _read_each(paths: list[str], errors: list[str]) -> Iterator[tuple[str, bytes]]:
    """Each file's bytes; a file that cannot be read becomes one error line, not a stop."""
    for path in paths:
        try:
            yield path, Path(path).read_bytes()
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror or exc}")


def _decode(raw: bytes, flags: int) -> Any:
    """The image in `raw`, or None when OpenCV cannot read it (empty files included)."""
    import cv2
    import numpy as np

    if not raw:
        return None
    try:
        decoded = cv2.imdecode(np.frombuffer(raw, np.uint8), flags)
    except cv2.error:
        return None
    return None if decoded is None else np.asarray(decoded, dtype=np.uint8)


def _errors(errors: list[str]) -> int:
    for message in errors:
        print(f"kiosk: error: {message}", file=sys.stderr)
    return 1 if errors else 0


def _face(args: argparse.Namespace) -> int:
    import cv2

    from biometrics import BiometricsError
    from biometrics.face import FaceAssessor
    from biometrics.portrait import encode, token_portrait

    assessor = FaceAssessor()
    errors: list[str] = []
    for path, raw in _read_each(args.images, errors):
        frame = _decode(raw, cv2.IMREAD_COLOR)
        if frame is None:
            what = "empty file" if not raw else "not an image OpenCV reads"
            errors.append(f"{path}: cannot read image ({what})")
            continue
        try:
            result = assessor.assess(frame)
            out = result.to_dict()
            if args.portrait is not None and result.eyes is not None and result.faces >= 1:
                args.portrait.mkdir(parents=True, exist_ok=True)
                target = args.portrait / (Path(path).stem + ".portrait.jpg")
                target.write_bytes(encode(token_portrait(frame, *result.eyes)))
                out["portrait"] = str(target)
        except BiometricsError as exc:
            errors.append(f"{path}: {exc}")
            continue
        failing = ", ".join(result.failing()) or "none"
        _emit(args, path, out, f"{out['verdict']} - {result.instruction} (failing: {failing})")
    return _errors(errors)


def _finger(args: argparse.Namespace) -> int:
    import cv2

    from biometrics import BiometricsError
    from biometrics.finger import FingerAssessor
    from biometrics.formats import wsq_decode

    assessor = FingerAssessor(threshold=args.threshold, ppi=args.ppi)
    errors: list[str] = []
    for path, raw in _read_each(args.images, errors):
        try:
            if raw[:2] == b"\xff\xa0":
                image = wsq_decode(raw)
            else:
                image = _decode(raw, cv2.IMREAD_GRAYSCALE)
                if image is None:
                    what = "empty file" if not raw else "not an image OpenCV or WSQ reads"
                    raise BiometricsError(f"cannot read image ({what})")
            quality = assessor.assess(image)
        except BiometricsError as exc:
            errors.append(f"{path}: {exc}")
            continue
        out = quality.to_dict()
        _emit(args, path, out, f"{out['verdict']} - NFIQ 2 {quality.score}")
    return _errors(errors)


def _match(args: argparse.Namespace) -> int:
    import cv2

    from biometrics import BiometricsError
    from biometrics.verify import FaceMatcher

    if args.threshold is not None and not 0.0 < args.threshold < 1.0:
        print(f"kiosk: error: --threshold must be between 0 and 1, got {args.threshold}",
              file=sys.stderr)  # fmt: skip
        return 1
    errors: list[str] = []
    reference = None
    for path, raw in _read_each([args.reference], errors):
        reference = _decode(raw, cv2.IMREAD_COLOR)
        if reference is None:
            errors.append(f"{path}: cannot read the reference image")
    if reference is None:
        return _errors(errors)
    try:
        matcher = FaceMatcher(1.0 - args.threshold if args.threshold is not None else 0.6)
        ref = matcher.descriptor(reference)
    except BiometricsError as exc:
        errors.append(f"{args.reference}: {exc}")
        return _errors(errors)
    if ref is None:
        errors.append(f"{args.reference}: no face found in the reference portrait")
        return _errors(errors)
    for path, raw in _read_each(args.probes, errors):
        probe = _decode(raw, cv2.IMREAD_COLOR)
        if probe is None:
            errors.append(
                f"{path}: cannot read image ({'empty file' if not raw else 'not an image'})"
            )
            continue
        try:
            result = matcher.compare(ref, probe)
        except BiometricsError as exc:
            errors.append(f"{path}: {exc}")
            continue
        out = {"reference": args.reference, **result.to_dict()}
        if args.threshold is not None:
            out["operating_point"] = {
                "distance_threshold": round(matcher.distance_threshold, 4),
                "false_match_rate": "not published for this threshold",
                "source": "set with --threshold; dlib publishes only distance 0.6",
            }
        point = out["operating_point"]
        if result.score is None:
            summary = f"{result.decision} ({result.reason})"
        else:
            summary = (
                f"{result.decision} - score {result.score:.3f}, threshold "
                f"{result.threshold:.2f} (false-match rate {point['false_match_rate']})"
            )
        _emit(args, path, out, summary)
    return _errors(errors)
