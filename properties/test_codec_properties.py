"""What holds for the JSON contract: malformed input fails with problems, never an exception,
and every problem names a path of the input."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from hypothesis import example, given
from returns.pipeline import is_successful
from returns.result import Failure

from properties.strategies import (
    MalformedRequest,
    broken_currencies,
    json_path,
    json_sites,
    json_values,
    malformed_requests,
    valid_json_requests,
)
from pulseshop.core.pricing.codec import decode_request, price_json

if TYPE_CHECKING:
    from pulseshop.core.problems import Problem

pytestmark = pytest.mark.unit

BHD_REQUEST: dict[str, object] = {
    "currency": "BHD",
    "tax_rates": {"standard": "0.1"},
    "lines": [{"sku": "TEA", "unit_price": "1.234", "quantity": 1, "tax_category": "standard"}],
    "at": "2026-12-04T12:00:00Z",
}
"""A small valid request whose prices use all three decimal places of the dinar."""


def _changed(path: str, change: str, **fields: object) -> MalformedRequest:
    """BHD_REQUEST with some top-level fields replaced, as a malformed request."""
    return MalformedRequest({**BHD_REQUEST, **fields}, path, change)


def _rule(action: object) -> list[dict[str, object]]:
    return [{"id": "R", "action": action}]


# Found by these properties: a list as a rule's type raised TypeError, a null action became
# free shipping, and a too precise entry of ``tax_rates`` was reported at ``taxes[0].rate``.
REGRESSIONS = (
    _changed("rules[0].action.type", "wrong type", rules=_rule({"type": []})),
    _changed("rules[0].action", "null", rules=_rule(None)),
    _changed("tax_rates.standard", "too precise", tax_rates={"standard": "0.10000000001"}),
)

_FIELD_NAME = re.compile(r"[a-z_]+")


def _is_field_of(path: str, parent: str) -> bool:
    """True when ``path`` names a field (``quantity``) of the object at ``parent``."""
    prefix = f"{parent}." if parent else ""
    return path.startswith(prefix) and _FIELD_NAME.fullmatch(path[len(prefix) :]) is not None


def _problems(data: object) -> tuple[Problem, ...]:
    result = decode_request(data)
    assert not is_successful(result), result
    problems = result.failure()
    assert problems
    return problems


def _stray_paths(data: object, problems: tuple[Problem, ...]) -> list[str]:
    """The problems' paths that are neither in ``data`` nor a field of an object in it."""
    sites = list(json_sites(data))
    paths = {json_path(steps) for steps, _ in sites}
    objects = {json_path(steps) for steps, value in sites if isinstance(value, dict)}
    return [
        problem.path
        for problem in problems
        if problem.path not in paths
        and not any(_is_field_of(problem.path, parent) for parent in objects)
    ]


class TestMalformedRequests:
    @given(json_values)
    def test_any_json_value_fails_with_problems_at_its_paths(self, data: object) -> None:
        """Arbitrary JSON is no request: it fails with problems that each name a path of the
        input, or a field missing from one of its objects."""
        problems = _problems(data)

        assert [] == _stray_paths(data, problems)

    @given(malformed_requests())
    @example(REGRESSIONS[0])
    @example(REGRESSIONS[1])
    @example(REGRESSIONS[2])
    def test_a_request_broken_in_one_place_fails_with_problems_at_its_paths(
        self, malformed: MalformedRequest
    ) -> None:
        """A wrong type, a null, a negative or too precise number, an unknown field or a
        missing one: the request fails, and every problem names a path of the input or a
        field missing from one of its objects."""
        problems = _problems(malformed.data)

        assert [] == _stray_paths(malformed.data, problems)

    @given(malformed_requests())
    @example(REGRESSIONS[0])
    @example(REGRESSIONS[1])
    @example(REGRESSIONS[2])
    def test_the_broken_path_is_reported(self, malformed: MalformedRequest) -> None:
        """Among the problems is one at the broken path, or at a path inside it."""
        paths = [problem.path for problem in _problems(malformed.data)]

        assert any(
            path == malformed.path or path.startswith((f"{malformed.path}.", f"{malformed.path}["))
            for path in paths
        ), paths

    @given(valid_json_requests(), broken_currencies)
    @example(BHD_REQUEST, "BHX")
    @example(BHD_REQUEST, None)
    def test_a_broken_currency_is_reported_alone(
        self, data: dict[str, object], currency: object
    ) -> None:
        """Amounts cannot be judged without their currency: a valid request whose currency is
        malformed or unknown reports the currency, not its amounts against a stand-in."""
        problems = _problems({**data, "currency": currency})

        assert ["currency"] == [problem.path for problem in problems]


class TestPriceJson:
    @given(json_values | malformed_requests().map(lambda malformed: malformed.data))
    def test_price_json_never_raises(self, data: object) -> None:
        """Whatever broken JSON it is given, pricing it fails with problems; it never raises."""
        assert isinstance(price_json(data), Failure)

    @given(valid_json_requests())
    def test_price_json_prices_valid_requests(self, data: dict[str, object]) -> None:
        """The valid requests the broken ones start from price to a quote, amounts as strings."""
        encoded = price_json(data).unwrap()

        assert isinstance(encoded["total"], str)
