"""What the screens work with, gathered once at start and handed to each screen: the
configuration, the lane's policy, accounts, the pipeline, its capture controller, sealing,
the device hub, and (with --sim only) the demo counter. Nothing here imports the
simulator: `kiosk run --sim` hands one in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.config import Config
from kiosk.lane.alerts import alert_step
from kiosk.lane.capture import Capture
from kiosk.lane.chip import chip_step
from kiosk.lane.devices import DeviceHub, DeviceSpec, specs_from_config
from kiosk.lane.pipeline import Direction, Pipeline
from kiosk.lane.policy import Policy
from kiosk.lane.sealer import OutboxSealer
from kiosk.officers import OfficerStore


class Demo(Protocol):
    """The emulated counter of `kiosk run --sim` (kiosk.sim.SimCounter), as the lane and
    the demo keys (s, p) see it."""

    def start(self) -> list[DeviceSpec]: ...
    def attach(self, capture: Capture) -> None: ...
    def present_next_document(self) -> str: ...
    def place_finger(self, position: int) -> str: ...
    def stop(self) -> None: ...


@dataclass
class Services:
    config: Config
    policy: Policy
    officers: OfficerStore
    pipeline: Pipeline
    capture: Capture
    sealer: OutboxSealer
    hub: DeviceHub
    demo: Demo | None = None

    @classmethod
    def build(cls, config: Config, demo: Demo | None = None) -> Services:
        """Everything but the device threads and the quality worker, which the app starts
        (the worker before Textual takes the terminal, the devices in its event loop)."""
        specs = specs_from_config(config)
        policy = Policy.from_config(config, {spec.role for spec in specs})  # validates
        sealer = OutboxSealer(config)
        if demo is not None:
            specs += demo.start()
            policy = Policy.from_config(config, {spec.role for spec in specs})
        direction = Direction(config.get("kiosk", "direction", "entry"))
        pipeline = Pipeline(sealer, policy=policy, direction=direction)
        hub = DeviceHub(specs)
        capture = Capture(pipeline, hub, face_thresholds(config))
        capture.after_document.append(alert_step(config, pipeline))  # every document
        chip = next((spec for spec in specs if spec.role == "chip"), None)
        if chip is not None:
            capture.after_document.append(chip_step(config, pipeline, chip))
        if demo is not None:
            demo.attach(capture)
        return cls(
            config=config,
            policy=policy,
            officers=OfficerStore.for_config(config),
            pipeline=pipeline,
            capture=capture,
            sealer=sealer,
            hub=hub,
            demo=demo,
        )

    def close(self) -> None:
        self.hub.stop()
        if self.demo is not None:
            self.demo.stop()
        self.capture.close()
        self.sealer.close()


def face_thresholds(config: Config) -> dict[str, float]:
    """[quality.face] as written (validated at load); defaults for what is not there."""
    face: Any = config.section("quality").get("face", {})
    return {str(k): float(v) for k, v in face.items()} if isinstance(face, dict) else {}
