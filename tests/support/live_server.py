"""Serving an application with uvicorn inside the test's event loop, on a real port, for
clients that need a real socket (WebSocket clients, Node, a browser)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import uvicorn

from tests.support.processes import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import ASGIApp


@asynccontextmanager
async def live_server(app: ASGIApp) -> AsyncIterator[str]:
    """``app`` served on 127.0.0.1 until the block ends; yields its base URL
    (``http://127.0.0.1:PORT``). The application's lifespan runs too."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
