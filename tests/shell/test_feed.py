"""The marketplace feed end to end: the HTTP endpoint and its bad input, demand control,
100,000 events with duplicates through bounded workers on Redis, RabbitMQ, and
``pulseshop ingest``."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final, cast

import pytest
import redis
from prometheus_client import REGISTRY

from pulseshop.adapters.jobs import IN_FLIGHT
from pulseshop.core.access import INGEST_WRITE
from pulseshop.shell.feed.intake import FeedIntake
from tests.shell.api_support import bearer
from tests.shell.job_support import (
    RABBITMQ,
    REDIS,
    eventually,
    flush_url,
    need,
    service,
    worker,
)
from tests.support.processes import environment, run_pulseshop

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

ENDPOINT: Final = "/api/v1/ingest/order-events"
START: Final = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
NO_BROKER: Final = "redis://127.0.0.1:9/0"
"""A Redis URL nothing answers at."""


def feed_event(
    event_id: str, kind: str, ref: str = "1001", amount: str | None = None, minutes: int = 0
) -> dict[str, object]:
    """A valid event of the zalando feed about order ``ref``."""
    event: dict[str, object] = {
        "event_id": event_id,
        "type": f"order.{kind}",
        "marketplace": "zalando",
        "order_ref": ref,
        "occurred_at": (START + timedelta(minutes=minutes)).isoformat(),
    }
    if amount is not None:
        event |= {"currency": "EUR", "amount": amount}
    return event


async def integration(database: PostgresDatabase) -> dict[str, str]:
    """The headers of the marketplace integration's token (``ingest:write`` only)."""
    return await bearer(database, "feed@example.com", "admin", [INGEST_WRITE])


async def count(database: PostgresDatabase, sql: str) -> int:
    return int(await database.fetch_value(sql))


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def events_metric(outcome: str) -> float:
    return metric("pulseshop_feed_events_total", outcome=outcome)


