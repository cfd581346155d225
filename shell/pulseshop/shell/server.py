"""Serving the application with uvicorn on a socket we bound ourselves.

Binding first means a busy port is reported before anything else starts (the
embedded PostgreSQL included), in one line, rather than as a uvicorn log entry.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import uvicorn

from pulseshop.shell.collector import tune_for_service
from pulseshop.shell.errors import ShellError

if TYPE_CHECKING:
    from starlette.types import ASGIApp

BACKLOG = 2048


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, or a `ShellError` saying why not."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as error:
        raise ShellError(
            f"cannot listen on {host}:{port}: unknown host ({error.strerror})"
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        reason = (error.strerror or str(error)).lower()
        raise ShellError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


def serve_on(app: ASGIApp, sock: socket.socket, log_level: str) -> None:
    """Serve until uvicorn is told to stop; returns after a graceful shutdown."""
    tune_for_service()
    config = uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="on",
        # The sans-I/O implementation: uvicorn's default one is built on websockets' legacy API.
        ws="websockets-sansio",
        backlog=BACKLOG,
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
