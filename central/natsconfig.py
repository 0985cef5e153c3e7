"""The NATS topology of the central side, as server configuration files and streams.

- **Hub**: a cluster of (at least) three nats-servers sharing one JetStream domain
  (`central`). Each region has one stream, `BORDER-<REGION>`, replicated on three nodes,
  with no subjects of its own: it *sources* every post's stream of the region.
- **Post**: one nats-server per border post, a **leaf node** of the hub with its own
  JetStream domain (the post id) and a single-replica stream `POST-<post>` on
  `<prefix>.<post>.>`, fsync'd on every write (`sync_interval: always`: at the post the
  stream is the only copy once the kiosk's outbox has let a record go). Kiosks publish to it.
- The hub reaches a post's stream through that post's JetStream API prefix,
  `$JS.<post>.API`, across the leaf connection; while the link is down the post keeps
  accepting records, and the source resumes where it stopped once it is back.

Post ids become domain, stream and subject names: letters, digits, `-` and `_` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from central import CentralError

HUB_DOMAIN = "central"
SUBJECT_PREFIX = "border.records"  # the forwarder's default subject_prefix
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_name(value: str, what: str) -> str:
    if not _NAME.fullmatch(value):
        raise CentralError(
            f"{what} {value!r} must be 1 to 64 letters, digits, '-' or '_' "
            "(it names a JetStream domain, a stream and a subject)"
        )
    if value == HUB_DOMAIN:
        raise CentralError(f"{what} {value!r} is the hub's own JetStream domain; choose another")
    return value


def post_stream(post: str) -> str:
    return f"POST-{check_name(post, 'post id')}"


def hub_stream(region: str) -> str:
    return f"BORDER-{check_name(region, 'region')}"


def post_api(post: str) -> str:
    """The JetStream API prefix of a post's leaf node, as seen from the hub."""
    return f"$JS.{check_name(post, 'post id')}.API"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str, default_port: int) -> Endpoint:
        text = text.split("://", 1)[-1]
        host, _, port = text.rpartition(":")
        if not host:
            return cls(text, default_port)
        try:
            return cls(host.strip("[]"), int(port))
        except ValueError:
            raise CentralError(f"{text!r} is not HOST:PORT") from None

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hub_config(
    name: str,
    store: str,
    *,
    client: Endpoint,
    cluster: Endpoint,
    leafnodes: Endpoint,
    routes: list[Endpoint],
    cluster_name: str = "central",
    sync_always: bool = False,
) -> str:
    """One hub node. `routes`: the cluster ports of every hub node (its own may be among
    them). The hub keeps three copies, so it may keep the server's default fsync interval;
    `sync_always` fsyncs each write as well (against a power cut of the whole site)."""
    check_name(name, "server name")
    route_lines = "\n".join(f"    nats-route://{r}" for r in routes)
    sync = "\n  sync_interval: always" if sync_always else ""
    return f"""# nats-server configuration: hub node {name} (kiosk central nats-config hub)
server_name: {_quote(name)}
listen: {_quote(str(client))}

jetstream {{
  store_dir: {_quote(store)}
  domain: {HUB_DOMAIN}{sync}
}}

cluster {{
  name: {_quote(cluster_name)}
  listen: {_quote(str(cluster))}
  routes: [
{route_lines}
  ]
}}

# Post leaf nodes connect here. Not advertised: a post connects to the hub addresses its
# own configuration lists (those it can reach), never to ones the cluster announces.
leafnodes {{
  listen: {_quote(str(leafnodes))}
  no_advertise: true
}}
"""


def leaf_config(post: str, store: str, *, client: Endpoint, hubs: list[Endpoint]) -> str:
    """The post's leaf node: its own JetStream domain (the post id), every write fsync'd,
    and the leaf-node ports of all hub nodes (it reconnects to another when one dies)."""
    check_name(post, "post id")
    urls = ", ".join(_quote(f"nats-leaf://{h}") for h in hubs)
    return f"""# nats-server configuration: leaf node of post {post}
# (kiosk central nats-config leaf)
server_name: {_quote("leaf-" + post)}
listen: {_quote(str(client))}

jetstream {{
  store_dir: {_quote(store)}
  domain: {_quote(post)}
  # The post's stream is the only copy of a record once a kiosk has let it go:
  # fsync every write before acknowledging it.
  sync_interval: always
}}

leafnodes {{
  remotes: [
    {{ urls: [{urls}] }}
  ]
}}
"""


