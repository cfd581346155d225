"""POST /api/v1/quotes: the pricing contract over HTTP, in the real application, and its
OpenAPI fragment (openapi/quotes.yaml) against the contract's JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pulseshop.core.access import CART_READ, CATALOG_READ
from tests.shell.api_support import api_client, bearer, error_of, fragment, schema_errors

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

QUOTES: Final = "/api/v1/quotes"
SCHEMAS: Final = Path(__file__).parents[2] / "docs" / "schemas"
EXAMPLES: Final = SCHEMAS / "examples"
PRICED: Final = sorted(
    path.name.removesuffix(".request.json") for path in EXAMPLES.glob("*.request.json")
)
REFUSED: Final = sorted(
    path.name.removesuffix(".invalid.json") for path in EXAMPLES.glob("*.invalid.json")
)
MAX_BODY: Final = 16 * 1024


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text("utf-8"))


def _request() -> dict[str, Any]:
    """A valid request: two lines, two VAT rates, shipping."""
    request: dict[str, Any] = _example("basic-vat.request.json")
    return request


@pytest.fixture
async def client(database_url: PostgresUrl) -> AsyncIterator[httpx2.AsyncClient]:
    async with api_client(database_url) as client:
        yield client


@pytest.fixture
async def ann(database: PostgresDatabase) -> dict[str, str]:
    """A customer's token."""
    return await bearer(database, "ann@example.com")


