"""The JSON Schemas of the quote contract (docs/schemas/) agree with the decoder and encoder."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError
from returns.pipeline import is_successful

from pulseshop.core.currencies import EXPONENTS
from pulseshop.core.pricing import quote
from pulseshop.core.pricing.codec import decode_request, encode_quote, price_json
from pulseshop.core.problems import at

pytestmark = pytest.mark.unit

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
EXAMPLES = SCHEMAS / "examples"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _names(suffix: str) -> list[str]:
    return sorted(path.name.removesuffix(suffix) for path in EXAMPLES.glob(f"*{suffix}"))


REQUEST_SCHEMA = _load(SCHEMAS / "quote-request.schema.json")
RESPONSE_SCHEMA = _load(SCHEMAS / "quote-response.schema.json")
REQUESTS = Draft202012Validator(REQUEST_SCHEMA)
RESPONSES = Draft202012Validator(RESPONSE_SCHEMA)
VALID = _names(".request.json")
INVALID = _names(".invalid.json")


def _errors(validator: Draft202012Validator, instance: object) -> list[str]:
    """Schema errors as ``path: message``, for readable assertion failures."""
    return [f"{_path(error)}: {error.message}" for error in validator.iter_errors(instance)]


def _path(error: ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path = at(path, part)
    return path


def _properties(node: object, path: str) -> list[tuple[str, dict[str, Any]]]:
    """Every ``properties`` map in a schema, with where it is; conditions (if) are left out."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found.append((path, node["properties"]))
        for key, child in node.items():
            if key not in {"if", "then"}:
                found += _properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _properties(child, f"{path}/{index}")
    return found