def post_stream_config(post: str, prefix: str = SUBJECT_PREFIX, max_bytes: int = -1) -> Any:
    """The post's stream on its leaf node. `discard: new`: when full it refuses records
    (they stay pending at the kiosk) rather than dropping the oldest."""
    from nats.js.api import DiscardPolicy, StorageType, StreamConfig

    return StreamConfig(
        name=post_stream(post),
        subjects=[f"{prefix}.{post}.>"],
        storage=StorageType.FILE,
        num_replicas=1,
        discard=DiscardPolicy.NEW,
        max_bytes=max_bytes,
        duplicate_window=120.0,
    )


def hub_stream_config(region: str, posts: list[str], replicas: int = 3) -> Any:
    """The region's stream on the hub: no subjects, a source per post's stream."""
    from nats.js.api import ExternalStream, StorageType, StreamConfig, StreamSource

    return StreamConfig(
        name=hub_stream(region),
        subjects=[],
        storage=StorageType.FILE,
        num_replicas=replicas,
        duplicate_window=120.0,
        sources=[
            StreamSource(name=post_stream(p), external=ExternalStream(api=post_api(p), deliver=""))
            for p in posts
        ],
    )


async def _jetstream(servers: list[str], what: str) -> tuple[Any, Any]:
    import nats
    from nats.errors import Error as NatsError

    errors: list[str] = []

    async def on_error(error: Exception) -> None:  # nats-py would log a traceback
        errors.append(str(error) or type(error).__name__)

    try:
        nc = await nats.connect(
            servers, connect_timeout=5, allow_reconnect=False, max_reconnect_attempts=1,
            error_cb=on_error,
        )  # fmt: skip
    except (OSError, NatsError, TimeoutError) as exc:
        reason = errors[-1] if errors else (str(exc) or type(exc).__name__)
        raise CentralError(f"cannot reach the {what} at {', '.join(servers)}: {reason}") from None
    return nc, nc.jetstream(timeout=10)


async def ensure_post_stream(servers: list[str], post: str, max_bytes: int = -1) -> str:
    """Create (or update) the post's stream on its leaf node; what was done."""
    from nats.errors import Error as NatsError
    from nats.js.errors import NotFoundError

    config = post_stream_config(post, max_bytes=max_bytes)
    nc, js = await _jetstream(servers, f"leaf node of post {post}")
    try:
        try:
            await js.stream_info(config.name)
            await js.update_stream(config)
            return f"stream {config.name} updated"
        except NotFoundError:
            await js.add_stream(config)
            return f"stream {config.name} created on {config.subjects[0]}"
    except (NatsError, TimeoutError) as exc:
        raise CentralError(f"stream {config.name}: {exc or 'timed out'}") from None
    finally:
        await nc.close()


async def ensure_hub_stream(
    servers: list[str], region: str, posts: list[str], replicas: int = 3
) -> str:
    """Create the region's stream on the hub, or add the posts to its sources (a post
    already sourced keeps its position)."""
    from nats.errors import Error as NatsError
    from nats.js.errors import NotFoundError

    config = hub_stream_config(region, posts, replicas)
    nc, js = await _jetstream(servers, "hub")
    try:
        try:
            info = await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
            return f"stream {config.name} created (R{replicas}), sourcing {', '.join(posts)}"
        existing = list(info.config.sources or [])
        names = {s.name for s in existing}
        added = [s for s in config.sources if s.name not in names]
        if not added:
            return f"stream {config.name} already sources {', '.join(posts)}"
        info.config.sources = existing + added
        await js.update_stream(info.config)
        return f"stream {config.name}: now also sourcing " + ", ".join(s.name for s in added)
    except (NatsError, TimeoutError) as exc:
        raise CentralError(f"stream {config.name}: {exc or 'timed out'}") from None
    finally:
        await nc.close()
