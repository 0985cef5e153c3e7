"""What the UI works with, gathered once at start: configuration, accounts, the capture
pipeline, sealing, and (with --sim) the scripted counter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Config
from kiosk.lane.devices import DeviceHub, specs_from_config
from kiosk.officers import OfficerStore
from kiosk.lane.pipeline import Direction, Pipeline, Policy
from kiosk.lane.sealer import OutboxSealer
from kiosk.sim import SimCounter, SimTraveller


@dataclass
class Services:
    config: Config
    officers: OfficerStore
    pipeline: Pipeline
    sealer: OutboxSealer
    hub: DeviceHub
    sim: SimCounter | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls, config: Config, sim: Iterator[SimTraveller] | None = None, policy: Policy | None = None
    ) -> Services:
        """Everything but the device threads, which the app starts in its event loop."""
        sealer = OutboxSealer(config)
        direction = Direction(config.get("kiosk", "direction", "entry"))
        specs = specs_from_config(config)
        counter = None
        if sim is not None:
            counter = SimCounter(sim, faces=config.state_dir / "sim-faces")
            specs += counter.start()
        roles = {spec.role for spec in specs}
        policy = policy or lane_policy(config, roles)
        pipeline = Pipeline(sealer, policy=policy, direction=direction)
        if counter is not None:
            pipeline.observers.append(counter.pipeline_changed)
        return cls(
            config=config,
            officers=OfficerStore(config.officers_path),
            pipeline=pipeline,
            sealer=sealer,
            hub=DeviceHub(specs),
            sim=counter,
        )

    def face_thresholds(self) -> dict[str, float]:
        """[quality.face] as written (validated at load); defaults for what is not there."""
        face = self.config.section("quality").get("face", {})
        return {str(k): float(v) for k, v in face.items()} if isinstance(face, dict) else {}

    def close(self) -> None:
        self.hub.stop()
        if self.sim is not None:
            self.sim.stop()
        self.sealer.close()


def lane_policy(config: Config, roles: set[str]) -> Policy:
    """Face and finger steps only where the lane has the devices for them."""
    fingers = tuple(config.get("policy", "fingers", [2, 7])) if "fingerprint" in roles else ()
    return Policy(
        face="face_camera" in roles,
        fingers=fingers,
        finger_threshold=int(config.get("quality", "finger_nfiq2_min", 40)),
        finger_attempts=int(config.get("quality", "finger_attempts", 3)),
    )
