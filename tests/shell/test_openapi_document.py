"""The OpenAPI document: valid OpenAPI 3.1, in step with the application's routes, served
at /openapi.json and shown at /docs from our own files; fragments that clash are refused."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from importlib import metadata
from typing import TYPE_CHECKING, Final

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from schemathesis.specs.openapi.definitions import OPENAPI_31
from starlette.routing import Route
from starlette.testclient import TestClient

from pulseshop.adapters.postgres import PostgresDatabase, parse_postgres_url
from pulseshop.shell.web import create_app
from pulseshop.shell.web.api_docs import STATIC_DIRECTORY
from pulseshop.shell.web.openapi import (
    COMMON,
    OpenApiFragmentError,
    assemble_document,
    openapi_document,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from starlette.applications import Starlette

METHODS: Final = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# Routes that describe the API or serve files, not part of it.
UNDOCUMENTED: Final = frozenset({"/openapi.json", "/docs"})
VIEWER: Final = "/static/openapi-viewer/"
PAGES: Final = "pulseshop.shell.web.pages."


@pytest.fixture(scope="module")
def app() -> Starlette:
    """The application, never started: these routes need no database."""
    return create_app(PostgresDatabase(parse_postgres_url("postgresql://x@127.0.0.1:9/x").unwrap()))


@pytest.fixture(scope="module")
def client(app: Starlette) -> TestClient:
    """A client of the application that does not run its lifespan."""
    return TestClient(app)


def _operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {
        (path, method.upper())
        for path, item in paths.items()
        for method in item
        if method in METHODS
    }


def _refs(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _schemas(value: object) -> Iterator[object]:
    """Every Schema Object of a document: component schemas, and the `schema` of
    parameters, headers and media types."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "schema":
                yield item
            elif key == "schemas" and isinstance(item, dict):
                yield from item.values()
            else:
                yield from _schemas(item)
    elif isinstance(value, list):
        for item in value:
            yield from _schemas(item)


class TestTheDocument:
    def test_is_valid_openapi_3_1(self) -> None:
        """The OpenAPI 3.1 schema (as published, 2022-10-07) accepts the document, and every
        Schema Object in it is a valid JSON Schema 2020-12."""
        document = json.loads(json.dumps(openapi_document()))

        errors = [
            f"{error.json_path}: {error.message}"
            for error in Draft202012Validator(OPENAPI_31).iter_errors(document)
        ]
        meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
        invalid_schemas = [schema for schema in _schemas(document) if not meta.is_valid(schema)]

        assert [] == errors
        assert [] == invalid_schemas
        assert "3.1.0" == document["openapi"]
        assert metadata.version("pulseshop") == document["info"]["version"]

    def test_every_reference_resolves(self) -> None:
        """Each `$ref` names something the document holds."""
        document = json.loads(json.dumps(openapi_document()))
        resolver = (
            Registry()
            .with_resource("urn:pulseshop", Resource.opaque(document))
            .resolver("urn:pulseshop")
        )

        unresolved = []
        for ref in sorted(set(_refs(document))):
            try:
                resolver.lookup(ref)
            except Unresolvable:
                unresolved.append(ref)

        assert [] == unresolved

    def test_operation_ids_are_unique(self) -> None:
        """Every operation has an operationId, and no two share one."""
        paths = openapi_document()["paths"]
        assert isinstance(paths, dict)
        ids = [
            operation.get("operationId")
            for item in paths.values()
            for method, operation in item.items()
            if method in METHODS
        ]

        assert None not in ids
        assert len(ids) == len(set(ids))

    def test_describes_every_route_of_the_app_and_no_other(self, app: Starlette) -> None:
        """Each HTTP route and method is in the document, and each operation is a route (HEAD,
        which Starlette adds to GET, /static, the document and its viewer aside, and the
        HTML pages, which are for people: `pulseshop.shell.web.pages`)."""
        routes = {
            (route.path, method)
            for route in app.routes
            if isinstance(route, Route)
            and route.path not in UNDOCUMENTED
            and not route.endpoint.__module__.startswith(PAGES)
            for method in route.methods or ()
            if method != "HEAD"
        }

        assert routes == _operations(openapi_document())
        assert ("/api/v1/checkout", "POST") in routes
        assert not any(path == "/checkout" for path, _method in routes)

    def test_is_what_openapi_json_serves(self, client: TestClient) -> None:
        """GET /openapi.json, with no token, answers the document as JSON."""
        response = client.get("/openapi.json")

        assert 200 == response.status_code
        assert "application/json" == response.headers["content-type"]
        assert json.loads(json.dumps(openapi_document())) == response.json()


