"""The officer UI's figures: start to interactive, event-loop lag while registering
travellers (document over the emulated serial reader, the face from the emulated camera
through the camera driver, assessed and auto-captured in the quality worker while the
preview is drawn, two fingers over the emulated ZhianTec scanner scored with NFIQ 2), and
memory; beside a minimal Textual app.

    python bench/kiosk_ui.py [--travellers N] [--thought S]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL_APP = """
import sys, time
from textual.app import App
from textual.widgets import Input, Label
class Minimal(App):
    def compose(self):
        yield Label("Officer id")
        yield Input()
Minimal().run()
"""


MINIMAL_LAG = """
import asyncio, time
from pathlib import Path
from textual.app import App
from textual.widgets import Input, Label
class Minimal(App):
    def compose(self):
        yield Label("Officer id")
        yield Input()
async def main():
    lags = []
    async with Minimal().run_test(size=(120, 40)) as pilot:
        for _ in range(300):
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - before - 0.01) * 1000)
    lags.sort()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            rss = int(line.split()[1]) / 1024
    print(lags[len(lags) // 2], lags[-1], rss)
asyncio.run(main())
"""


def start_to_interactive(command: list[str], marker: str, cwd: Path) -> float:
    """Seconds from spawning in a real terminal (tmux) until `marker` is on screen."""
    session = f"bench-{time.monotonic_ns()}"
    # A tmux server of its own: on the shared default one, a server exiting as the last
    # session closes races the next new-session ("server exited unexpectedly").
    tmux = ["tmux", "-L", session]
    start = time.perf_counter()
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", *command],
        check=True,
        cwd=cwd,
    )
    try:
        while time.perf_counter() - start < 30:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-t", session, "-p"], capture_output=True, text=True
            ).stdout
            if marker in screen:
                return time.perf_counter() - start
            time.sleep(0.01)
        raise RuntimeError(f"{marker!r} never appeared")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


async def lag_while_registering(
    sim_dir: Path, travellers: int, thought: float = 0.0
) -> tuple[dict[str, list[float]], list[float], list[float], dict[str, float]]:
    """Event-loop lag (ms) by step while travellers are registered end to end; the face
    step's durations and each traveller's (s, from the document key to "saved"); the
    quality worker's peak RSS and both processes' RSS after the last traveller (MB).
    `thought`: seconds the officer thinks before each key (0: the machine's time alone)."""
    from kiosk import sim
    from kiosk.lane.pipeline import State
    from kiosk.ui.app import KioskApp
    from kiosk.ui.services import Services

    config = sim.prepare(sim_dir)
    services = Services.build(config, demo=sim.counter(config, seed=3))
    app = KioskApp(services)
    lags: dict[str, list[float]] = {}
    face_seconds: list[float] = []
    traveller_seconds: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        real_press = pilot.press

        async def press(*keys: str) -> None:
            for key in keys:
                if thought:
                    await asyncio.sleep(thought)
                await real_press(key)

        async def probe() -> None:
            while True:
                step = services.pipeline.state.name.lower()
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lag = (time.perf_counter() - before - 0.01) * 1000
                lags.setdefault(step, []).append(lag)
                if lag > 60:
                    print(f"   (lag {lag:.0f} ms during {step}, traveller {done})", file=sys.stderr)

        await press(*"demo", "enter", *"123456", "enter")
        while services.pipeline.state is State.LOGGED_OUT:
            await pilot.pause(0.02)
        task = asyncio.create_task(probe())
        done = 0
        while done < travellers:
            began = time.perf_counter()
            await press("s")  # the emulated reader sends the document over its pty
            for _ in range(200):
                if services.pipeline.state is State.DOCUMENT:
                    break
                await pilot.pause(0.01)
            else:
                continue
            if any(not c.ok for c in services.pipeline.traveller.checks):
                await press("enter", *"bench", "enter")
            else:
                await press("enter")
            started = time.perf_counter()
            while services.pipeline.state is State.FACE:  # frames, preview, auto-capture
                await pilot.pause(0.01)
            face_seconds.append(time.perf_counter() - started)
            while services.pipeline.state is State.FINGERS:
                attempts = sum(c.attempts for c in services.pipeline.traveller.fingers.values())
                await press("p")  # the emulated scanner, the ZhianTec driver, NFIQ 2
                while services.pipeline.state is State.FINGERS and attempts == sum(
                    c.attempts for c in services.pipeline.traveller.fingers.values()
                ):
                    await pilot.pause(0.01)
            await press("a")
            while services.pipeline.state is not State.WAITING:
                await pilot.pause(0.01)
            traveller_seconds.append(time.perf_counter() - began)
            done += 1
        task.cancel()
        assert services.capture.pool is not None
        workers = list(services.capture.pool._processes)
        memory = {
            "worker_peak": max((rss_mb(pid) for pid in workers), default=0.0),
            "worker_now": sum(rss_mb(pid, "VmRSS") for pid in workers),
            "ui_now": rss_mb("self", "VmRSS"),
        }
    return lags, face_seconds, traveller_seconds, memory


def rss_mb(pid: int | str = "self", field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--travellers", type=int, default=20)
    parser.add_argument(
        "--thought", type=float, default=1.0, help="seconds before each key in the paced run"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiosk-ui-bench-"))
    try:
        if shutil.which("tmux"):
            ours = start_to_interactive(
                [sys.executable, "-m", "kiosk", "run", "--sim", "--sim-dir", str(work / "sim")],
                "Officer id",
                work,
            )
            ours_warm = start_to_interactive(
                [sys.executable, "-m", "kiosk", "run", "--sim", "--sim-dir", str(work / "sim")],
                "Officer id",
                work,
            )
            (work / "minimal.py").write_text(MINIMAL_APP)
            minimal = start_to_interactive([sys.executable, "minimal.py"], "Officer id", work)
            print("== start to interactive (login screen drawn, in tmux)")
            print(f"   minimal Textual app              {minimal:6.2f} s")
            print(f"   kiosk run --sim, first start     {ours:6.2f} s  (provisions the demo kiosk)")
            print(f"   kiosk run --sim, later starts    {ours_warm:6.2f} s  target <= 1.0 s")
        (work / "minimal_lag.py").write_text(MINIMAL_LAG)
        reference = subprocess.run(
            [sys.executable, "minimal_lag.py"], cwd=work, capture_output=True, text=True
        ).stdout.split()
        lags, face_seconds, machine, memory = asyncio.run(
            lag_while_registering(work / "lag", args.travellers)
        )
        total = sum(len(v) for v in lags.values())
        print(f"== event-loop lag while registering {args.travellers} travellers ({total} probes)")
        print(
            f"   minimal Textual app, idle          median {float(reference[0]):6.1f} ms"
            f"   max {float(reference[1]):6.1f} ms"
        )
        for step in ("waiting", "document", "face", "fingers", "review"):
            values = sorted(lags.get(step, [0.0]))
            median = values[len(values) // 2]
            print(
                f"   kiosk, {step:<9} ({len(values):5} probes) median {median:6.1f}"
                f" ms   max {values[-1]:6.1f} ms   target max <= 50 ms"
            )
        from kiosk.sim import FAULT_SECONDS

        face_seconds.sort()
        machine.sort()
        print(
            f"== machine time per traveller (keys pressed at once, document key to saved):"
            f" median {machine[len(machine) // 2]:.2f} s, max {machine[-1]:.2f} s"
            "   target <= 6 s"
        )
        print(
            f"   of which the face step (confirmed to auto-captured; the demo travellers are"
            f" too dark or too far for {FAULT_SECONDS} s, 2 in 3): median "
            f"{face_seconds[len(face_seconds) // 2]:.2f} s, max {face_seconds[-1]:.2f} s"
        )
        if args.thought:
            started = time.perf_counter()
            _, _, paced, _ = asyncio.run(
                lag_while_registering(work / "paced", 3, thought=args.thought)
            )
            whole = time.perf_counter() - started
            print(
                f"== three travellers at {args.thought:g} s of thought before each key:"
                f" {sum(paced):.1f} s ({', '.join(f'{t:.1f}' for t in paced)} s each);"
                f" {whole:.1f} s with start and login"
            )
        print("== memory")
        print(f"   minimal Textual app peak RSS       {float(reference[2]):6.1f} MB")
        print(f"   kiosk UI process peak RSS          {rss_mb():6.1f} MB   target <= 250 MB")
        print(
            f"   kiosk quality worker peak RSS      {memory['worker_peak']:6.1f} MB   "
            "(NFIQ 2 + face; the peak is NFIQ 2's model load)"
        )
        now = memory["ui_now"] + memory["worker_now"]
        print(
            f"   kiosk after the last traveller     {now:6.1f} MB   (UI {memory['ui_now']:.1f}"
            f" + worker {memory['worker_now']:.1f})   target <= 250 MB"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