class TestQuote:
    @pytest.mark.parametrize("name", PRICED)
    async def test_each_example_request_gets_its_quote(
        self, client: httpx2.AsyncClient, ann: dict[str, str], name: str
    ) -> None:
        """200 with the quote docs/schemas/examples shows, which the fragment describes."""
        response = await client.post(QUOTES, headers=ann, json=_example(f"{name}.request.json"))

        assert 200 == response.status_code, response.text
        assert _example(f"{name}.response.json") == response.json()
        assert [] == schema_errors("quotes", "Quote", response.json())

    @pytest.mark.parametrize("name", REFUSED)
    async def test_a_refused_request_names_every_problem_with_its_path(
        self, client: httpx2.AsyncClient, ann: dict[str, str], name: str
    ) -> None:
        """422 invalid_request; ``details`` are the example's problems, path as field."""
        expected = [problem.split(": ", 1) for problem in _example(f"{name}.problems.json")]

        response = await client.post(QUOTES, headers=ann, json=_example(f"{name}.invalid.json"))

        details = [
            [detail["field"], detail["problem"]] for detail in response.json()["error"]["details"]
        ]
        assert (422, "invalid_request") == error_of(response)[:2]
        assert expected == details

    async def test_a_token_needs_catalog_read(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """401 without a token, 403 with one lacking catalog:read, 200 with it alone."""
        cart_only = await bearer(database, "ann@example.com", scopes=[CART_READ])
        catalog_only = await bearer(database, "bob@example.com", scopes=[CATALOG_READ])

        anonymous = await client.post(QUOTES, json=_request())
        refused = await client.post(QUOTES, headers=cart_only, json=_request())
        allowed = await client.post(QUOTES, headers=catalog_only, json=_request())

        assert (401, "unauthorized", ["headers.authorization"]) == error_of(anonymous)
        assert (403, "forbidden", ["scopes"]) == error_of(refused)
        assert 200 == allowed.status_code


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "code", "fields"),
        [
            (b'{"currency": "EUR", "lines": [', "invalid_json", ["body"]),
            (b"", "invalid_json", ["body"]),
            (b'{"currency": "\xff"}', "invalid_request", ["body"]),
            (b"[1, 2]", "invalid_request", ["body"]),
            (b"null", "invalid_request", ["body"]),
            (b"[" * 8000 + b"]" * 8000, "invalid_request", ["body"]),
            (b'{"n": ' + b"9" * 5000 + b"}", "invalid_request", ["body"]),
            (b'{"\\ud800": 1}', "invalid_json", ["body"]),
            (b'{"currency": "EUR", "lines": [{"sku": "MUG\\udfff"}]}', "invalid_json", ["body"]),
        ],
    )
    async def test_a_body_that_is_not_a_json_object_is_refused(
        self,
        client: httpx2.AsyncClient,
        ann: dict[str, str],
        body: bytes,
        code: str,
        fields: list[str],
    ) -> None:
        """422 naming the body: not JSON, not UTF-8, not an object, too deep or too long, or
        escaping a lone surrogate (which no answer could send back)."""
        response = await client.post(QUOTES, headers=ann, content=body)

        assert (422, code, fields) == error_of(response)

    @pytest.mark.parametrize(
        ("change", "fields"),
        [
            ({"currency": 978}, ["currency"]),
            ({"at": "tomorrow"}, ["at"]),
            ({"shipping": 4.9}, ["shipping"]),
            ({"discount_code": "TEA10", "colour": "blue"}, ["colour", "discount_code"]),
            ({"lines": "MUG x2"}, ["lines"]),
            (
                {"lines": [{"sku": "MUG", "unit_price": "1.00", "quantity": True}]},
                ["lines[0].tax_category", "lines[0].quantity"],
            ),
            (
                {
                    "lines": [
                        {
                            "sku": "MUG",
                            "unit_price": "1.00",
                            "quantity": 1,
                            "tax_category": "standard",
                            "colour": "blue",
                        }
                    ]
                },
                ["lines[0].colour"],
            ),
        ],
    )
    async def test_a_field_of_the_wrong_type_or_unknown_is_named(
        self,
        client: httpx2.AsyncClient,
        ann: dict[str, str],
        change: dict[str, Any],
        fields: list[str],
    ) -> None:
        """422 invalid_request; each field at fault named by its path, and nothing else."""
        response = await client.post(QUOTES, headers=ann, json={**_request(), **change})

        status, code, named = error_of(response)
        assert (422, "invalid_request") == (status, code)
        assert sorted(fields) == sorted(named)

    async def test_a_missing_field_is_named(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """422 naming each required field left out."""
        request = _request()
        del request["currency"], request["at"]

        response = await client.post(QUOTES, headers=ann, json=request)

        assert (422, "invalid_request", ["currency", "at"]) == error_of(response)

    async def test_a_body_over_16_kib_is_refused_unread(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """413, whether the Content-Length says so or the chunks pass the limit."""

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(MAX_BODY // 1024 + 1):
                yield b" " * 1024

        declared = await client.post(QUOTES, headers=ann, content=b" " * (MAX_BODY + 1))
        streamed = await client.post(QUOTES, headers=ann, content=chunks())

        assert (413, "payload_too_large", []) == error_of(declared)
        assert (413, "payload_too_large", []) == error_of(streamed)
        assert "content-length" not in streamed.request.headers

    async def test_a_body_of_exactly_16_kib_is_read(
        self, client: httpx2.AsyncClient, ann: dict[str, str]
    ) -> None:
        """The limit is inclusive: a padded valid request of 16 KiB is priced."""
        text = json.dumps(_request())
        padded = text + " " * (MAX_BODY - len(text))

        response = await client.post(QUOTES, headers=ann, content=padded.encode())

        assert 200 == response.status_code, response.text


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _as_components(file: str, prefix: str) -> dict[str, Any]:
    """A schema of docs/schemas as the fragment holds it: without ``$schema`` and ``$id``,
    each ``$defs`` entry a component named ``prefix`` + its name in CamelCase, the schema
    itself named ``prefix``, and every ``$ref`` rewritten to match."""
    schema = json.loads((SCHEMAS / file).read_text("utf-8"))
    definitions: dict[str, Any] = schema.pop("$defs")
    del schema["$schema"], schema["$id"]
    names = {name: prefix + _camel(name) for name in definitions}

    def rewrite(node: object) -> object:
        if isinstance(node, dict):
            return {
                key: (
                    f"#/components/schemas/{names[value.removeprefix('#/$defs/')]}"
                    if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/")
                    else rewrite(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return {prefix: rewrite(schema)} | {
        names[name]: rewrite(definition) for name, definition in definitions.items()
    }


class TestFragment:
    def test_its_schemas_are_the_contracts_json_schemas(self) -> None:
        """quotes.yaml holds docs/schemas' request and response schemas, exactly, and no
        other schema: they cannot drift apart."""
        expected = _as_components("quote-request.schema.json", "QuoteRequest") | _as_components(
            "quote-response.schema.json", "Quote"
        )

        assert expected == fragment("quotes")["components"]["schemas"]

    def test_the_operation_uses_them(self) -> None:
        """The request body is a QuoteRequest, the 200 a Quote, and the example is valid."""
        operation = fragment("quotes")["paths"][QUOTES]["post"]
        body = operation["requestBody"]["content"]["application/json"]

        assert "#/components/schemas/QuoteRequest" == body["schema"]["$ref"]
        assert (
            "#/components/schemas/Quote"
            == (operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"])
        )
        assert _request() == body["example"]
        assert [] == schema_errors("quotes", "QuoteRequest", body["example"])
