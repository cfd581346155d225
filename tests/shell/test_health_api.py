"""/healthz, /readyz and /metrics against a real PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg
import pytest
from starlette.testclient import TestClient

from pulseshop.adapters.postgres import PostgresDatabase, head_revision, upgrade_to_head
from pulseshop.shell.web import create_app
from tests.support.postgres import create_database, drop_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.integration


@pytest.fixture
async def scratch_database(postgres_server_url: PostgresUrl) -> AsyncIterator[PostgresUrl]:
    """A database this test may migrate, break or drop."""
    url = await create_database(postgres_server_url, prefix="pulseshop_health")
    try:
        yield url
    finally:
        await drop_database(postgres_server_url, url)


class TestHealth:
    def test_healthz_answers_while_the_process_lives(self, database_url: PostgresUrl) -> None:
        """Liveness does not depend on anything else."""
        with TestClient(create_app(PostgresDatabase(database_url))) as client:
            response = client.get("/healthz")

        assert 200 == response.status_code
        assert {"status": "alive"} == response.json()


class TestReadiness:
    def test_ready_at_head(self, database_url: PostgresUrl) -> None:
        """A migrated, reachable database makes the node ready."""
        with TestClient(create_app(PostgresDatabase(database_url))) as client:
            response = client.get("/readyz")

        assert 200 == response.status_code
        expected = {"database": {"ok": True}, "migrations": {"ok": True}}
        assert {"status": "ready", "checks": expected} == response.json()

    def test_unmigrated_database_is_503_naming_migrations(
        self, scratch_database: PostgresUrl
    ) -> None:
        """Readiness gates migrations: no schema, no traffic, and the body says why."""
        with TestClient(create_app(PostgresDatabase(scratch_database))) as client:
            response = client.get("/readyz")

        assert 503 == response.status_code
        body = response.json()
        assert "not_ready" == body["status"]
        assert "not_ready" == body["error"]["code"]
        assert [
            {
                "field": "checks.migrations",
                "problem": f"database is not migrated (head is {head_revision()}); "
                "run `pulseshop migrate`",
            }
        ] == body["error"]["details"]
        assert body["checks"]["database"] == {"ok": True}

    async def test_database_behind_head_is_503(self, scratch_database: PostgresUrl) -> None:
        """A revision other than the head fails readiness with both revisions named."""
        await upgrade_to_head(scratch_database)
        connection = await asyncpg.connect(scratch_database.text)
        await connection.execute("UPDATE alembic_version SET version_num = '0000'")
        await connection.close()

        with TestClient(create_app(PostgresDatabase(scratch_database))) as client:
            response = client.get("/readyz")

        assert 503 == response.status_code
        problem = response.json()["checks"]["migrations"]["problem"]
        assert f"database is at revision 0000, head is {head_revision()}" in problem

    async def test_vanished_database_is_503_naming_the_database(
        self, postgres_server_url: PostgresUrl, scratch_database: PostgresUrl
    ) -> None:
        """When the database goes away under a running node, readiness says so."""
        await upgrade_to_head(scratch_database)
        with TestClient(create_app(PostgresDatabase(scratch_database))) as client:
            assert 200 == client.get("/readyz").status_code
            await drop_database(postgres_server_url, scratch_database)

            response = client.get("/readyz")

        assert 503 == response.status_code
        assert ["checks.database"] == [d["field"] for d in response.json()["error"]["details"]]
        assert response.json()["checks"]["database"]["problem"].startswith(
            "database did not answer: "
        )


class TestErrorsAndMetrics:
    def test_unknown_path_is_404_in_the_error_shape(self, database_url: PostgresUrl) -> None:
        """Every non-2xx JSON answer has the one error shape."""
        with TestClient(create_app(PostgresDatabase(database_url))) as client:
            response = client.get("/no/such/page")

        assert 404 == response.status_code
        assert {"error": {"code": "not_found", "message": "Not Found.", "details": []}} == (
            response.json()
        )

    def test_wrong_method_is_405_in_the_error_shape(self, database_url: PostgresUrl) -> None:
        """POST to a GET-only route names the allowed method."""
        with TestClient(create_app(PostgresDatabase(database_url))) as client:
            response = client.post("/healthz")

        assert 405 == response.status_code
        assert "method_not_allowed" == response.json()["error"]["code"]
        assert "GET" in response.headers["allow"]

    def test_metrics_count_requests_by_route_template_and_status(
        self, database_url: PostgresUrl
    ) -> None:
        """Requests appear in Prometheus text by route and status; unknown paths do not."""
        with TestClient(create_app(PostgresDatabase(database_url))) as client:
            before = _request_count(client.get("/metrics").text, "/healthz", "200")
            client.get("/healthz")
            client.get("/healthz")
            client.get("/not-a-route-123")
            text = client.get("/metrics").text

        assert 2 == _request_count(text, "/healthz", "200") - before
        assert "not-a-route-123" not in text
        assert "pulseshop_http_request_duration_seconds_bucket{" in text
        assert "process_resident_memory_bytes" in text


def _request_count(metrics: str, path: str, status: str) -> float:
    prefix = "pulseshop_http_requests_total{"
    for line in metrics.splitlines():
        if (
            line.startswith(prefix)
            and f'path="{path}"' in line
            and f'status_code="{status}"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
