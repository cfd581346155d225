"""What the tests of jobs share: the brokers, emptying them, waiting for a job's effect, the
service with its jobs on a broker, and a worker in the test's process."""

from __future__ import annotations

import asyncio
import email
import email.policy
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import httpx2
import redis

from pulseshop.adapters.jobs import broker_for
from pulseshop.adapters.mail import MailDirectory
from pulseshop.adapters.postgres import PostgresDatabase
from pulseshop.shell.config import Settings
from pulseshop.shell.jobs.runtime import QUEUES, Jobs
from pulseshop.shell.web import create_app
from tests.support.services import missing_service, reachable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    import dramatiq

    from pulseshop.adapters.postgres import PostgresUrl

REDIS: Final = "redis://127.0.0.1:6379/14"
RABBITMQ: Final = "amqp://guest:guest@127.0.0.1:5672/%2F"
WAIT_SECONDS: Final = 15.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def need(url: str) -> None:
    """Fail (under CI) or skip when the broker of ``url`` is not running."""
    port = 6379 if url.startswith("redis") else 5672
    if not reachable("127.0.0.1", port):
        missing_service(f"the broker at 127.0.0.1:{port}")


def flush(broker: dramatiq.Broker) -> None:
    """Empty the broker's queues and dead letters, whatever earlier runs left there."""
    if broker.__class__.__name__ == "RedisBroker":
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter("dramatiq:*"):
            client.delete(key)
    elif broker.__class__.__name__ == "RabbitmqBroker":
        for queue in {*QUEUES, *broker.get_declared_queues()}:
            broker.flush(queue)
    else:
        broker.flush_all()


def flush_url(url: str) -> None:
    """Empty the queues of the broker at ``url``."""
    broker = broker_for(url)
    try:
        flush(broker)
    finally:
        broker.close()


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until ``check()`` is true, at most `WAIT_SECONDS` (a job runs elsewhere: there is
    nothing to await but its effect)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not await check():  # noqa: ASYNC110 - polling the database, not an event
            await asyncio.sleep(0.05)


def mails(directory: Path) -> list[email.message.EmailMessage]:
    if not directory.exists():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(directory.glob("*.eml"))
    ]


@asynccontextmanager
async def service(
    database_url: PostgresUrl, data_dir: Path, broker_url: str | None = None, **settings: str
) -> AsyncIterator[httpx2.AsyncClient]:
    """The service, with its local state in ``data_dir``, its jobs on ``broker_url`` (the
    embedded broker and its in-service worker when None), and other ``settings``."""
    environ = {
        "PULSESHOP_DATA_DIR": str(data_dir),
        "PULSESHOP_SECRET_KEY": "k" * 40,
        **settings,
    }
    if broker_url is not None:
        environ["BROKER_URL"] = broker_url
    app = create_app(
        PostgresDatabase(database_url, min_size=1, max_size=5), Settings.from_environ(environ)
    )
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
            yield client


@asynccontextmanager
async def worker(
    database_url: PostgresUrl,
    broker_url: str | None,
    mail_dir: Path,
    *,
    threads: int = 2,
    prefetch: int | None = None,
) -> AsyncIterator[Jobs]:
    """A worker of the service's jobs on ``broker_url``, in this process."""
    jobs = Jobs(
        broker_for(broker_url),
        database_url,
        MailDirectory(mail_dir),
        mail_from="PulseShop <shop@example.com>",
        clock=utc_now,
    )
    jobs.start_worker(threads=threads, prefetch=prefetch, lazily=False)
    try:
        yield jobs
    finally:
        await jobs.stop_worker()
