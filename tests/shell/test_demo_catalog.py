"""The demo catalog shipped with the service: a valid file of a plausible small shop."""

from __future__ import annotations

from importlib.resources import files

import pytest

from pulseshop.core.catalog import (
    CatalogRecord,
    Header,
    Product,
    ProductRow,
    RejectedRow,
    parse_catalog,
)

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def demo_records() -> list[CatalogRecord]:
    """Everything parsing the packaged demo catalog yields."""
    data = files("pulseshop.shell.demo").joinpath("catalog.csv").read_bytes()
    return list(parse_catalog(data.splitlines(keepends=True)))


@pytest.fixture(scope="module")
def demo_products(demo_records: list[CatalogRecord]) -> list[Product]:
    """The demo catalog's products, in file order."""
    return [record.product for record in demo_records if isinstance(record, ProductRow)]


class TestDemoCatalog:
    def test_parses_without_errors_or_warnings(self, demo_records: list[CatalogRecord]) -> None:
        """No row is rejected and the header names only catalog columns."""
        header, *rows = demo_records

        assert isinstance(header, Header)
        assert () == header.warnings
        assert [] == [row for row in rows if isinstance(row, RejectedRow)]

    def test_has_about_two_hundred_products(self, demo_products: list[Product]) -> None:
        """Between 180 and 250 products: enough to browse, small enough to read."""
        assert 180 <= len(demo_products) <= 250

    def test_spans_several_categories_and_every_tax_category(
        self, demo_products: list[Product]
    ) -> None:
        """At least five categories, and products taxed standard, reduced and zero."""
        categories = {product.category for product in demo_products}
        tax_categories = {product.tax_category for product in demo_products}

        assert len(categories) >= 5
        assert None not in categories
        assert {"standard", "reduced", "zero"} == tax_categories

    def test_skus_are_unique(self, demo_products: list[Product]) -> None:
        """Each SKU names one product."""
        skus = [product.sku for product in demo_products]

        assert len(skus) == len(set(skus))

    def test_shows_what_the_format_allows(self, demo_products: list[Product]) -> None:
        """Some products are inactive, some have volume prices, all are priced in euros."""
        assert any(not product.active for product in demo_products)
        assert any(product.tiers for product in demo_products)
        assert {"EUR"} == {product.unit_price.currency.code for product in demo_products}
