"""A TCP proxy a test can cut, to drop a browser's connections to a server the way a
network does, while the server itself stays up."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@final
class CuttableProxy:
    """Forwards connections to ``target_port``; `cut` drops every connection and refuses
    new ones until `restore`."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._open: set[asyncio.StreamWriter] = set()
        self._cut = False

    def cut(self) -> None:
        """Drop every connection now; refuse new ones."""
        self._cut = True
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def restore(self) -> None:
        """Accept connections again."""
        self._cut = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: piped both ways to the target until either side ends."""
        if self._cut:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self._target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, upstream_writer}
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )
        self._open -= {writer, upstream_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()


@asynccontextmanager
async def cuttable_proxy(target_url: str) -> AsyncIterator[tuple[str, CuttableProxy]]:
    """A proxy to the server at ``target_url`` (``http://127.0.0.1:PORT``): its own base
    URL, and the proxy to cut and restore."""
    proxy = CuttableProxy(int(target_url.rsplit(":", 1)[1]))
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", proxy
    finally:
        proxy.cut()
        server.close()
        await server.wait_closed()
