"""The quick path for common valid rows gives exactly what the thorough checks would."""

from __future__ import annotations

import pytest

from pulseshop.core.catalog import Product, ProductRow, RowErrorCode
from pulseshop.core.catalog._rows import trusted_row
from pulseshop.core.money import EUR, Money
from pulseshop.core.pricing import Tier
from tests.core.catalog._files import GOOD, eur, problems, products, records_of

pytestmark = pytest.mark.unit


def _row(sku: str, stock: str) -> str:
    return GOOD.replace("MUG-1", sku).replace(",4,", f",{stock},")


class TestTrustedRow:
    def test_it_equals_the_row_the_constructors_make(self) -> None:
        """Same fields, same equality, hash and repr as `ProductRow(line, Product(...))`."""
        tiers = (Tier(10, Money.of("9.00", EUR)),)
        inactive = False
        expected = ProductRow(
            7, Product("MUG-1", "Mug", eur("12.00"), "standard", 4, None, "Blue", inactive, tiers)
        )

        actual = trusted_row(
            7, "MUG-1", "Mug", eur("12.00"), "standard", 4, None, "Blue", inactive, tiers
        )

        assert expected == actual
        assert hash(expected) == hash(actual)
        assert repr(expected) == repr(actual)


class TestStockCounts:
    def test_many_distinct_stock_counts_are_all_read(self) -> None:
        """Past the number of stock counts remembered, counts are still read right."""
        rows = [_row(f"S{number}", str(number)) for number in range(4_200)]

        found = products(records_of(*rows))

        assert list(range(4_200)) == [product.stock for product in found]

    def test_a_remembered_count_does_not_pass_a_bad_row(self) -> None:
        """A count seen in a good row still leaves the rest of a later row checked."""
        records = records_of(_row("S1", "7"), _row("s2", "7"), _row("S3", "07"))

        assert [(3, "sku", RowErrorCode.INVALID_SKU)] == problems(records)
        assert [7, 7] == [product.stock for product in products(records)]