class _Page(HTMLParser):
    """The scripts and stylesheets a page loads, and any inline script text."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.inline: list[str] = []
        self.documents: list[str | None] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script":
            self._in_script = True
            self.sources.append(named.get("src") or "")
        elif tag == "link":
            self.sources.append(named.get("href") or "")
        if "data-openapi-url" in named:
            self.documents.append(named["data-openapi-url"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


class TestTheViewer:
    def test_docs_loads_only_our_own_files_and_no_inline_script(self, client: TestClient) -> None:
        """GET /docs is HTML whose scripts and stylesheet are served here, from /static."""
        response = client.get("/docs")
        page = _Page()
        page.feed(response.text)

        assert 200 == response.status_code
        assert response.headers["content-type"].startswith("text/html")
        assert [] == page.inline
        assert 3 == len(page.sources)
        assert all(source.startswith("/static/") for source in page.sources)
        assert ["/openapi.json"] == page.documents
        assert [200] * 3 == [client.get(source).status_code for source in page.sources]

    def test_the_vendored_viewer_comes_with_its_license_and_version(self) -> None:
        """The files the vendoring script copies are there, with the pinned version."""
        viewer = STATIC_DIRECTORY / "openapi-viewer"

        assert "swagger-ui-dist 5.35.0\n" == (viewer / "VERSION").read_text()
        assert "Apache License" in (viewer / "LICENSE").read_text()
        assert (viewer / "swagger-ui-bundle.js").stat().st_size > 100_000

    def test_static_files_stay_in_their_directory(self, client: TestClient) -> None:
        """A path climbing out of /static is not found, in the error shape."""
        response = client.get("/static/../openapi/common.yaml")

        assert 404 == response.status_code
        assert "not_found" == response.json()["error"]["code"]


class TestFragments:
    def _write(self, directory: Path, files: dict[str, str]) -> Path:
        frame = (
            "openapi: 3.1.0\ninfo: {title: t, version: '0'}\npaths: {}\n"
            "components: {schemas: {Error: {type: object}}}\n"
        )
        (directory / COMMON).write_text(frame)
        for name, text in files.items():
            (directory / name).write_text(text)
        return directory

    def test_fragments_are_merged_in_name_order(self, tmp_path: Path) -> None:
        """Paths and components of every fragment end up in the one document."""
        directory = self._write(
            tmp_path,
            {
                "b.yaml": "paths: {/b: {}}\ncomponents: {schemas: {B: {type: string}}}\n",
                "a.yaml": "paths: {/a: {}}\ncomponents: {responses: {A: {description: a}}}\n",
                "notes.txt": "not a fragment",
            },
        )

        document = assemble_document(directory)

        assert ["/a", "/b"] == list(document["paths"])  # type: ignore[call-overload]
        assert {
            "schemas": {"Error": {"type": "object"}, "B": {"type": "string"}},
            "responses": {"A": {"description": "a"}},
        } == document["components"]

    @pytest.mark.parametrize(
        ("files", "message"),
        [
            (
                {"a.yaml": "paths: {/x: {}}\n", "b.yaml": "paths: {/x: {}}\n"},
                "path '/x' is defined in both a.yaml and b.yaml",
            ),
            (
                {"a.yaml": "paths: {}\ncomponents: {schemas: {Error: {}}}\n"},
                "component schemas 'Error' is defined in both common.yaml and a.yaml",
            ),
            (
                {"a.yaml": "paths: {}\ninfo: {title: x}\n"},
                "a.yaml: a fragment holds `paths` and optionally `components`, not info",
            ),
            (
                {"a.yaml": "paths: {}\ncomponents: {securitySchemes: {}}\n"},
                "a.yaml: components may hold parameters, responses, schemas, not securitySchemes",
            ),
            ({"a.yaml": "- a list\n"}, "a.yaml: must be a mapping"),
            ({"a.yaml": "paths: [\n"}, "a.yaml: not YAML"),
        ],
    )
    def test_a_malformed_fragment_is_refused_by_name(
        self, tmp_path: Path, files: dict[str, str], message: str
    ) -> None:
        """The error names the file (both files, for something defined twice)."""
        directory = self._write(tmp_path, files)

        with pytest.raises(OpenApiFragmentError) as refused:
            assemble_document(directory)

        assert str(refused.value).startswith(message)


def test_every_tag_used_is_described() -> None:
    """The viewer groups operations by tag: each one used has a description."""
    document = openapi_document()
    described = {tag["name"] for tag in document["tags"]}  # type: ignore[attr-defined]
    used = {
        tag
        for operations in document["paths"].values()  # type: ignore[attr-defined]
        for operation in operations.values()
        if isinstance(operation, dict)  # not a path's shared `parameters`
        for tag in operation.get("tags", [])
    }

    assert used == described
