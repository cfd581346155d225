"""What the JSON API's tests share: the real application behind an HTTP client, bearer
tokens of real users, and the OpenAPI fragments (shell/pulseshop/shell/web/openapi/) read as
JSON Schemas to hold answers to."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx2
import yaml
from jsonschema import Draft202012Validator

from pulseshop.adapters.postgres import PostgresDatabase, ensure_user, issue_token
from pulseshop.core.access import ROLE_SCOPES, Email
from pulseshop.shell.web import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Collection

    from pulseshop.adapters.postgres import PostgresUrl
    from pulseshop.core.access import Role

OPENAPI: Final = Path(__file__).parents[2] / "shell" / "pulseshop" / "shell" / "web" / "openapi"

ERROR_SHAPE: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "message": {"type": "string", "minLength": 1},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "problem"],
                        "additionalProperties": False,
                        "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
                    },
                },
            },
        }
    },
}
"""The error shape of PROTOCOLS.md."""


async def bearer(
    database: PostgresDatabase,
    email: str,
    role: Role = "customer",
    scopes: Collection[str] | None = None,
) -> dict[str, str]:
    """The Authorization header of a new token of the user with this email (created with
    ``role`` if needed), holding ``scopes`` (by default every scope of the role)."""
    user = await ensure_user(database, Email(email), role)
    token = await issue_token(
        database,
        user.id,
        ROLE_SCOPES[role] if scopes is None else scopes,
        now=datetime.now(UTC),
        ttl=timedelta(days=1),
    )
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def api_client(database_url: PostgresUrl) -> AsyncIterator[httpx2.AsyncClient]:
    """The application, started, on the database at ``database_url``."""
    app = create_app(PostgresDatabase(database_url, min_size=1, max_size=10))
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://shop") as client:
            yield client


def fragment(name: str) -> dict[str, Any]:
    """The fragment ``name``.yaml, as data."""
    loaded: dict[str, Any] = yaml.safe_load((OPENAPI / f"{name}.yaml").read_text("utf-8"))
    return loaded


def schema_errors(fragment_name: str, schema_name: str, instance: object) -> list[str]:
    """What is wrong with ``instance`` as the fragment's schema ``schema_name`` describes it
    (``Error`` is the error shape); empty when nothing is."""
    schemas = {"Error": ERROR_SHAPE, **fragment(fragment_name)["components"]["schemas"]}
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": {"schemas": schemas}}
    validator = Draft202012Validator(root)
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def error_of(response: httpx2.Response) -> tuple[int, str, list[str]]:
    """The status, the code and the fields of an error answer, which must have the error
    shape."""
    body = response.json()
    problems = list(Draft202012Validator(ERROR_SHAPE).iter_errors(body))
    assert [] == problems, response.text
    error = body["error"]
    return response.status_code, error["code"], [detail["field"] for detail in error["details"]]
