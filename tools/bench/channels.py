"""Channels: memory of idle joined connections and broadcast fan-out, against a bare
Starlette WebSocket server measured in the same run.

Two servers run in turn, each in its own process, served by uvicorn as ``pulseshop serve``
serves (the same WebSocket implementation and garbage-collector tuning):

- ``ours``: the service (`create_app`), clients connecting with a staff token and joining
  ``orders:7`` as the Phoenix client does;
- ``bare``: a Starlette app whose WebSocket endpoint accepts and reads until the client
  leaves, and sends each pub/sub message to every open socket in a plain loop.

Both take their broadcasts from the same pub/sub backend, PostgreSQL LISTEN/NOTIFY on the
run's database (``PUBSUB_URL=postgresql://...``): the benchmark publishes an order event
stamped with the time it was sent, and every client notes when it arrived.

- memory: the server process's resident memory before and after ``--idle`` clients
  connect (and, for ours, join) and sit idle; reported per connection, ours as a multiple
  of bare's (the goal is at most 1.5x).
- fan-out: clients are added step by step (``--steps``); at each step ``--broadcasts``
  events are published one after another and the 95th percentile of their delivery times
  over every client is taken. The largest number of clients still under 500 ms is each
  server's figure; ours as a fraction of bare's (the goal is at least 50%). Clients run in
  this process on the same two cores: they are the same for both servers.

The PostgreSQL database is created for the run and dropped after it (see
``csv_import.postgres_server``). A missed goal is reported, not failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import psutil
from csv_import import postgres_server, throwaway_database
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import ClientConnection, connect

from pulseshop.adapters.postgres import PostgresDatabase, ensure_user, issue_token
from pulseshop.adapters.pubsub import PubSub
from pulseshop.core.access import ROLE_SCOPES, Email
from pulseshop.shell.config import Settings
from pulseshop.shell.order_feed import ORDERS_CHANNEL, OrderEvent
from pulseshop.shell.server import bind_socket, serve_on
from pulseshop.shell.web import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Sequence

    from starlette.websockets import WebSocket

    from pulseshop.adapters.postgres import PostgresUrl

MEMORY_GOAL: Final = 1.5
FANOUT_GOAL: Final = 0.5
DELIVERY_LIMIT: Final = 0.5
"""Seconds: the 95th percentile of delivery must stay under this."""
TOPIC: Final = "orders:7"
PORT_WAIT: Final = 60.0


# ---------------------------------------------------------------- the servers (child side)


def bare_app(pubsub_url: str) -> Starlette:
    """A WebSocket server with nothing of ours: accept, read until gone, and send every
    pub/sub message to every open socket."""
    sockets: set[WebSocket] = set()
    pubsub = PubSub(pubsub_url)

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        sockets.add(websocket)
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            sockets.discard(websocket)

    async def broadcast() -> None:
        async with pubsub.subscribe(ORDERS_CHANNEL) as messages:
            async for message in messages:
                for websocket in list(sockets):
                    with contextlib.suppress(Exception):
                        await websocket.send_text(message)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await pubsub.connect()
        task = asyncio.create_task(broadcast())
        yield
        task.cancel()
        await pubsub.disconnect()

    return Starlette(routes=[WebSocketRoute("/socket/websocket", endpoint)], lifespan=lifespan)


def serve(kind: str, url: PostgresUrl, port: int) -> None:
    """Serve ``kind`` on 127.0.0.1:``port`` until terminated."""
    sock = bind_socket("127.0.0.1", port)
    if kind == "bare":
        app = bare_app(url.text)
    else:
        settings = Settings.from_environ(
            {"PUBSUB_URL": url.text, "PULSESHOP_CHANNEL_HEARTBEAT_SECONDS": "3600"}
        )
        app = create_app(PostgresDatabase(url, min_size=1, max_size=10), settings)
    serve_on(app, sock, "warning")


# ---------------------------------------------------------------- the clients (this side)


class Clients:
    """Connected clients and the delivery times of what they were sent."""

    def __init__(self, kind: str, base: str, token: str) -> None:
        self.kind = kind
        self.url = f"{base}/socket/websocket?vsn=2.0.0&token={token}"
        self.connections: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.delays: list[float] = []
        self.expected = 0
        self.all_arrived = asyncio.Event()

    async def add(self, count: int) -> None:
        """Connect (and join) ``count`` more clients, a batch at a time."""
        batch = 100
        for start in range(0, count, batch):
            await asyncio.gather(*(self._one() for _ in range(min(batch, count - start))))

    async def _one(self) -> None:
        connection = await connect(self.url, max_queue=None, ping_interval=None)
        if self.kind == "ours":
            await connection.send(json.dumps(["1", "1", TOPIC, "phx_join", {}]))
            reply = json.loads(await connection.recv())
            if reply[4]["status"] != "ok":
                raise SystemExit(f"join refused: {reply}")
        self.connections.append(connection)
        self.readers.append(asyncio.create_task(self._read(connection)))

    async def _read(self, connection: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for text in connection:
                frame = json.loads(text)
                payload = frame[4] if isinstance(frame, list) else frame["payload"]
                self.delays.append(time.time() - float(payload["sent_at"]))
                if len(self.delays) >= self.expected:
                    self.all_arrived.set()

    async def close(self) -> None:
        """Disconnect every client."""
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)
        self.connections.clear()
        self.readers.clear()


async def _publish(pubsub: PubSub, number: int) -> None:
    payload = {"event_id": number, "user_id": 7, "order_id": number, "sent_at": time.time()}
    event = OrderEvent(event_id=number, name="order_created", payload=payload)
    await pubsub.publish(ORDERS_CHANNEL, event.message())


async def fan_out(clients: Clients, pubsub: PubSub, broadcasts: int) -> tuple[float, float]:
    """p95 of delivery over ``broadcasts`` events to every client, and the share of
    deliveries that arrived at all."""
    clients.delays.clear()
    clients.all_arrived.clear()
    expected = clients.expected = broadcasts * len(clients.connections)
    for number in range(broadcasts):
        await _publish(pubsub, number)
        await asyncio.sleep(0.2)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            await clients.all_arrived.wait()
    delays = sorted(clients.delays)
    if not delays:
        return float("inf"), 0.0
    p95 = delays[int(0.95 * (len(delays) - 1))] if len(delays) == expected else float("inf")
    return p95, len(delays) / expected


@contextlib.contextmanager
def server(kind: str, url: PostgresUrl, port: int) -> Iterator[psutil.Process]:
    """The server ``kind`` running in a child process."""
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--serve", kind, "--port", str(port), "--database", url.text]
    )
    try:
        yield psutil.Process(child.pid)
    finally:
        child.terminate()
        child.wait(timeout=30)


async def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + PORT_WAIT
    while True:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
        else:
            writer.close()
            await writer.wait_closed()
            return


async def measure(
    kind: str,
    process: psutil.Process,
    *,
    port: int,
    token: str,
    url: PostgresUrl,
    options: argparse.Namespace,
) -> tuple[float, int]:
    """Bytes per idle connection, and the most clients served under the delivery limit."""
    await _wait_for_port(port)
    clients = Clients(kind, f"ws://127.0.0.1:{port}", token)
    pubsub = PubSub(url.text)
    await pubsub.connect()
    try:
        await clients.add(100)  # warm up: first connections allocate what later ones reuse
        await asyncio.sleep(1)
        before = process.memory_info().rss
        await clients.add(options.idle - 100)
        await asyncio.sleep(2)
        per_connection = (process.memory_info().rss - before) / (options.idle - 100)
        print(f"{kind}: {per_connection / 1024:,.1f} KiB per idle connection")
        await clients.close()
        served = 0
        for step in options.steps:
            await clients.add(step - len(clients.connections))
            await asyncio.sleep(0.5)
            p95, arrived = await fan_out(clients, pubsub, options.broadcasts)
            print(f"{kind}: {step:>6,} clients: p95 {p95 * 1000:,.0f} ms, {arrived:.1%} arrived")
            if p95 >= DELIVERY_LIMIT:
                break
            served = step
        await clients.close()
    finally:
        await pubsub.disconnect()
    return per_connection, served


async def staff_token(url: PostgresUrl) -> str:
    """A token of a staff member, who may join any user's topic."""
    database = PostgresDatabase(url, min_size=1, max_size=2)
    await database.connect()
    try:
        user = await ensure_user(database, Email("bench-staff@example.com"), "staff")
        return await issue_token(
            database, user.id, ROLE_SCOPES["staff"], now=datetime.now(UTC), ttl=timedelta(days=1)
        )
    finally:
        await database.disconnect()


