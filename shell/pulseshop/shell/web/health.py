"""Liveness, readiness and metrics: what an orchestrator and Prometheus ask a node.

Readiness follows gather, decide, apply: ask the database, let the core judge the
answers, turn the verdict into a status code.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response

from pulseshop.adapters.postgres import (
    CONNECTION_ERRORS,
    current_revision,
    describe_connection_error,
)
from pulseshop.core import Check, Readiness, assess, database_check, migrations_check
from pulseshop.shell.error_shape import error_body

if TYPE_CHECKING:
    from starlette.requests import Request

    from pulseshop.adapters.postgres import PostgresDatabase

CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(_request: Request) -> Response:
    """200 while the process can answer at all."""
    return JSONResponse({"status": "alive"})


class Readyz:
    """200 when the database answers and is at the head revision, else 503 naming the check."""

    def __init__(self, database: PostgresDatabase, head: str) -> None:
        self._database = database
        self._head = head

    async def gather(self) -> tuple[Check, ...]:
        """Ask the database for its revision; a silent or refusing database fails the check."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                revision = await current_revision(self._database)
        except CONNECTION_ERRORS as error:
            return (database_check(describe_connection_error(error)),)
        return database_check(None), migrations_check(revision, self._head)

    async def respond(self, _request: Request) -> Response:
        """The endpoint."""
        return readiness_response(assess(*await self.gather()))


def readiness_response(readiness: Readiness) -> JSONResponse:
    """The verdict as JSON: every check, and the error shape when not ready."""
    checks = {
        check.name: {"ok": check.ok, **({"problem": check.problem} if check.problem else {})}
        for check in readiness.checks
    }
    if readiness.ready:
        return JSONResponse({"status": "ready", "checks": checks})
    failed = readiness.failed
    body = error_body(
        "not_ready",
        f"Not ready: {'; '.join(check.problem for check in failed)}.",
        [{"field": f"checks.{check.name}", "problem": check.problem} for check in failed],
    )
    return JSONResponse({"status": "not_ready", "checks": checks, **body}, status_code=503)
