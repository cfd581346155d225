"""Jobs on Dramatiq: receipts e-mailed once per committed order, none for a rolled-back one,
retries and dead letters, the relay's at-least-once hand-over, on the embedded broker and on
real Redis and RabbitMQ."""

from __future__ import annotations

import asyncio
import itertools
import signal
import uuid
from typing import TYPE_CHECKING

import dramatiq
import pika
import pika.exceptions
import pytest
import redis

from pulseshop.adapters.jobs import broker_for
from pulseshop.adapters.pubsub import PubSub
from pulseshop.shell.order_feed import OutboxRelay
from tests.shell.api_support import bearer
from tests.shell.job_support import (
    RABBITMQ,
    REDIS,
    eventually,
    flush,
    flush_url,
    mails,
    need,
    service,
    worker,
)
from tests.support.processes import PULSESHOP, environment, free_port, run_pulseshop
from tests.support.shop import stock_product

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl
    from pulseshop.adapters.postgres.outbox_jobs import JobRow
    from pulseshop.shell.jobs.runtime import Jobs

pytestmark = pytest.mark.integration


async def checkout(
    client: httpx2.AsyncClient, database: PostgresDatabase, *, card: str = "tok_ok"
) -> httpx2.Response:
    """ann@example.com buys a tea with ``card``."""
    headers = await bearer(database, "ann@example.com")
    added = await client.post(
        "/api/v1/cart/items", headers=headers, json={"sku": "TEA-1", "quantity": 1}
    )
    assert added.status_code == 200, added.text
    return await client.post(
        "/api/v1/checkout",
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        json={"payment_token": card},
    )


async def receipts(database: PostgresDatabase) -> list[dict[str, object]]:
    rows = await database.fetch_all("SELECT * FROM receipts ORDER BY order_id")
    return [dict(row) for row in rows]


@pytest.fixture
async def tea(database: PostgresDatabase) -> None:
    await stock_product(database, "TEA-1", stock=50)