def _parent(path: str) -> str:
    """``lines[0]`` of ``lines[0].sku``, ``lines`` of ``lines[2]``, the root ("") of ``at``."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[: max(cut, 0)]


class TestSchemas:
    @pytest.mark.parametrize("name", ["quote-request", "quote-response"])
    def test_each_schema_is_a_valid_draft_2020_12_schema(self, name: str) -> None:
        """Both schemas pass the metaschema and name their published location."""
        schema = _load(SCHEMAS / f"{name}.schema.json")

        Draft202012Validator.check_schema(schema)
        assert f"https://pulseshop.dev/schemas/{name}.schema.json" == schema["$id"]

    @pytest.mark.parametrize("name", ["quote-request", "quote-response"])
    def test_every_field_and_shape_is_described(self, name: str) -> None:
        """Each property has a description, each shared shape a title and a description."""
        schema = _load(SCHEMAS / f"{name}.schema.json")

        undescribed = [
            f"{path}/{field}"
            for path, properties in _properties(schema, "")
            for field, property_schema in properties.items()
            if "description" not in property_schema
        ]
        untitled = [
            shape_name
            for shape_name, shape in schema["$defs"].items()
            if not {"title", "description"} <= shape.keys()
        ]

        assert ([], []) == (undescribed, untitled)

    def test_currencies_are_the_ones_the_core_knows(self) -> None:
        """Request and response list exactly the ISO 4217 codes the core has exponents for."""
        known = sorted(EXPONENTS)

        assert known == REQUEST_SCHEMA["$defs"]["currency"]["enum"]
        assert known == RESPONSE_SCHEMA["properties"]["currency"]["enum"]

    def test_every_example_comes_with_its_answer(self) -> None:
        """Each request has a stored response, each invalid request its problems."""
        assert len(VALID) >= 5
        assert len(INVALID) >= 2
        assert VALID == _names(".response.json")
        assert INVALID == _names(".problems.json")


class TestValidExamples:
    @pytest.mark.parametrize("name", VALID)
    def test_request_matches_the_request_schema(self, name: str) -> None:
        """The example request is valid under the request schema."""
        assert [] == _errors(REQUESTS, _load(EXAMPLES / f"{name}.request.json"))

    @pytest.mark.parametrize("name", VALID)
    def test_request_quotes_to_the_stored_response(self, name: str) -> None:
        """Decoding, quoting and encoding the request gives the stored response exactly."""
        request = decode_request(_load(EXAMPLES / f"{name}.request.json")).unwrap()

        encoded = encode_quote(quote(request).unwrap())

        assert _load(EXAMPLES / f"{name}.response.json") == encoded

    @pytest.mark.parametrize("name", VALID)
    def test_response_matches_the_response_schema(self, name: str) -> None:
        """The stored response is valid under the response schema."""
        assert [] == _errors(RESPONSES, _load(EXAMPLES / f"{name}.response.json"))


class TestInvalidExamples:
    @pytest.mark.parametrize("name", INVALID)
    def test_decoder_names_exactly_the_listed_problems(self, name: str) -> None:
        """price_json fails with the listed ``path: message`` problems, in order."""
        data = _load(EXAMPLES / f"{name}.invalid.json")

        priced = price_json(data)

        assert not is_successful(priced)
        assert _load(EXAMPLES / f"{name}.problems.json") == [
            str(problem) for problem in priced.failure()
        ]
        assert priced.failure() == decode_request(data).failure()

    def test_schema_rejects_every_malformed_field_the_decoder_names(self) -> None:
        """Each problem of the malformed example is a schema error at its path or its parent's
        (where the schema reports missing and unknown fields)."""
        data = _load(EXAMPLES / "malformed.invalid.json")
        flagged = {_path(error) for error in REQUESTS.iter_errors(data)}

        unflagged = [
            str(problem)
            for problem in decode_request(data).failure()
            if problem.path not in flagged and _parent(problem.path) not in flagged
        ]

        assert [] == unflagged

    def test_schema_accepts_what_only_the_decoder_can_check(self) -> None:
        """Problems across fields (exponents, categories, duplicates, order) pass the schema."""
        assert [] == _errors(REQUESTS, _load(EXAMPLES / "unpriceable.invalid.json"))


def _changed(document: object, path: tuple[str | int, ...], value: object) -> object:
    changed = copy.deepcopy(document)
    parent: Any = changed
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return changed


LINE = ("lines", 0)
Change = tuple[tuple[str | int, ...], object]
ACCEPTED: list[Change] = [
    (("at",), "2024-02-29T00:00:00Z"),
    (("at",), "2000-02-29T23:59:59.999999+14:00"),
    ((*LINE, "unit_price"), "0012.30"),
    ((*LINE, "unit_price"), "1000000000000.00"),
    ((*LINE, "unit_price"), "0" * 36 + "1.00"),
    ((*LINE, "quantity"), 1_000_000),
    ((*LINE, "sku"), "x" * 200),
    ((*LINE, "category"), None),
    (("tax_rates", "reduced"), "1.000"),
    (("tax_rates", "reduced"), "0.1234567890"),
    (("tax_rates", "reduced"), "0.123456789000"),
    (("shipping_tax",), {"mode": "weighted", "category": None}),
    (("shipping_tax",), {"mode": "category", "category": "standard"}),
    (("shipping",), None),
    (("rounding",), {"level": "order"}),
    (("rules",), [{"id": "R", "action": {"type": "percent_off_order", "percent": "100"}}]),
    (("rules",), [{"id": "R", "action": {"type": "buy_x_get_y", "buy": 2, "get": 1}}]),
    (("usage",), {"R": {"total": 3}}),
]
REJECTED: list[Change] = [
    (("at",), "2026-02-29T00:00:00Z"),
    (("at",), "1900-02-29T00:00:00Z"),
    (("at",), "2026-04-31T00:00:00Z"),
    (("at",), "0000-01-01T00:00:00Z"),
    (("at",), "2026-12-04T10:00:00"),
    (("at",), "2026-12-04T24:00:00Z"),
    (("at",), "2026-12-04T10:00:00Z\n"),
    ((*LINE, "unit_price"), "1000000000000.01"),
    ((*LINE, "unit_price"), "0" * 37 + "1.00"),
    ((*LINE, "unit_price"), "12.30\n"),
    ((*LINE, "unit_price"), "1e3"),
    ((*LINE, "unit_price"), "-1.00"),
    ((*LINE, "unit_price"), 12.3),
    ((*LINE, "quantity"), 1_000_001),
    ((*LINE, "quantity"), True),
    ((*LINE, "sku"), "x" * 201),
    ((*LINE, "sku"), " \t"),
    ((*LINE, "currency"), None),
    (("tax_rates", "reduced"), "0.12345678901"),
    (("tax_rates", "reduced"), "1.0001"),
    (("tax_rates", " "), "0.10"),
    (("shipping_tax",), {"mode": "category"}),
    (("shipping_tax",), {"mode": "category", "category": None}),
    (("rounding",), None),
    (("rules",), [{"id": "R", "action": {"type": "percent_off_order", "percent": "100.5"}}]),
    (("rules",), [{"id": "R", "action": {"type": "free_shipping", "percent": "10"}}]),
    (("rules",), [{"id": "R", "action": {"type": []}}]),
    (("rules",), [{"id": "R", "action": None}]),
    (("rules",), [{"id": "R", "action": {"type": "free_shipping"}, "priority": -1_000_001}]),
    (("rules",), [{"id": "R", "action": {"type": "buy_x_get_y", "buy": 2}}]),
    (("coupons",), ["WINTER", " "]),
    (("usage",), {"R": {"total": 0, "customer": -1}}),
]


def _verdicts(path: tuple[str | int, ...], value: object) -> tuple[bool, bool]:
    """(schema, decoder): whether each accepts the basic example with ``value`` at ``path``."""
    request = _changed(_load(EXAMPLES / "basic-vat.request.json"), path, value)
    return REQUESTS.is_valid(request), is_successful(decode_request(request))


class TestLimits:
    @pytest.mark.parametrize(("path", "value"), ACCEPTED)
    def test_schema_and_decoder_both_accept_values_at_the_limits(
        self, path: tuple[str | int, ...], value: object
    ) -> None:
        """Values just inside a field's limits pass the schema and the decoder."""
        assert (True, True) == _verdicts(path, value)

    @pytest.mark.parametrize(("path", "value"), REJECTED)
    def test_schema_and_decoder_both_reject_values_past_the_limits(
        self, path: tuple[str | int, ...], value: object
    ) -> None:
        """Values just outside a field's limits fail the schema and the decoder."""
        assert (False, False) == _verdicts(path, value)
