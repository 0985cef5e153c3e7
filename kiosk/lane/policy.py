"""The lane's rules, built in one place from the configuration, one default per setting.

    [policy]  fingers, finger_attempts, face_attempts, minor_age, refusal_grounds
    [quality] finger_nfiq2_min, finger_attempts (kept there for older files)
    [ui]      idle_lock_minutes, saved_seconds

A value of the wrong type or out of range is a `ConfigError` naming the file, line and
key, raised when the kiosk starts (and by `provision check` through `Services.build`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.config import Config

# Regulation (EU) 2016/399 (Schengen Borders Code), Annex V part B: the standard form for
# refusal of entry at the border lists the grounds by letter. The wording here is ours,
# close to the form's; a post under another regime configures its own list.
SCHENGEN_GROUNDS: tuple[tuple[str, str], ...] = (
    ("A", "has no valid travel document(s)"),
    ("B", "has a false, counterfeit or forged travel document"),
    ("C", "has no valid visa or residence permit"),
    ("D", "has a false, counterfeit or forged visa or residence permit"),
    ("E", "has no appropriate documentation justifying the purpose and conditions of stay"),
    ("F", "has already stayed 90 days in a 180-day period in the Member States"),
    ("G", "has no sufficient means of subsistence for the stay, or to return or transit"),
    ("H", "is a person for whom an alert for refusal of entry has been issued (SIS or national)"),
    (
        "I",
        "is considered a threat to public policy, internal security, public health or"
        " international relations of a Member State",
    ),
    ("J", "refuses to provide the biometric data required (Entry/Exit System)"),
)
# An over-long ground would not fit the 80-column chooser.
GROUND_MAX = 110


@dataclass(frozen=True)
class Policy:
    face: bool = True  # False on a lane without a face camera
    fingers: tuple[int, ...] = (2, 7)  # ANSI/NIST positions: right and left index
    finger_attempts: int = 3
    finger_threshold: int = 40  # NFIQ 2 score 0-100
    face_attempts: int = 3
    minor_age: int = 18
    refusal_grounds: tuple[tuple[str, str], ...] = SCHENGEN_GROUNDS
    idle_lock_minutes: float = 5.0
    saved_seconds: float = 8.0  # how long "saved: ..." stays on screen

    @classmethod
    def from_config(cls, config: Config, roles: set[str] | None = None) -> Policy:
        """Face and finger steps only where the lane has the devices for them (`roles`;
        None: every step)."""
        default = cls()
        read = _Reader(config)
        fingers = read.fingers()
        grounds = read.grounds()
        has = (lambda role: True) if roles is None else (lambda role: role in roles)
        return cls(
            face=has("face_camera"),
            fingers=fingers if has("fingerprint") else (),
            finger_attempts=read.whole(
                "policy",
                "finger_attempts",
                read.whole("quality", "finger_attempts", default.finger_attempts, 1, 10),
                1,
                10,
            ),
            finger_threshold=read.whole(
                "quality", "finger_nfiq2_min", default.finger_threshold, 0, 100
            ),
            face_attempts=read.whole("policy", "face_attempts", default.face_attempts, 1, 20),
            minor_age=read.whole("policy", "minor_age", default.minor_age, 1, 30),
            refusal_grounds=grounds or default.refusal_grounds,
            idle_lock_minutes=read.number("ui", "idle_lock_minutes", default.idle_lock_minutes),
            saved_seconds=read.number("ui", "saved_seconds", default.saved_seconds),
        )


class _Reader:
    """Values and ranges of the lane's settings; unknown keys were refused by
    `kiosk.config.load` against its schema already."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def _value(self, section: str, key: str, default: Any) -> Any:
        return self.config.get(section, key, default)

    def whole(self, section: str, key: str, default: int, low: int, high: int) -> int:
        value = self._value(section, key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.config.error(
                section, key, f"{value!r}: use a whole number from {low} to {high}"
            )
        return value

    def number(self, section: str, key: str, default: float) -> float:
        value = self._value(section, key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1440:
            raise self.config.error(
                section, key, f"{value!r}: use a number of minutes/seconds above 0, e.g. 5"
            )
        return float(value)

    def fingers(self) -> tuple[int, ...]:
        value = self._value("policy", "fingers", list(Policy.fingers))
        ok = (
            isinstance(value, list)
            and 0 < len(value) <= 10
            and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10 for v in value)
            and len(set(value)) == len(value)
        )
        if not ok:
            raise self.config.error(
                "policy",
                "fingers",
                f"{value!r}: a list of distinct finger positions 1-10, e.g. fingers = [2, 7]",
            )
        return tuple(value)

    def grounds(self) -> tuple[tuple[str, str], ...]:
        """`refusal_grounds = [["A", "has no valid travel document"], ...]`."""
        value = self._value("policy", "refusal_grounds", None)
        if value is None:
            return ()
        problem = (
            'use a list of ["code", "wording"] pairs, e.g. [["A", "no valid travel document"]]'
        )
        if not isinstance(value, list) or not 0 < len(value) <= 26:
            raise self.config.error("policy", "refusal_grounds", f"{problem} (1 to 26 of them)")
        grounds = []
        for item in value:
            if not (
                isinstance(item, list)
                and len(item) == 2
                and all(isinstance(part, str) and part.strip() for part in item)
                and len(item[0]) <= 3
                and len(item[1]) <= GROUND_MAX
            ):
                raise self.config.error("policy", "refusal_grounds", f"{item!r}: {problem}")
            grounds.append((item[0].strip(), item[1].strip()))
        if len({code.upper() for code, _ in grounds}) != len(grounds):
            raise self.config.error("policy", "refusal_grounds", "two grounds share a code")
        return tuple(grounds)
