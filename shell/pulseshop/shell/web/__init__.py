"""The HTTP side of the shell: the Starlette application and its endpoints."""

from pulseshop.shell.web.app import create_app

__all__ = ["create_app"]