@pytest.mark.usefixtures("tea")
class TestReceiptsOnTheEmbeddedBroker:
    async def test_a_committed_checkout_e_mails_one_receipt(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        async with service(database_url, tmp_path) as client:
            placed = await checkout(client, database)
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["order"]["id"]

            async def recorded() -> bool:
                return bool(await receipts(database))

            await eventually(recorded)
        [record] = await receipts(database)
        assert (record["order_id"], record["outcome"], record["transport"]) == (
            order_id,
            "sent",
            "file",
        )
        [mail] = mails(tmp_path / "mail")
        assert mail["To"] == "ann@example.com"
        assert f"#{order_id}" in mail["Subject"]
        assert mail["Message-ID"] == f"<receipt-{order_id}@pulseshop>"

    async def test_a_declined_checkout_queues_nothing(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        async with service(database_url, tmp_path) as client:
            declined = await checkout(client, database, card="tok_decline")
            assert declined.status_code == 402
            placed = await checkout(client, database)
            order_id = placed.json()["order"]["id"]

            async def recorded() -> bool:
                return bool(await receipts(database))

            await eventually(recorded)
        # Only the committed order wrote a job to the outbox, and only it was e-mailed.
        topics = await database.fetch_all("SELECT topic, payload->>'order_id' AS id FROM outbox")
        assert sorted((row["topic"], row["id"]) for row in topics) == [
            ("email.receipt", str(order_id)),
            ("order.created", str(order_id)),
        ]
        assert [mail["Message-ID"] for mail in mails(tmp_path / "mail")] == [
            f"<receipt-{order_id}@pulseshop>"
        ]

    async def test_a_user_who_wants_no_receipts_gets_none(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        async with service(database_url, tmp_path) as client:
            headers = await bearer(database, "ann@example.com")
            del headers
            await database.execute(
                "INSERT INTO user_preferences (user_id, receipt_emails, updated_at)"
                " SELECT id, false, now() FROM users WHERE email = 'ann@example.com'"
            )
            placed = await checkout(client, database)
            assert placed.status_code == 201

            async def recorded() -> bool:
                return bool(await receipts(database))

            await eventually(recorded)
        [record] = await receipts(database)
        assert (record["outcome"], record["recipient"]) == ("skipped", None)
        assert mails(tmp_path / "mail") == []


@pytest.mark.usefixtures("tea")
@pytest.mark.parametrize("broker_url", [REDIS, RABBITMQ])
class TestTheServiceAndAWorker:
    async def test_the_service_queues_and_a_worker_sends_once_however_often_delivered(
        self,
        database_url: PostgresUrl,
        database: PostgresDatabase,
        tmp_path: Path,
        broker_url: str,
    ) -> None:
        need(broker_url)
        flush_url(broker_url)
        async with service(database_url, tmp_path / "service", broker_url) as client:
            placed = await checkout(client, database)
            order_id = placed.json()["order"]["id"]

            async def handed_over() -> bool:
                unpublished = await database.fetch_value(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                )
                return bool(unpublished == 0)

            await eventually(handed_over)
        # The service queued the job and ran none itself (no worker of its own).
        assert await receipts(database) == []
        async with worker(database_url, broker_url, tmp_path / "worker") as jobs:
            # Delivered twice more, as an at-least-once queue may.
            jobs.send_receipt.send(order_id)
            jobs.send_receipt.send(order_id)

            async def sent() -> bool:
                return bool(await receipts(database))

            await eventually(sent)
            await asyncio.sleep(0.5)  # time for the other deliveries to run, and do nothing
        assert [row["outcome"] for row in await receipts(database)] == ["sent"]
        assert len(mails(tmp_path / "worker")) == 1


class _CrashAfterHandOver:
    """Hands the rows over, then fails as a relay killed before its commit would."""

    def __init__(self, jobs: Jobs) -> None:
        self._jobs = jobs
        self.crashes = 1

    @property
    def topics(self) -> Sequence[str]:
        return list(self._jobs.topics)

    def hand_over(self, rows: Sequence[JobRow]) -> None:
        self._jobs.hand_over(rows)
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("killed after publishing, before marking")


@pytest.mark.usefixtures("tea")
async def test_a_relay_killed_before_marking_loses_nothing_and_doubles_nothing(
    database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
) -> None:
    need(REDIS)
    flush_url(REDIS)
    async with service(database_url, tmp_path / "service", REDIS) as client:
        placed = await checkout(client, database)
        order_id = placed.json()["order"]["id"]
    flush_url(REDIS)
    # As if the service's relay had never run: the row is waiting.
    await database.execute("UPDATE outbox SET published_at = NULL WHERE published_seq IS NULL")
    async with worker(database_url, REDIS, tmp_path / "worker") as jobs:
        crashing = _CrashAfterHandOver(jobs)
        pubsub = PubSub("memory://")
        await pubsub.connect()
        relay = OutboxRelay(database, pubsub, jobs=crashing)
        with pytest.raises(RuntimeError, match="before marking"):
            await relay.relay_once()
        assert (
            await database.fetch_value(
                "SELECT count(*) FROM outbox WHERE topic = 'email.receipt' AND published_at IS NULL"
            )
            == 1
        )
        await relay.relay_once()  # the row again: queued a second time
        assert (
            await database.fetch_value("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            == 0
        )
        await pubsub.disconnect()

        async def sent() -> bool:
            return bool(await receipts(database))

        await eventually(sent)
        await asyncio.sleep(0.5)
    assert [(row["order_id"], row["outcome"]) for row in await receipts(database)] == [
        (order_id, "sent")
    ]
    assert len(mails(tmp_path / "worker")) == 1


@pytest.mark.parametrize("broker_url", [None, REDIS, RABBITMQ])
async def test_a_failing_job_runs_its_retries_then_lands_in_the_dead_letters(
    broker_url: str | None,
) -> None:
    if broker_url is not None:
        need(broker_url)
    broker = broker_for(broker_url)
    flush(broker)
    runs = itertools.count(1)
    ran: list[int] = []
    queue = f"always_failing_{uuid.uuid4().hex[:8]}"

    @dramatiq.actor(broker=broker, queue_name=queue, max_retries=2, min_backoff=10, max_backoff=20)
    def always_failing() -> None:
        ran.append(next(runs))
        raise RuntimeError("this job always fails")

    dead_before = _dead_letters(broker, queue)
    always_failing.send()
    job_worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    job_worker.start()
    try:

        async def dead() -> bool:
            return _dead_letters(broker, queue) > dead_before

        await eventually(dead)
    finally:
        await asyncio.to_thread(job_worker.stop)
        broker.close()
    assert ran == [1, 2, 3]


def _dead_letters(broker: dramatiq.Broker, queue: str) -> int:
    """How many jobs of ``queue`` the broker keeps as dead letters."""
    name = broker.__class__.__name__
    if name == "StubBroker":
        return len(broker.dead_letters_by_queue[queue])  # type: ignore[attr-defined]
    if name == "RedisBroker":
        return int(redis.Redis.from_url(REDIS).zcard(f"dramatiq:{queue}.XQ"))
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
    try:
        declared = connection.channel().queue_declare(f"{queue}.XQ", passive=True)
    except pika.exceptions.ChannelClosedByBroker:
        return 0  # not declared yet: nothing dead
    finally:
        if connection.is_open:
            connection.close()
    return int(declared.method.message_count)


class TestWorkerCommand:
    def test_without_a_broker_it_says_the_service_runs_the_jobs(self) -> None:
        result = run_pulseshop("worker", env=environment(BROKER_URL=None))
        assert result.returncode == 2
        assert "BROKER_URL is not set" in result.stderr

    def test_a_bad_broker_url_is_named(self) -> None:
        result = run_pulseshop("worker", env=environment(BROKER_URL="kafka://k:9092"))
        assert result.returncode == 2
        assert "BROKER_URL: the scheme must be one of" in result.stderr

    @pytest.mark.usefixtures("tea")
    async def test_it_runs_the_jobs_the_service_queued_and_stops_cleanly(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        need(REDIS)
        flush_url(REDIS)
        async with service(database_url, tmp_path / "service", REDIS) as client:
            placed = await checkout(client, database)
            order_id = placed.json()["order"]["id"]
        env = environment(
            BROKER_URL=REDIS,
            DATABASE_URL=database_url.text,
            PULSESHOP_DATA_DIR=str(tmp_path / "worker"),
            dramatiq_prom_port=str(free_port()),
            dramatiq_prom_db=str(tmp_path / "prometheus"),
        )
        process = await asyncio.create_subprocess_exec(
            str(PULSESHOP),
            "worker",
            "--processes",
            "1",
            "--threads",
            "2",
            "--prefetch",
            "2",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:

            async def sent() -> bool:
                return bool(await receipts(database))

            await eventually(sent)
        finally:
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(60):
                output, _ = await process.communicate()
        assert process.returncode == 0, output
        assert [(row["order_id"], row["outcome"]) for row in await receipts(database)] == [
            (order_id, "sent")
        ]
        assert len(mails(tmp_path / "worker" / "mail")) == 1


@pytest.mark.parametrize("broker_url", [REDIS, RABBITMQ])
async def test_dead_letters_are_listed_counted_and_replayed_from_the_command_line(
    broker_url: str,
) -> None:
    need(broker_url)
    broker = broker_for(broker_url)
    flush(broker)

    # One retry: the dead letter keeps the traceback of the run before the last.
    @dramatiq.actor(
        broker=broker,
        queue_name="receipts",
        actor_name="doomed",
        max_retries=1,
        min_backoff=10,
        max_backoff=20,
    )
    def doomed(order_id: int) -> None:
        raise RuntimeError(f"order {order_id} cannot be helped")

    message = doomed.send(41)
    job_worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    job_worker.start()
    try:

        async def dead() -> bool:
            return _dead_letters(broker, "receipts") == 1

        await eventually(dead)
    finally:
        await asyncio.to_thread(job_worker.stop)
        broker.close()

    env = environment(BROKER_URL=broker_url)
    listed = run_pulseshop("jobs", "dlq", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    [line] = listed.stdout.splitlines()
    queue, message_id, call, _when, error = line.split("\t")
    assert (queue, call) == ("receipts", "doomed(41)")
    if broker_url == REDIS:  # RabbitMQ's retries give the job a new id
        assert message_id == message.message_id
    assert error == "RuntimeError: order 41 cannot be helped"
    stats = run_pulseshop("jobs", "stats", env=env)
    assert _queue_row(stats.stdout, "receipts") == (
        ["0", "0", "0", "1"] if broker_url == REDIS else ["0", "0", "?", "1"]
    )

    missing = run_pulseshop("jobs", "dlq", "replay", "no-such-id", env=env)
    assert (missing.returncode, "no dead job has the id no-such-id") == (
        1,
        missing.stderr.strip().removeprefix("pulseshop: error: "),
    )
    replayed = run_pulseshop("jobs", "dlq", "replay", message_id, env=env)
    assert replayed.stdout.strip() == "replayed 1 job"
    after = run_pulseshop("jobs", "stats", env=env)
    # Queued again, retries reset, no longer dead (no worker runs it here).
    assert _queue_row(after.stdout, "receipts") == (
        ["1", "0", "0", "0"] if broker_url == REDIS else ["1", "0", "?", "0"]
    )
    assert run_pulseshop("jobs", "dlq", "list", env=env).stdout.strip() == "no dead letters"
    flush_url(broker_url)


def _queue_row(stats: str, queue: str) -> list[str]:
    """The counts of ``queue``'s row of ``pulseshop jobs stats``."""
    [row] = [line.split() for line in stats.splitlines() if line.split()[0] == queue]
    return row[1:]


def test_the_queue_commands_need_a_network_broker() -> None:
    for command in (["jobs", "stats"], ["jobs", "dlq", "list"], ["jobs", "dlq", "replay", "--all"]):
        result = run_pulseshop(*command, env=environment(BROKER_URL=None))
        assert result.returncode == 2
        assert "its queues live inside the service's process" in result.stderr
    both = run_pulseshop("jobs", "dlq", "replay", "x", "--all", env=environment(BROKER_URL=REDIS))
    assert both.returncode == 2
    assert "give one MESSAGE_ID or --all" in both.stderr