def run(url: PostgresUrl, options: argparse.Namespace) -> None:
    """Measure both servers and report."""
    token = asyncio.run(staff_token(url))
    figures: dict[str, tuple[float, int]] = {}
    for kind, port in (("bare", options.port), ("ours", options.port + 1)):
        with server(kind, url, port) as process:
            figures[kind] = asyncio.run(
                measure(kind, process, port=port, token=token, url=url, options=options)
            )
    (bare_memory, bare_served), (our_memory, our_served) = figures["bare"], figures["ours"]
    memory_ratio = our_memory / max(bare_memory, 1.0)
    served_ratio = our_served / max(bare_served, 1)
    print(f"== memory per idle connection: ours {memory_ratio:.2f}x bare's (goal <= 1.5x)")
    print("goal met" if memory_ratio <= MEMORY_GOAL else "goal NOT met")
    print(
        f"== broadcast, most clients with p95 < 500 ms: ours {our_served:,}, bare "
        f"{bare_served:,} = {served_ratio:.0%} (goal >= 50%)"
    )
    print("goal met" if served_ratio >= FANOUT_GOAL else "goal NOT met")
    if options.steps and bare_served == options.steps[-1]:
        print("(bare served the largest step: raise --steps to find its limit)")


def _steps(text: str) -> list[int]:
    return sorted(int(step) for step in text.split(","))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run (or serve, in a child)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--idle", type=int, default=5_000, help="idle connections measured")
    parser.add_argument(
        "--steps",
        type=_steps,
        default=[500, 1_000, 2_000, 4_000, 6_000, 8_000, 12_000, 16_000],
        help="numbers of clients to try, comma-separated",
    )
    parser.add_argument("--broadcasts", type=int, default=5, help="events at each step")
    parser.add_argument("--port", type=int, default=18_400, help="first of two ports used")
    parser.add_argument("--serve", choices=["ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.serve:
        from csv_import import _url  # noqa: PLC0415 - the child needs only this

        serve(options.serve, _url(options.database), options.port)
        return 0
    with (
        tempfile.TemporaryDirectory() as scratch,
        postgres_server(Path(scratch)) as pg,
        throwaway_database(pg) as url,
    ):
        run(url, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
