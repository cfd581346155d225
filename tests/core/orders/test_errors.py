"""Order errors as people read them."""

from __future__ import annotations

import pytest

from pulseshop.core.orders import OrderError, OrderErrorCode

pytestmark = pytest.mark.unit


class TestOrderError:
    def test_an_error_reads_as_its_field_and_sentence(self) -> None:
        """The field comes first when there is one."""
        with_field = OrderError(OrderErrorCode.INVALID_AMOUNT, "amount", "No.")
        without = OrderError(OrderErrorCode.ILLEGAL_TRANSITION, None, "No.")

        assert ("amount: No.", "No.") == (str(with_field), str(without))

    def test_codes_are_stable_lower_case_words(self) -> None:
        """Each code's value is its name in lower case: programs match on it."""
        assert all(code.value == code.name.lower() for code in OrderErrorCode)
