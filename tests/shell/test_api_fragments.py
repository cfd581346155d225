"""The OpenAPI fragments of the quotes, catalog and me endpoints (openapi/quotes.yaml,
catalog.yaml, me.yaml): their shape, and that they describe every answer the routes give."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pytest
from jsonschema import Draft202012Validator
from starlette.routing import Route

from pulseshop.adapters.postgres import PostgresDatabase, parse_postgres_url
from pulseshop.shell.web import create_app
from tests.shell.api_support import fragment

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.unit

FRAGMENTS: Final = ("quotes", "catalog", "me")

SHARED: Final = {
    "responses": {
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "PayloadTooLarge",
        "Unprocessable",
    },
    "parameters": {"Cursor", "Limit"},
    "schemas": {"Error"},
}
"""What the fragments may take from common.yaml."""

STATUSES: Final = {
    ("post", "/api/v1/quotes"): {"200", "401", "403", "413", "422"},
    ("get", "/api/v1/products"): {"200", "401", "403", "422"},
    ("get", "/api/v1/products/{sku}"): {"200", "401", "403", "404"},
    ("post", "/api/v1/catalog/imports"): {"200", "201", "401", "403", "413", "415", "422"},
    ("get", "/api/v1/me"): {"200", "401"},
    ("get", "/api/v1/me/preferences"): {"200", "401"},
    ("put", "/api/v1/me/preferences"): {"200", "401", "413", "422"},
}
"""Every status each operation can answer (the tests of its handler show each one)."""

OUR_PREFIXES: Final = ("/api/v1/quotes", "/api/v1/products", "/api/v1/catalog", "/api/v1/me")

METHODS: Final = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _operations() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for name in FRAGMENTS:
        for path, item in fragment(name)["paths"].items():
            for method, operation in item.items():
                yield name, method, path, operation


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


OPERATIONS: Final = list(_operations())
IDS: Final = [f"{method.upper()} {path}" for _name, method, path, _operation in OPERATIONS]


class TestShape:
    @pytest.mark.parametrize("name", FRAGMENTS)
    def test_a_fragment_holds_paths_and_only_schemas_of_its_own(self, name: str) -> None:
        """``paths``, and ``components`` with ``schemas`` alone, each a valid JSON Schema
        2020-12 schema."""
        loaded = fragment(name)

        assert {"paths", "components"} == set(loaded)
        assert {"schemas"} == set(loaded["components"])
        for schema in loaded["components"]["schemas"].values():
            Draft202012Validator.check_schema(schema)

    def test_they_describe_exactly_the_routes_the_application_serves(self) -> None:
        """Each route of the three APIs has its operation, and no operation is missing one."""
        unconnected = PostgresDatabase(
            parse_postgres_url("postgresql://nobody@127.0.0.1:9/x").unwrap()
        )
        served = {
            (method.lower(), route.path)
            for route in create_app(unconnected).routes
            if isinstance(route, Route) and route.path.startswith(OUR_PREFIXES)
            for method in route.methods or ()
            if method != "HEAD"
        }

        assert set(STATUSES) == served
        assert set(STATUSES) == {(method, path) for _n, method, path, _o in OPERATIONS}

    def test_component_names_are_unique_across_the_fragments(self) -> None:
        """No two fragments define one schema (the loader would refuse it)."""
        names = [schema for name in FRAGMENTS for schema in fragment(name)["components"]["schemas"]]

        assert sorted(set(names)) == sorted(names)
        assert not set(names) & SHARED["schemas"]

    @pytest.mark.parametrize("name", FRAGMENTS)
    def test_every_reference_is_to_its_own_schemas_or_a_shared_component(self, name: str) -> None:
        """A ``$ref`` names one of the fragment's schemas, or one of common.yaml's shared
        responses, parameters and the Error schema."""
        loaded = fragment(name)
        own = set(loaded["components"]["schemas"])

        for ref in _refs(loaded):
            _, components, section, component = ref.split("/")
            assert "components" == components, ref
            known = own | SHARED["schemas"] if section == "schemas" else SHARED[section]
            assert component in known, ref


class TestOperations:
    def test_operation_ids_are_unique(self) -> None:
        """As OpenAPI requires."""
        ids = [operation["operationId"] for _n, _m, _p, operation in OPERATIONS]

        assert len(OPERATIONS) == len(set(ids))

    @pytest.mark.parametrize(("name", "method", "path", "operation"), OPERATIONS, ids=IDS)
    def test_an_operation_is_described_in_full(
        self, name: str, method: str, path: str, operation: dict[str, Any]
    ) -> None:
        """An id, tags, a bearer requirement, every parameter and the body with a schema,
        and every status it can answer (401 always) with its schema."""
        assert method in METHODS
        assert operation["operationId"]
        assert operation["tags"]
        assert [["bearerAuth"]] == [list(requirement) for requirement in operation["security"]]
        for parameter in operation.get("parameters", []):
            assert "schema" in parameter or parameter["$ref"].startswith("#/components/parameters/")
        if "requestBody" in operation:
            for media in operation["requestBody"]["content"].values():
                assert "schema" in media
        responses = operation["responses"]
        assert STATUSES[method, path] == set(responses)
        assert "401" in responses
        for response in responses.values():
            if "$ref" in response:
                assert response["$ref"].startswith("#/components/responses/")
            else:
                assert {"application/json"} == set(response["content"]), name
                assert "schema" in response["content"]["application/json"]

    @pytest.mark.parametrize(
        ("path", "operation"), [(path, op) for _n, _m, path, op in OPERATIONS], ids=IDS
    )
    def test_the_scopes_required_are_those_the_handler_checks(
        self, path: str, operation: dict[str, Any]
    ) -> None:
        """catalog:read to read and price, catalog:write to import, none to ask who one is
        or to read and set one's own preferences."""
        expected = {
            "/api/v1/catalog/imports": ["catalog:write"],
            "/api/v1/me": [],
            "/api/v1/me/preferences": [],
        }.get(path, ["catalog:read"])

        assert [{"bearerAuth": expected}] == operation["security"]
