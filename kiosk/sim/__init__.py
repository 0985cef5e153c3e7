"""`kiosk run --sim`: a complete kiosk on emulated parts, in a scratch directory.

It provisions a throw-away kiosk (its own central key pair, so the demo's records can be
verified), two accounts (officer `demo` PIN 123456, technician `tech` PIN 654321), a `dir`
transport into `<sim dir>/central-inbox`, and a queue of scripted travellers whose
documents the simulated reader delivers. Only `kiosk run --sim` and the tests import this
package (tests/test_layering.py holds the production path to that).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mrz
from kiosk import config as config_module
from kiosk.officers import OfficerStore, Role
from kiosk.provisioning import InitOptions, init

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = (
    ("demo", "Demo Officer", Role.OFFICER, "123456"),
    ("tech", "Demo Technician", Role.TECHNICIAN, "654321"),
)


class SimCounter:
    """The counter's emulated devices, speaking their wire protocols to the real drivers.

    The document reader is a pty peer that frames each traveller's MRZ like a serial
    swipe reader (CR line ends); the UI's driver reads it from the pty like any reader.
    """

    def __init__(
        self,
        queue: Iterator[SimTraveller],
        faces: Path,
        forward: Path | None = None,
        alerts: config_module.Config | None = None,
    ) -> None:
        import threading

        from drivers.sim.camera import SceneCamera
        from drivers.sim.mrz_reader import MRZReaderEmulator
        from drivers.sim.zhiantec import ZhianTecEmulator

        self.queue = queue
        self.reader = MRZReaderEmulator()
        self.scanner = ZhianTecEmulator()
        self.camera = SceneCamera(length=4)
        self.scenes = FaceScenes(self.camera, faces)
        self.story = ""
        self.travellers = 0
        self.attempts: dict[int, int] = {}
        self.forward_config = forward
        self.chip_reader = SimChipReader()
        self.trust_dir = faces.parent / "csca"  # the demo kiosk's STATE_DIR/csca
        self.forwarder: Any = None
        self._forward_timer: Any = None
        self.alerts_config = alerts  # the kiosk whose store gets the demo's alert list
        self.alerts_loaded = threading.Event()
        self._upcoming: tuple[SimTraveller, Future[Any]] | None = None
        self._chip_maker = ThreadPoolExecutor(1, thread_name_prefix="sim chip")

    def start(self) -> list[Any]:
        from kiosk.lane.devices import DeviceSpec
        from kiosk.sim.issuer import default_pki

        default_pki().write_trust(self.trust_dir)  # the demo issuer's CSCA: chips check out
        self._prepare_next()
        if self.alerts_config is not None:  # while the login screen comes up (~0.5 s)
            import threading

            threading.Thread(target=self._load_alerts, name="sim alert list", daemon=True).start()
        else:
            self.alerts_loaded.set()
        self.reader.start()
        self.scanner.start()
        self.scenes.start()
        if self.forward_config is not None:
            import threading

            # After the login screen is up: its imports would compete with the UI's start.
            self._forward_timer = threading.Timer(3.0, self._start_forwarder)
            self._forward_timer.daemon = True
            self._forward_timer.start()
        camera = {"loop": True, "fps": CAMERA_FPS, "width": None, "height": None}
        return [
            DeviceSpec("mrz", "mrz-serial", self.reader.path, {"framing": "cr"}),
            DeviceSpec("face_camera", "camera", self.camera.path, camera),
            DeviceSpec("fingerprint", "zhiantec", self.scanner.path, {}),
        ]

    def attach(self, capture: Any) -> None:
        """Follow the lane as a traveller would: step to the camera for the face step,
        lift the finger once the scanner's image was taken. The chip reader is in-process
        (the passport emulator behind the driver's `transceive` seam, no pcscd)."""
        from emrtd.trust import TrustStore
        from kiosk.lane.chip import ChipStep

        capture.pipeline.observers.append(self.pipeline_changed)
        capture.notices.append(self.lane_notice)
        step = ChipStep(
            capture.pipeline, lambda: self.chip_reader, lambda: TrustStore.load(self.trust_dir)
        )
        capture.after_document.append(step)
        from kiosk.lane.alerts import AlertStep

        steps = capture.after_document
        steps[:] = [AfterListLoaded(s, self.alerts_loaded) if isinstance(s, AlertStep) else s
                    for s in steps]  # fmt: skip

    def _load_alerts(self) -> None:
        """In another process (TUF and its crypto stay out of the kiosk's memory and off
        its event loop); this thread only waits for it."""
        import os
        import subprocess
        import sys

        assert self.alerts_config is not None
        script = (
            "import sys, pathlib; from kiosk import config, sim;"
            " sim.load_demo_alerts(config.load(pathlib.Path(sys.argv[1])))"
        )
        try:
            done = subprocess.run(
                [sys.executable, "-c", script, str(self.alerts_config.path)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
                preexec_fn=lambda: os.nice(10),  # the UI and the quality worker go first
            )
            if done.returncode != 0:  # the lane shows the list as missing: a banner
                reason = (done.stderr.strip().splitlines() or ["?"])[-1]
                log.warning("the demo alert list was not loaded: %s", reason)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("the demo alert list was not loaded: %s", exc)
        finally:
            self.alerts_loaded.set()

    def lane_notice(self, notice: Any) -> None:
        if notice.kind == "finger done":
            self.lift_finger()

    def pipeline_changed(self, pipeline: Any) -> None:
        """(A pipeline observer.) The traveller steps in front of the camera when the face
        step begins and away when it ends; what the camera sees is this traveller's story."""
        from kiosk.lane.pipeline import State

        at_camera = pipeline.state is State.FACE
        if at_camera != self.scenes.occupied:
            if at_camera:
                self.scenes.step_in(self.travellers)
            else:
                self.scenes.step_out()

    def present_next_document(self) -> str:
        """The next traveller puts their passport on the reader; returns their story."""
        if self._upcoming is None:
            self._prepare_next()
        assert self._upcoming is not None
        traveller, chip = self._upcoming
        self.story = traveller.story
        self.travellers += 1
        self.attempts = {}
        self.chip_reader.chip = chip.result()
        self.reader.send_document(traveller.lines)
        self._prepare_next()
        return traveller.story

    def _prepare_next(self) -> None:
        """Issue the next traveller's chip in a thread while this one is served: signing
        the SOD and encoding the portrait (~0.3 s, more the first time) would otherwise
        hold the officer's screen when the key that presents the document is pressed."""
        traveller = next(self.queue)
        self._upcoming = (traveller, self._chip_maker.submit(passport_chip, traveller))

    def place_finger(self, position: int) -> str:
        """The traveller puts a finger on the scanner: a synthetic print (256x288, what an
        R30x module delivers); every other traveller's first try is a wet finger put down
        off-centre (NFIQ 2 0-25 after the module's 4-bit transfer, below any sensible
        threshold; one degradation alone often still scored 40 or more)."""
        from biometrics.synthetic import degrade, fingerprint

        attempt = self.attempts.get(position, 0) + 1
        self.attempts[position] = attempt
        image = fingerprint(seed=self.travellers * 100 + position, width=256, height=288)
        poor = attempt == 1 and self.travellers % 2 == 0
        if poor:
            image = degrade(degrade(image, "wet", seed=position), "partial", seed=position)
        self.scanner.place_finger(image)
        return "wet, off-centre" if poor else "clean"

    def lift_finger(self) -> None:
        self.scanner.lift_finger()

    def _start_forwarder(self) -> None:
        """The real forwarder daemon (`kiosk forward`) on the demo's `dir` transport, so
        the status bar shows a link the forwarder reports, as at a real post."""
        import subprocess
        import sys

        self.forwarder = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "forward", "--config", str(self.forward_config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self._forward_timer is not None:
            self._forward_timer.cancel()
        if self.forwarder is not None:
            self.forwarder.terminate()
            try:
                self.forwarder.wait(5)
            except Exception:
                self.forwarder.kill()
        self._chip_maker.shutdown(wait=False, cancel_futures=True)
        self.reader.stop()
        self.scanner.stop()
        self.scenes.stop()
        self.camera.stop()


class AfterListLoaded:
    """The lane's alert step, once the demo's list is in the store (loaded in a thread
    while the kiosk starts: at most a moment for a document read at once)."""

    def __init__(self, step: Any, loaded: Any) -> None:
        self.step = step
        self.loaded = loaded

    async def __call__(self, document: Any) -> Any:
        import asyncio

        if not self.loaded.is_set():
            await asyncio.to_thread(self.loaded.wait, 30)
        return await self.step(document)


class SimChipReader:
    """The counter's chip reader, in-process: what `kiosk.chip.read_document` needs of a
    `drivers.pcsc.PCSCReader` (wait for the card, `transceive`), answered by the passport
    emulator of drivers/sim/passport.py lying on it. (pcscd with vpcd needs its own mount
    namespace, which the tests set up but a demo cannot count on.)"""

    def __init__(self) -> None:
        self.chip: Any = None  # the PassportChip on the reader, or None

    def wait_for_card(self, timeout: float) -> bytes:
        from drivers import DeviceTimeout

        if self.chip is None:
            time.sleep(min(timeout, 1.0))
            raise DeviceTimeout("no chip answered on the reader")
        self.chip.power(True)  # a fresh connection: no session left from a previous read
        return bytes(self.chip.atr)

    def transceive(self, apdu: bytes) -> bytes:
        chip = self.chip
        if chip is None:
            raise ConnectionError("card removed")
        return bytes(chip.apdu(apdu))

    def disconnect(self) -> None:
        pass

    def wait_for_removal(self, timeout: float) -> bool:
        return True


def passport_chip(traveller: SimTraveller) -> Any:
    """The traveller's chip, issued by the demo state (kiosk.sim.issuer) over their MRZ;
    a forged one has its DG2 changed after the SOD was signed."""
    from drivers.sim.passport import PassportChip
    from emrtd.keys import MRZKey
    from kiosk.sim.issuer import make_passport, portrait_jpeg

    parsed = mrz.parse(traveller.lines)
    key = MRZKey(parsed.document_number, parsed.birth_date_raw, parsed.expiry_date_raw)
    passport = make_passport(
        lines=tuple(traveller.lines),
        key=key,
        forge_dg2=traveller.forged_chip,
        can=None,
        portrait=portrait_jpeg(person=traveller.portrait),
    )
    return PassportChip(passport.profile)


CAMERA_FPS = 10.0
FAULT_SECONDS = 1.5  # how long a traveller's first frames are poor


class FaceScenes:
    """What the simulated face camera sees: an empty counter, or the traveller at the
    counter with a realistic fault first (too dark, too far), then a good pose.

    The portraits are made from the astronaut photo that scikit-image ships (nothing
    downloaded), on a plain wall; a few jittered variants make the preview live. They are
    rendered once, by a separate process (scikit-image would add ~60 MB to the kiosk), into
    `faces` (PNG), and read from there. `hold_fault` keeps the fault on screen until
    cleared (tests of the officer's manual capture).
    """

    STORIES = ("lamp off: too dark at first", "stands too far back at first", "good at once")

    def __init__(self, camera: Any, faces: Path) -> None:
        import queue
        import threading

        self.camera = camera
        self.faces = faces
        self.occupied = False
        self.hold_fault = False
        self.story = ""
        self._commands: queue.Queue[int | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sim face camera", daemon=True)
        self._faces: dict[str, list[Any]] | None = None
        self._wall: list[Any] = []
        self._stopped = threading.Event()

    def start(self) -> None:
        import numpy as np

        self._wall = [np.full((480, 640, 3), WALL, np.uint8)]
        self.camera.show(self._wall)
        self._thread.start()

    def step_in(self, traveller: int) -> None:
        self.occupied = True
        self._commands.put(traveller)

    def step_out(self) -> None:
        self.occupied = False
        self._commands.put(-1)

    def stop(self) -> None:
        self._stopped.set()
        self._commands.put(None)
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        import queue

        # At once: a first run renders the portraits in another process (~2 s).
        command: int | None = None
        self._faces = self._build()
        while not self._stopped.is_set():
            if command is None:
                try:
                    command = self._commands.get(timeout=0.1)
                except queue.Empty:
                    continue
                if command is None:
                    return
            traveller, command = command, None
            if traveller < 0:
                self.camera.show(self._wall)
                continue
            kind = ("dark", "far", "good")[(traveller - 1) % 3]
            self.story = self.STORIES[(traveller - 1) % 3]
            self.camera.show(self._faces[kind] if self._faces else self._wall)
            if kind == "good":
                continue
            deadline = time.monotonic() + FAULT_SECONDS
            while self.hold_fault or time.monotonic() < deadline:
                try:
                    command = self._commands.get(timeout=0.05)
                    break  # the traveller left before the fault was fixed
                except queue.Empty:
                    continue
            if command is None and self._faces:
                self.camera.show(self._faces["good"])

    def _build(self) -> dict[str, list[Any]] | None:
        import subprocess
        import sys

        import cv2

        names = [f"{kind}_{i}.png" for kind in FACE_KINDS for i in range(len(JITTER))]
        if not all((self.faces / name).exists() for name in names):
            script = "import sys; from kiosk.sim import render_faces; render_faces(sys.argv[1])"
            render = subprocess.Popen(
                [sys.executable, "-c", script, str(self.faces)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            while render.poll() is None:
                if self._stopped.wait(0.1):  # the kiosk closes before the faces are ready
                    render.kill()
                    render.wait()
                    return None
            if render.returncode != 0:
                assert render.stderr is not None
                reason = render.stderr.read().strip().splitlines()[-1:] or ["?"]
                log.warning("demo faces not rendered (%s): the camera shows no face", reason[0])
                return None
        return {
            kind: [
                cv2.imread(str(self.faces / f"{kind}_{i}.png"), cv2.IMREAD_COLOR)
                for i in range(len(JITTER))
            ]
            for kind in FACE_KINDS
        }


WALL = (188, 182, 176)  # BGR, a light grey wall


FACE_KINDS = ("good", "dark", "far")
JITTER = [(0, 0), (3, 1), (-2, 2), (1, -2)]


def render_faces(directory: str) -> None:
    """Write the demo traveller's frames as PNG files (run in its own process)."""
    import cv2

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for kind, frames in face_frames().items():
        for index, frame in enumerate(frames):
            target = out / f"{kind}_{index}.png"
            cv2.imwrite(str(out / f".{kind}_{index}.tmp.png"), frame)
            (out / f".{kind}_{index}.tmp.png").replace(target)


def face_frames() -> dict[str, list[Any]]:
    """Jittered frames of a traveller (the astronaut's head) at a webcam: good, dark, far."""
    import cv2
    import numpy as np
    from skimage import data

    rgb = data.astronaut()
    head = cv2.cvtColor(rgb[20:205, 140:310], cv2.COLOR_RGB2BGR)
    rng = np.random.default_rng(7)

    def person(scale: float, dx: int, dy: int, gain: float) -> Any:
        canvas = np.empty((480, 640, 3), np.uint8)
        canvas[:] = WALL
        src = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        sh, sw = src.shape[:2]
        mask = np.zeros((sh, sw), np.float32)
        cv2.ellipse(mask, (sw // 2, sh // 2), (int(sw * 0.46), sh // 2), 0, 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), 3)[..., None]
        x0, y0 = 320 + dx - sw // 2, 240 + dy - sh // 2
        xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + sw, 640), min(y0 + sh, 480)
        part = src[ya - y0 : yb - y0, xa - x0 : xb - x0].astype(np.float32)
        m = mask[ya - y0 : yb - y0, xa - x0 : xb - x0]
        wall = canvas[ya:yb, xa:xb].astype(np.float32)
        canvas[ya:yb, xa:xb] = (part * m + wall * (1 - m)).astype(np.uint8)
        noisy = canvas.astype(np.float32) * gain + rng.normal(0, 2.0, canvas.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8)

    return {
        "good": [person(2.0, dx, dy, 1.0) for dx, dy in JITTER],
        "dark": [person(2.0, dx, dy, 0.3) for dx, dy in JITTER],
        "far": [person(1.0, dx, dy, 1.0) for dx, dy in JITTER],
    }


def load_demo_alerts(config: config_module.Config) -> int:
    """The demo's alert list (kiosk.alerting.demo_list), published as a signed TUF
    repository beside the demo kiosk and synced into its store the way `kiosk alerts
    sync` does (from a directory, as from removable media). The timestamp is re-signed on
    every start, so the demo list stays current. Returns the list's version."""
    from alerts import Store
    from alerts.entries import write_csv
    from alerts.fetchers import make_fetcher
    from alerts.publish import Repository, create_keys
    from alerts.update import Client
    from kiosk.alerting import demo_list, settings

    sim_dir = config.path.parent
    keys, repo = sim_dir / "alerts-keys", sim_dir / "alerts-repo"
    if not keys.exists():
        create_keys(keys)
    repository = Repository(repo, keys)
    if (repo / "metadata" / "1.root.json").exists():
        repository.refresh()
    else:
        source = sim_dir / "alerts-demo.csv"
        source.write_text(write_csv(("upsert", e) for e in demo_list()))
        repository.publish(source)
    opts = settings(config)
    url = repo.resolve().as_uri()
    store = Store(opts.store)
    try:
        client = Client(
            store,
            url,
            repo / "metadata" / "1.root.json",
            opts.store.parent / "alerts-tuf",
            make_fetcher(url, opts.transport),
        )
        return client.sync().version
    finally:
        store.close()


def counter(
    config: config_module.Config,
    seed: int = 9303,
    today: dt.date | None = None,
    forward: bool = False,
) -> SimCounter:
    """The demo counter for a kiosk made by `prepare` (faces cached in its state dir; the
    demo's alert list is loaded when it starts); `forward`: run the forwarder daemon
    beside it, as `kiosk run --sim` does."""
    return SimCounter(
        travellers(seed, today),
        faces=config.state_dir / "sim-faces",
        forward=config.path if forward else None,
        alerts=config,
    )


@dataclass(frozen=True)
class SimTraveller:
    """A scripted traveller: the MRZ lines the reader delivers, and why they are here."""

    lines: list[str]
    story: str
    forged_chip: bool = False
    portrait: str = "astronaut"  # whose photo the passport carries (kiosk.sim.issuer.PEOPLE)


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
        officers = OfficerStore.for_config(config_module.load(config_path))
        for officer_id, name, role, pin in DEMO_ACCOUNTS:
            officers.add(officer_id, name, role, pin)
    config = config_module.load(config_path)
    if not config.pin_pepper.exists():  # a demo kiosk from before PINs had a pepper
        from kiosk.officers import create_pepper

        create_pepper(config.pin_pepper)
        for stale in config.state_dir.glob("officers.db*"):
            stale.unlink()
        officers = OfficerStore.for_config(config)
        for officer_id, name, role, pin in DEMO_ACCOUNTS:
            officers.add(officer_id, name, role, pin)
    return config


SURNAMES = ["ERIKSSON", "OKAFOR", "NAKAMURA", "SILVA", "MULLER", "DUBOIS", "KOWALSKA", "HASSAN"]
GIVEN = ["ANNA MARIA", "CHIDI", "YUKI", "JOAO PEDRO", "LENA", "CAMILLE", "ZOFIA", "OMAR"]
STATES = ["UTO", "NGA", "JPN", "BRA", "D", "FRA", "POL", "EGY"]


def travellers(seed: int = 9303, today: dt.date | None = None) -> Iterator[SimTraveller]:
    """An endless, seeded queue; most have something an officer must notice: an identity
    card, an expired passport, a minor, another person's passport (the fourth: its chip
    portrait is Grace Hopper, the camera sees the astronaut), a forged chip (the fifth), a
    stolen passport (the sixth) and a listed person (the seventh) on the demo alert list."""
    from kiosk.alerting import demo_travellers

    rng = random.Random(seed)
    today = today or dt.date.today()
    for n in range(10**9):
        index = rng.randrange(len(SURNAMES))
        birth = today - dt.timedelta(days=rng.randrange(20 * 365, 70 * 365))
        expiry = today + dt.timedelta(days=rng.randrange(200, 3000))
        story = "ordinary passport"
        fmt = "TD3"
        forged = n % 8 == 4
        portrait = "astronaut"  # the face the demo camera shows
        listed = None
        if forged:
            story = "forged chip: its portrait (DG2) does not match the SOD: NOT GENUINE"
        elif n % 8 == 3:
            portrait = "grace_hopper"
            story = "another person's passport (a genuine chip): face: no match, needs a reason"
        elif n % 8 == 5:
            listed = 0
            story = "a passport reported stolen: an alert-list hit (deny)"
        elif n % 8 == 6:
            listed = 1
            story = "a listed person, his name spelled another way: an alert-list hit (refer)"
        elif n % 4 == 1:
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
        if listed is not None:
            lines = demo_travellers(today)[listed]
        yield SimTraveller(lines, story, forged, portrait)
