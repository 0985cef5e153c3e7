"""Where the kiosk meets `alerts`: the `[alerts]` settings, an MRZ as a traveller to check,
and the demo's list (used by `kiosk alerts publish --demo` and, later, by `--sim`).

`[alerts]` (docs/alerts.md):

    store = "/var/lib/border-kiosk/alerts.db"     # default: <state_dir>/alerts.db
    url = "https://central.example/alerts/"      # or nats://HOST:PORT/BUCKET, file:///media/usb/alerts
    root = "/etc/border-kiosk/alerts-root.json"  # the repository's trusted root (1.root.json)
    ca / cert / key                              # https: mutual TLS (default: [forward.https])
    credentials                                  # nats: a .creds file (default: [forward.nats])
    timeout = 30                                 # seconds per download
    interval = 900                               # seconds between syncs of the daemon
    max_age_hours = 36                           # no update for this long: the list is stale
    person_threshold = 85                        # 0-100: a person is a hit from this score
    name_min = 75                                # 0-100: ... and when the name alone reaches this
    candidates = 32                              # listed persons scored per check, at most
    evidence_bits = 20                           # name rarity + date agreement a person hit needs
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from alerts import Entry, Thresholds, Traveller
    from kiosk.config import Config

DEFAULT_ROOT = "/etc/border-kiosk/alerts-root.json"
# Length of the MRZ name field per format: a name filling it may have been truncated.
NAME_FIELD = {"TD1": 30, "TD2": 31, "TD3": 39, "MRVA": 39, "MRVB": 31}

_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "store": (str, '"/var/lib/border-kiosk/alerts.db"'),
    "url": (str, '"https://central.example/alerts/"'),
    "root": (str, f'"{DEFAULT_ROOT}"'),
    "ca": (str, '"/etc/border-kiosk/central-ca.pem"'),
    "cert": (str, '"/etc/border-kiosk/client.pem"'),
    "key": (str, '"/etc/border-kiosk/client.key"'),
    "credentials": (str, '"/etc/border-kiosk/nats.creds"'),
    "timeout": ((int, float), "30"),
    "interval": ((int, float), "900"),
    "max_age_hours": ((int, float), "36"),
    "person_threshold": ((int, float), "85"),
    "name_min": ((int, float), "75"),
    "candidates": (int, "32"),
    "evidence_bits": ((int, float), "20"),
}


def validate(config: Config) -> None:
    """[alerts]: one line per problem, like every other section (called by kiosk.config)."""
    section: dict[str, Any] = config.section("alerts")
    for key, value in section.items():
        if key not in _KEYS:
            raise config.error("alerts", key, f"unknown key; known: {', '.join(sorted(_KEYS))}")
        kind, example = _KEYS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise config.error(
                "alerts", key, f"{value!r} is the wrong type; e.g. {key} = {example}"
            )
        problem = None
        if key == "url" and urlsplit(str(value)).scheme not in ("https", "nats", "tls", "file"):
            problem = "use an https://, nats://HOST:PORT/BUCKET or file:// URL"
        elif key in ("person_threshold", "name_min") and not 0 <= float(str(value)) <= 100:
            problem = "use a number from 0 to 100"
        elif (
            key in ("timeout", "interval", "max_age_hours", "candidates", "evidence_bits")
            and float(str(value)) <= 0
        ):
            problem = "must be greater than 0"
        if problem:
            raise config.error("alerts", key, f"{value!r}: {problem}")


@dataclass(frozen=True)
class AlertSettings:
    store: Path
    url: str | None
    root: Path
    transport: dict[str, Any]  # ca/cert/key (https), credentials (nats), timeout
    interval: float
    max_age: dt.timedelta
    thresholds: Thresholds


def settings(config: Config) -> AlertSettings:
    from alerts import Thresholds

    section = config.section("alerts")
    transport: dict[str, Any] = {"timeout": section.get("timeout", 30)}
    for key, fallback in (("ca", "forward.https"), ("cert", "forward.https"),
                          ("key", "forward.https"), ("credentials", "forward.nats")):  # fmt: skip
        value = section.get(key, config.get(fallback, key))
        if value:
            transport[key] = value
    defaults = Thresholds()
    return AlertSettings(
        store=Path(section.get("store", config.state_dir / "alerts.db")),
        url=section.get("url"),
        root=Path(section.get("root", DEFAULT_ROOT)),
        transport=transport,
        interval=float(section.get("interval", 900)),
        max_age=dt.timedelta(hours=float(section.get("max_age_hours", 36))),
        thresholds=Thresholds(
            person=float(section.get("person_threshold", defaults.person)),
            name_min=float(section.get("name_min", defaults.name_min)),
            candidates=int(section.get("candidates", defaults.candidates)),
            evidence=float(section.get("evidence_bits", defaults.evidence)),
        ),
    )


def traveller_from_mrz(result: Any, today: dt.date | None = None) -> Traveller:
    """The fields `alerts` compares, from an `mrz.MRZResult`."""
    from alerts import Traveller

    birth = result.birth_date.isoformat() if result.birth_date else ""
    raw = result.birth_date_raw or ""
    if not birth and raw[:2].isdigit():
        # the month or day is unknown (<<): compare the year (and month) alone
        today = today or dt.date.today()
        year = 2000 + int(raw[:2])
        if year > today.year:
            year -= 100
        birth = f"{year}-{raw[2:4]}" if raw[2:4].isdigit() else str(year)
    return Traveller(
        surname=result.surname,
        given_names=result.given_names,
        birth_date=birth,
        nationality=result.nationality,
        sex=result.sex or "",
        doc_type=result.document_code,
        doc_state=result.issuing_state,
        doc_number=result.document_number,
        name_field=NAME_FIELD.get(result.format),
    )


# -- the demo list ------------------------------------------------------------------------
DEMO_STOLEN: dict[str, str] = {
    "document_number": "D23145890",
    "issuing_state": "UTO",
    "surname": "ERIKSSON",
    "given_names": "ANNA MARIA",
    "birth_date": "1974-08-12",
    "sex": "F",
}
DEMO_PERSON_MRZ: dict[str, str] = {
    "document_number": "A12873465",
    "issuing_state": "EGY",
    "surname": "ALHASAN",
    "given_names": "MOHAMED ABDELRAHMAN",
    "birth_date": "1981-07-14",
    "sex": "M",
}


def demo_list() -> list[Entry]:
    """The demo's list: a passport reported stolen, and a person listed under the spelling
    of a watch list while his passport's MRZ prints another one."""
    from alerts import Entry

    return [
        Entry(
            list_id="SLTD",
            reference="DEMO-SLTD-0001",
            category="document",
            action="deny",
            doc_type="P",
            doc_state=DEMO_STOLEN["issuing_state"],
            doc_number=DEMO_STOLEN["document_number"],
            note="Passport reported stolen on 2026-03-02 (demo). Retain the document.",
        ),
        Entry(
            list_id="NATIONAL-WATCH",
            reference="DEMO-NW-0042",
            category="person",
            action="refer",
            surname="AL-HASSAN",
            given_names="Muhammad Abdul Rahman",
            birth_date=DEMO_PERSON_MRZ["birth_date"],
            nationality="EGY",
            sex="M",
            note="Refer to second line: witness sought in case 2026/114 (demo).",
        ),
    ]


def demo_travellers(today: dt.date | None = None) -> list[list[str]]:
    """MRZ lines of the two listed demo travellers (TD3 passports, valid check digits)."""
    import mrz

    today = today or dt.date.today()
    expiry = today + dt.timedelta(days=3 * 365)
    return [
        mrz.compose(
            "TD3",
            document_code="P",
            issuing_state=fields["issuing_state"],
            nationality=fields["issuing_state"],
            document_number=fields["document_number"],
            birth_date=dt.date.fromisoformat(fields["birth_date"]),
            sex=fields["sex"],
            expiry_date=expiry,
            surname=fields["surname"],
            given_names=fields["given_names"],
        )
        for fields in (DEMO_STOLEN, DEMO_PERSON_MRZ)
    ]
