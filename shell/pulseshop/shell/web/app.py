"""The Starlette application: routes, middleware and the lifespan of its resources."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette_exporter import PrometheusMiddleware, handle_metrics

from pulseshop.adapters.postgres import head_revision
from pulseshop.shell.web.errors import http_exception_handler
from pulseshop.shell.web.health import Readyz, healthz

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresDatabase


def create_app(database: PostgresDatabase) -> Starlette:
    """The service, serving from ``database`` (connected on startup, closed on shutdown)."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await database.connect()
        try:
            yield
        finally:
            await database.disconnect()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", Readyz(database, head_revision()).respond, methods=["GET"]),
        Route("/metrics", handle_metrics, methods=["GET"]),
    ]
    middleware = [
        Middleware(
            PrometheusMiddleware,
            app_name="pulseshop",
            prefix="pulseshop_http",
            group_paths=True,
            filter_unhandled_paths=True,
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_exception_handler},
    )
