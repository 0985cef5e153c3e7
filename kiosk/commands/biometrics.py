"""`kiosk biometrics face|finger IMAGE...`: face and fingerprint quality of images (issue #5)."""

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
    parser = subparsers.add_parser("biometrics", help="face and fingerprint quality of images")
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


def _errors(errors: list[str]) -> int:
    for message in errors:
        print(f"kiosk: error: {message}", file=sys.stderr)
    return 1 if errors else 0


def _face(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from biometrics import BiometricsError
    from biometrics.face import FaceAssessor
    from biometrics.portrait import encode, token_portrait

    assessor = FaceAssessor()
    errors: list[str] = []
    for path, raw in _read_each(args.images, errors):
        decoded = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            errors.append(f"{path}: cannot read image (not an image OpenCV reads)")
            continue
        frame = np.asarray(decoded, dtype=np.uint8)
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
    import numpy as np

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
                decoded = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_GRAYSCALE)
                if decoded is None:
                    raise BiometricsError("cannot read image (not an image OpenCV or WSQ reads)")
                image = np.asarray(decoded, dtype=np.uint8)
            quality = assessor.assess(image)
        except BiometricsError as exc:
            errors.append(f"{path}: {exc}")
            continue
        out = quality.to_dict()
        _emit(args, path, out, f"{out['verdict']} - NFIQ 2 {quality.score}")
    return _errors(errors)
