"""`kiosk run --sim`: a complete kiosk on emulated parts, in a scratch directory.

It provisions a throw-away kiosk (its own central key pair, so the demo's records can be
verified), two accounts (officer `demo` PIN 1234, technician `tech` PIN 4321), a `dir`
transport into `<sim dir>/central-inbox`, and a queue of scripted travellers whose
documents the simulated reader delivers. Nothing here is used outside --sim.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mrz
from kiosk import config as config_module
from kiosk.officers import OfficerStore, Role
from kiosk.provisioning import InitOptions, init

DEMO_ACCOUNTS = (
    ("demo", "Demo Officer", Role.OFFICER, "1234"),
    ("tech", "Demo Technician", Role.TECHNICIAN, "4321"),
)


class SimCounter:
    """The counter's emulated devices, speaking their wire protocols to the real drivers.

    The document reader is a pty peer that frames each traveller's MRZ like a serial
    swipe reader (CR line ends); the UI's driver reads it from the pty like any reader.
    """

    def __init__(self, queue: Iterator[SimTraveller]) -> None:
        from drivers.sim.mrz_reader import MRZReaderEmulator
        from drivers.sim.zhiantec import ZhianTecEmulator

        self.queue = queue
        self.reader = MRZReaderEmulator()
        self.scanner = ZhianTecEmulator()
        self.story = ""
        self.travellers = 0
        self.attempts: dict[int, int] = {}

    def start(self) -> list[Any]:
        from kiosk.devices import DeviceSpec

        self.reader.start()
        self.scanner.start()
        return [
            DeviceSpec("mrz", "mrz-serial", self.reader.path, {"framing": "cr"}),
            DeviceSpec("fingerprint", "zhiantec", self.scanner.path, {}),
        ]

    def present_next_document(self) -> str:
        """The next traveller puts their passport on the reader; returns their story."""
        traveller = next(self.queue)
        self.story = traveller.story
        self.travellers += 1
        self.attempts = {}
        self.reader.send_document(traveller.lines)
        return traveller.story

    def place_finger(self, position: int) -> str:
        """The traveller puts a finger on the scanner: a synthetic print (256x288, what an
        R30x module delivers); every other traveller's first try is smudged."""
        from biometrics.synthetic import degrade, fingerprint

        attempt = self.attempts.get(position, 0) + 1
        self.attempts[position] = attempt
        image = fingerprint(seed=self.travellers * 100 + position, width=256, height=288)
        poor = attempt == 1 and self.travellers % 2 == 0
        if poor:
            image = degrade(image, "smudged", seed=position)
        self.scanner.place_finger(image)
        return "smudged" if poor else "clean"

    def lift_finger(self) -> None:
        self.scanner.lift_finger()

    def stop(self) -> None:
        self.reader.stop()
        self.scanner.stop()


@dataclass(frozen=True)
class SimTraveller:
    """A scripted traveller: the MRZ lines the reader delivers, and why they are here."""

    lines: list[str]
    story: str


def prepare(directory: Path) -> config_module.Config:
    """Provision the scratch kiosk once; later runs reuse it (and its outbox)."""
    config_path = directory / "kiosk.toml"
    if not config_path.exists():
        from outbox.keys import generate_central_key

        directory.mkdir(parents=True, exist_ok=True)
        generate_central_key(directory / "central.key", directory / "central.pub")
        inbox = directory / "central-inbox"
        inbox.mkdir(exist_ok=True)
        init(
            InitOptions(
                config_path=config_path,
                kiosk_id="SIM-1",
                post="UTO-DEMO",
                direction="entry",
                state_dir=directory / "state",
                central_key=directory / "central.pub",
                transport="dir",
                transport_settings={"path": str(inbox)},
            )
        )
        officers = OfficerStore(directory / "state" / "officers.db")
        for officer_id, name, role, pin in DEMO_ACCOUNTS:
            officers.add(officer_id, name, role, pin)
    return config_module.load(config_path)


SURNAMES = ["ERIKSSON", "OKAFOR", "NAKAMURA", "SILVA", "MULLER", "DUBOIS", "KOWALSKA", "HASSAN"]
GIVEN = ["ANNA MARIA", "CHIDI", "YUKI", "JOAO PEDRO", "LENA", "CAMILLE", "ZOFIA", "OMAR"]
STATES = ["UTO", "NGA", "JPN", "BRA", "D", "FRA", "POL", "EGY"]


def travellers(seed: int = 9303, today: dt.date | None = None) -> Iterator[SimTraveller]:
    """An endless, seeded queue; every fourth has something an officer must notice."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    for n in range(10**9):
        index = rng.randrange(len(SURNAMES))
        birth = today - dt.timedelta(days=rng.randrange(20 * 365, 70 * 365))
        expiry = today + dt.timedelta(days=rng.randrange(200, 3000))
        story = "ordinary passport"
        fmt = "TD3"
        if n % 4 == 1:
            fmt, story = "TD1", "identity card"
        elif n % 4 == 2:
            expiry = today - dt.timedelta(days=rng.randrange(10, 400))
            story = "expired passport: needs an override reason"
        elif n % 4 == 3:
            birth = today - dt.timedelta(days=rng.randrange(5 * 365, 16 * 365))
            story = "a minor travelling"
        lines = mrz.compose(
            fmt,
            document_code="P" if fmt == "TD3" else "I",
            issuing_state=STATES[index],
            document_number=f"{rng.choice('CDFGHJKLMN')}{rng.randrange(10**7, 10**8)}",
            nationality=STATES[index],
            birth_date=birth,
            sex=rng.choice("MF"),
            expiry_date=expiry,
            surname=SURNAMES[index],
            given_names=GIVEN[index],
        )
        yield SimTraveller(lines, story)
