"""Cart errors as people read them."""

from __future__ import annotations

import pytest

from pulseshop.core.cart import CartError, CartErrorCode

pytestmark = pytest.mark.unit


class TestCartError:
    def test_an_error_reads_as_its_field_and_sentence(self) -> None:
        """The field comes first when there is one."""
        with_field = CartError(CartErrorCode.NOT_EXPIRED, "ttl", "Not yet.")
        without = CartError(CartErrorCode.NOT_EXPIRED, None, "Not yet.")

        assert ("ttl: Not yet.", "Not yet.") == (str(with_field), str(without))

    def test_codes_are_stable_lower_case_words(self) -> None:
        """Each code's value is its name in lower case: programs match on it."""
        assert all(code.value == code.name.lower() for code in CartErrorCode)