class TestTheEndpoint:
    async def test_good_events_are_applied_and_bad_ones_kept_with_their_field(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        bad = feed_event("zl-2", "paid", amount="0") | {"note": "x"}
        batch = {
            "events": [
                feed_event("zl-1", "placed", amount="24.00"),
                bad,
                feed_event("zl-3", "paid", amount="24.00", minutes=1),
            ]
        }
        done = feed_jobs_done()
        async with service(database_url, tmp_path) as client:
            headers = await integration(database)
            answer = await client.post(ENDPOINT, headers=headers, json=batch)

            assert answer.status_code == 202, answer.text
            assert answer.json() == {
                "accepted": 2,
                "rejected": [
                    {
                        "index": 1,
                        "event_id": "zl-2",
                        "problems": [
                            {"field": "note", "problem": "is not a known field"},
                            {"field": "amount", "problem": "must be more than zero"},
                        ],
                    }
                ],
            }

            await jobs_done(done + 1)
            assert await count(database, "SELECT count(*) FROM feed_events") == 2
            again = await client.post(ENDPOINT, headers=headers, json=batch)
            assert again.status_code == 202
            await jobs_done(done + 2)
        order = await database.fetch_one("SELECT * FROM marketplace_orders")
        assert order is not None
        assert (order["status"], order["paid"], order["total"], order["events"]) == (
            "paid",
            Decimal("24.0000"),
            Decimal("24.0000"),
            2,
        )
        rejects = await database.fetch_all("SELECT * FROM feed_rejects ORDER BY id")
        assert [(row["origin"], row["position"], row["event_id"]) for row in rejects] == [
            ("api", 1, "zl-2"),
            ("api", 1, "zl-2"),
        ]
        assert json.loads(rejects[0]["raw"]) == bad
        updates = await database.fetch_all(
            "SELECT payload FROM outbox WHERE topic = 'order.updated' ORDER BY id"
        )
        assert json.loads(updates[-1]["payload"]) | {"inserted_at": None} == {
            "marketplace": "zalando",
            "order_ref": "1001",
            "status": "paid",
            "currency": "EUR",
            "total": "24.00",
            "paid": "24.00",
            "refunded": "0.00",
            "inserted_at": None,
        }

    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            (b"{not json", 422, "body"),
            (b"\xff\xfe", 422, "body"),
            (b"[]", 422, "body"),
            (b'{"events": "all of them"}', 422, "events"),
            (b'{"events": []}', 422, "events"),
            (b'{"events": [{}], "source": "x"}', 422, "source"),
            (b'{"batch": []}', 422, "batch"),
            (json.dumps({"events": [{}] * 1001}).encode(), 413, "events"),
            (b'{"events": [' + b'"x",' * 1_200_000 + b'"x"]}', 413, None),
            (b'{"events": [1, "two", null, [], {"event_id": "x"}]}', 422, "events[0]"),
            (b'{"events": [{"event_id": "\\ud800"}]}', 422, "body"),
            (b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}", 422, "body"),
        ],
    )
    async def test_a_malformed_batch_is_refused_with_its_field_and_nothing_taken(
        self,
        *,
        database_url: PostgresUrl,
        database: PostgresDatabase,
        tmp_path: Path,
        body: bytes,
        status: int,
        field: str | None,
    ) -> None:
        async with service(database_url, tmp_path) as client:
            answer = await client.post(
                ENDPOINT,
                headers={**await integration(database), "Content-Type": "application/json"},
                content=body,
            )
        assert answer.status_code == status, answer.text
        error = answer.json()["error"]
        if field is None:  # over the size limit: the body was not read
            assert error["code"] == "payload_too_large"
        else:
            assert error["details"][0]["field"] == field
        assert await count(database, "SELECT count(*) FROM feed_events") == 0

    async def test_a_batch_of_nothing_but_bad_events_is_422_naming_each_field(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        events = [
            feed_event("zl-1", "lost"),
            feed_event("zl-2", "shipped") | {"amount": "1.00", "currency": "EUR"},
            {"event_id": "zl 3"},
        ]
        async with service(database_url, tmp_path) as client:
            answer = await client.post(
                ENDPOINT, headers=await integration(database), json={"events": events}
            )
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["code"] == "invalid_events"
        fields = [detail["field"] for detail in error["details"]]
        assert fields[:4] == [
            "events[0].type",
            "events[1].currency",
            "events[1].amount",
            "events[2].type",
        ]
        assert await count(database, "SELECT count(*) FROM feed_rejects") == 3

    async def test_it_needs_a_token_with_ingest_write(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        batch = {"events": [feed_event("zl-1", "shipped")]}
        async with service(database_url, tmp_path) as client:
            anonymous = await client.post(ENDPOINT, json=batch)
            staff = await client.post(
                ENDPOINT, headers=await bearer(database, "sue@example.com", "staff"), json=batch
            )
        assert anonymous.status_code == 401
        assert staff.status_code == 403
        assert "ingest:write" in staff.text


def feed_jobs_done() -> float:
    """The feed's jobs that ended well in this process so far."""
    return metric("pulseshop_jobs_processed_total", actor="apply_feed_events", outcome="ok")


async def jobs_done(target: float) -> None:
    """Wait until the feed's jobs that ended well reach ``target``."""

    async def done() -> bool:
        return feed_jobs_done() >= target

    await eventually(done)


class TestDemandControl:
    async def test_past_the_queue_limit_a_batch_is_429_with_retry_after_and_not_taken(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        need(REDIS)
        flush_url(REDIS)
        events = [feed_event(f"zl-{n}", "shipped", ref=str(n)) for n in range(300)]
        throttled = metric("pulseshop_feed_throttled_total")
        async with service(
            database_url, tmp_path / "service", REDIS, PULSESHOP_FEED_QUEUE_LIMIT="2"
        ) as client:
            headers = await integration(database)
            taken = await client.post(ENDPOINT, headers=headers, json={"events": events})
            turned_away = await client.post(
                ENDPOINT, headers=headers, json={"events": [feed_event("late", "shipped")]}
            )
            queued = redis.Redis.from_url(REDIS).llen("dramatiq:feed")

            async with worker(database_url, REDIS, tmp_path / "worker"):

                async def applied() -> bool:
                    return await count(database, "SELECT count(*) FROM feed_events") == 300

                await eventually(applied)
                await asyncio.sleep(0.3)  # the depth measured is trusted for 0.25 s
                later = await client.post(
                    ENDPOINT, headers=headers, json={"events": [feed_event("late", "shipped")]}
                )
        assert taken.status_code == 202
        assert queued == 3  # three messages of 100 events
        assert turned_away.status_code == 429
        assert int(turned_away.headers["Retry-After"]) >= 1
        assert turned_away.json()["error"]["code"] == "queue_full"
        assert metric("pulseshop_feed_throttled_total") == throttled + 1
        assert later.status_code == 202
        assert await count(
            database, "SELECT count(*) FROM feed_events WHERE event_id = 'late'"
        ) in {0, 1}


def _hundred_thousand_events() -> tuple[list[dict[str, object]], int]:
    """80,000 unique events (8,000 orders of ten events each: placed, paid, shipped and
    seven refunds of 1.00) in feed order, each fourth one sent again 150 events later:
    100,000 events. Returns them and the number of orders."""
    orders = 8_000
    unique = []
    for order in range(orders):
        ref = f"M{order:05d}"
        unique += [
            feed_event(f"{ref}-placed", "placed", ref, "30.00"),
            feed_event(f"{ref}-paid", "paid", ref, "30.00", minutes=1),
            feed_event(f"{ref}-shipped", "shipped", ref, minutes=2),
            *(
                feed_event(f"{ref}-refund-{n}", "refunded", ref, "1.00", minutes=3 + n)
                for n in range(7)
            ),
        ]
    stream = []
    for index, event in enumerate(unique):
        stream.append(event)
        if index >= 150 and (index - 150) % 4 == 0:
            stream.append(unique[index - 150])
    stream += [unique[index] for index in range(len(unique) - 150, len(unique)) if index % 4 == 0]
    return stream, orders


def _feed_in_flight() -> float:
    """The in-flight gauge of the feed queue, read alone (a read of the whole registry
    would take the GIL from the jobs being measured for milliseconds)."""
    [family] = IN_FLIGHT.collect()
    return next(
        (sample.value for sample in family.samples if sample.labels == {"queue": "feed"}), 0.0
    )


class _Sampler:
    """Reads the feed's in-flight gauge and the workers' Redis acknowledgement sets (the
    messages taken and not yet done) every few milliseconds, in a thread, keeping the most."""

    def __init__(self) -> None:
        self.in_flight = 0.0
        self.taken = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._redis = redis.Redis.from_url(REDIS)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.in_flight = max(self.in_flight, _feed_in_flight())
            taken = sum(
                int(self._redis.scard(key))
                for key in self._redis.scan_iter("dramatiq:__acks__.*.feed")
            )
            self.taken = max(self.taken, taken)
            self.samples += 1

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _send_all(
    client: httpx2.AsyncClient, headers: dict[str, str], events: Sequence[dict[str, object]]
) -> int:
    """Send ``events`` in batches of 1,000, each again after a 429; the 429s."""
    turned_away = 0
    for start in range(0, len(events), 1000):
        while True:
            answer = await client.post(
                ENDPOINT, headers=headers, json={"events": events[start : start + 1000]}
            )
            if answer.status_code != 429:
                break
            assert int(answer.headers["Retry-After"]) >= 1
            turned_away += 1
            # Retry-After is the server's advice; this client, in a hurry, tries sooner.
            await asyncio.sleep(0.05)
        assert answer.status_code == 202, answer.text
        assert answer.json() == {"accepted": min(1000, len(events) - start), "rejected": []}
    return turned_away


async def test_100000_events_with_20_percent_duplicates_through_bounded_workers(
    database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
) -> None:
    need(REDIS)
    flush_url(REDIS)
    events, orders = _hundred_thousand_events()
    assert (len(events), len({event["event_id"] for event in events})) == (100_000, 80_000)
    threads, prefetch = 4, 4
    before = {
        outcome: events_metric(outcome)
        for outcome in ("accepted", "rejected", "applied", "refused", "duplicate")
    }
    jobs_ok = feed_jobs_done()
    async with (
        service(
            database_url, tmp_path / "service", REDIS, PULSESHOP_FEED_QUEUE_LIMIT="40"
        ) as client,
        worker(database_url, REDIS, tmp_path / "worker", threads=threads, prefetch=prefetch),
    ):
        headers = await integration(database)
        with _Sampler() as sampler:
            turned_away = await _send_all(client, headers, events)

            async with asyncio.timeout(300):
                while feed_jobs_done() - jobs_ok < 1000:  # noqa: ASYNC110 - other threads
                    await asyncio.sleep(0.1)
    totals = await database.fetch_one(
        "SELECT count(*) AS orders, sum(events) AS events, sum(paid) AS paid,"
        " sum(refunded) AS refunded, count(*) FILTER (WHERE status = 'shipped') AS shipped"
        " FROM marketplace_orders"
    )
    assert totals is not None
    assert dict(totals) == {
        "orders": orders,
        "events": 80_000,
        "paid": Decimal(30 * orders),
        "refunded": Decimal(7 * orders),
        "shipped": orders,
    }
    assert await count(database, "SELECT count(*) FROM feed_events") == 80_000
    grown = {outcome: events_metric(outcome) - value for outcome, value in before.items()}
    assert grown == {
        "accepted": 100_000,
        "rejected": 0,
        "applied": 80_000,
        "refused": 0,
        "duplicate": 20_000,
    }
    # Bounded: never more jobs running than threads, nor taken from Redis than prefetched.
    assert sampler.samples > 100
    assert 0 < sampler.in_flight <= threads
    assert 0 < sampler.taken <= prefetch
    assert turned_away > 0  # the queue limit (40 messages) was reached and held


@pytest.mark.parametrize("broker_url", [RABBITMQ])
async def test_on_rabbitmq_a_worker_applies_each_event_once(
    database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path, broker_url: str
) -> None:
    need(broker_url)
    flush_url(broker_url)
    events = [feed_event(f"zl-{n}", "paid", ref=str(n % 7), amount="2.00") for n in range(250)]
    async with service(database_url, tmp_path / "service", broker_url) as client:
        headers = await integration(database)
        for _ in range(2):
            answer = await client.post(ENDPOINT, headers=headers, json={"events": events})
            assert answer.status_code == 202
        async with worker(database_url, broker_url, tmp_path / "worker"):

            async def applied() -> bool:
                total = await database.fetch_value("SELECT sum(events) FROM marketplace_orders")
                return bool(total == 250)

            await eventually(applied)
            await asyncio.sleep(0.5)  # the second batch's duplicates, had they any effect
    paid = await database.fetch_value("SELECT sum(paid) FROM marketplace_orders")
    assert paid == Decimal("500.00")
    assert await count(database, "SELECT sum(events) FROM marketplace_orders") == 250


@pytest.fixture
def feed_file(tmp_path: Path) -> Path:
    lines = [
        json.dumps(feed_event("zl-1", "placed", amount="24.00")),
        "",
        "{not json",
        json.dumps(feed_event("zl-2", "paid", amount="24.001")),
        json.dumps(feed_event("zl-3", "paid", amount="24.00", minutes=1)),
        json.dumps(feed_event("zl-1", "placed", amount="24.00")),
        json.dumps({"event_id": "zl-4", "blob": "x" * 70_000}),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n")
    return path


class TestTheIngestCommand:
    @pytest.mark.usefixtures("database")
    def test_it_applies_the_good_lines_and_names_the_bad_ones(
        self, database_url: PostgresUrl, feed_file: Path
    ) -> None:
        env = environment(DATABASE_URL=database_url.text, BROKER_URL=None)

        first = run_pulseshop("ingest", str(feed_file), env=env)
        second = run_pulseshop("ingest", str(feed_file), env=env)

        assert first.returncode == 1, first.stderr
        assert "3 events (1 message) taken: 2 applied, 1 applied before, 0 refused" in first.stdout
        assert "feed.jsonl line 3: the line is not JSON" in first.stderr
        assert "feed.jsonl line 4: amount: 24.001 has more decimal places than EUR" in (
            first.stderr
        )
        assert "feed.jsonl line 7: the line is longer than 65536 bytes" in first.stderr
        assert "feed.jsonl line 8: the line is not UTF-8 text" in first.stderr
        assert second.returncode == 1
        assert "3 events (1 message) taken: 0 applied, 3 applied before" in second.stdout

    async def test_what_it_applied_is_there_once_and_its_rejects_kept(
        self, database_url: PostgresUrl, database: PostgresDatabase, feed_file: Path
    ) -> None:
        env = environment(DATABASE_URL=database_url.text, BROKER_URL=None)
        for _ in range(2):
            await asyncio.to_thread(run_pulseshop, "ingest", str(feed_file), env=env)

        order = await database.fetch_one("SELECT * FROM marketplace_orders")
        assert order is not None
        assert (order["events"], order["paid"], order["status"]) == (2, Decimal("24.0000"), "paid")
        positions = await database.fetch_all(
            "SELECT origin, position FROM feed_rejects ORDER BY id"
        )
        assert [(row["origin"], row["position"]) for row in positions] == [
            ("feed.jsonl", line) for line in (3, 4, 7, 8)
        ] * 2

    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        result = run_pulseshop(
            "ingest", str(tmp_path / "nowhere.jsonl"), env=environment(BROKER_URL=None)
        )
        assert result.returncode == 1
        assert "cannot read" in result.stderr
        assert "nowhere.jsonl" in result.stderr

    @pytest.mark.usefixtures("database")
    def test_it_reads_standard_input(self, database_url: PostgresUrl) -> None:
        lines = "\n".join(json.dumps(feed_event(f"zl-{n}", "shipped")) for n in range(5))
        result = run_pulseshop(
            "ingest",
            "-",
            env=environment(DATABASE_URL=database_url.text, BROKER_URL=None),
            stdin=lines,
        )
        assert result.returncode == 0, result.stderr
        assert "5 events (1 message) taken: 5 applied, 0 applied before" in result.stdout


class TestAnUnreachableBroker:
    async def test_the_endpoint_answers_503_with_retry_after(
        self, database_url: PostgresUrl, database: PostgresDatabase, tmp_path: Path
    ) -> None:
        async with service(database_url, tmp_path, NO_BROKER) as client:
            answer = await client.post(
                ENDPOINT,
                headers=await integration(database),
                json={"events": [feed_event("zl-1", "shipped")]},
            )
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        assert answer.json()["error"]["code"] == "queue_unavailable"

    @pytest.mark.usefixtures("database")
    def test_the_command_names_it(self, database_url: PostgresUrl, feed_file: Path) -> None:
        result = run_pulseshop(
            "ingest",
            str(feed_file),
            env=environment(DATABASE_URL=database_url.text, BROKER_URL=NO_BROKER),
        )
        assert result.returncode == 1
        assert "the broker at BROKER_URL cannot be reached" in result.stderr
        assert "Traceback" not in result.stderr


async def test_the_depth_gauge_follows_the_queue_when_no_batch_arrives(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The service measures the queue every few seconds on its own; a broker that cannot be
    reached is logged, and the next round measures again."""
    measured: Iterator[int | Exception] = iter([7, ConnectionError("broker away"), 0])

    def depth() -> int:
        value = next(measured, 0)
        if isinstance(value, Exception):
            raise value
        return value

    intake = FeedIntake(
        cast("PostgresDatabase", None),
        send=lambda _message: None,
        depth=depth,
        queue_limit=5,
        clock=lambda: START,
    )
    watching = asyncio.create_task(intake.watch_depth(seconds=0.01))
    try:
        async with asyncio.timeout(5):
            while metric("pulseshop_feed_queue_depth") != 7:  # noqa: ASYNC110 - a gauge
                await asyncio.sleep(0.01)
            while metric("pulseshop_feed_queue_depth") != 0:  # noqa: ASYNC110 - a gauge
                await asyncio.sleep(0.01)
    finally:
        watching.cancel()
    assert "the feed queue's depth cannot be measured: broker away" in caplog.text
