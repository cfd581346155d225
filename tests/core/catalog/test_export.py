"""Writing products as a catalog file."""

from __future__ import annotations

import pytest

from pulseshop.core.catalog import Product, export_rows, parse_catalog
from pulseshop.core.money import JPY, Money
from pulseshop.core.pricing import Tier
from tests.core.catalog._files import byte_lines, eur, products

pytestmark = pytest.mark.unit

MUG = Product(
    "MUG-1",
    'Mug "big",\r\nblue',
    eur("12.00"),
    "standard",
    4,
    "kitchen",
    " spaced ",
    active=False,
    tiers=(Tier(10, eur("10.00")),),
)
TEA = Product("TEA-1", "Tea", Money.of(500, JPY), "reduced", tiers=(Tier(5, Money.of(450, JPY)),))


def test_the_header_has_a_tier_column_for_every_quantity_used() -> None:
    """Tier columns follow the named ones, in increasing quantity."""
    header, *_ = export_rows([MUG, TEA])

    expected = "sku,name,unit_price,currency,tax_category,stock,category,description,active"
    assert f"{expected},price_from_5,price_from_10\r\n" == header


def test_rows_quote_what_needs_quoting_and_leave_absent_tiers_empty() -> None:
    """Quotes are doubled; empty category and description, and false, are written."""
    _, mug, tea = export_rows([MUG, TEA])

    expected = 'MUG-1,"Mug ""big"",\r\nblue",12.00,EUR,standard,4,kitchen, spaced ,false,,10.00'
    assert f"{expected}\r\n" == mug
    assert "TEA-1,Tea,500,JPY,reduced,0,,,true,450,\r\n" == tea


def test_what_export_writes_parses_back_to_the_same_products() -> None:
    """Export then parse is the identity, line breaks in cells included."""
    assert [MUG, TEA] == products(list(parse_catalog(byte_lines("".join(export_rows([MUG, TEA]))))))


def test_given_tier_quantities_stream_the_products() -> None:
    """With the quantities given, products are written as they come, unused columns empty."""
    rows = export_rows(iter([TEA]), tier_quantities=[20, 5, 5])

    header = "sku,name,unit_price,currency,tax_category,stock,category,description,active"
    assert [
        f"{header},price_from_5,price_from_20\r\n",
        "TEA-1,Tea,500,JPY,reduced,0,,,true,450,\r\n",
    ] == list(rows)


def test_a_tier_missing_from_the_given_quantities_is_a_programming_error() -> None:
    """A caller that promised the quantities and left one out is told so."""
    rows = export_rows([MUG], tier_quantities=[5])
    next(rows)

    with pytest.raises(ValueError, match="MUG-1 has a tier from 10 units"):
        next(rows)


def test_no_products_give_a_header_alone() -> None:
    """An empty catalog is a header without tier columns."""
    assert 1 == len(list(export_rows([])))


def test_prices_are_written_with_their_currency_decimals() -> None:
    """A price held as 12.5 is written 12.50, as a spreadsheet user expects."""
    short = Product("MUG-2", "Mug", eur("12.5"), "standard", tiers=(Tier(3, eur("9.9")),))

    _, row = export_rows([short])

    assert "MUG-2,Mug,12.50,EUR,standard,0,,,true,9.90\r\n" == row


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ('=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'),
        ("+1", "'+1"),
        ("-20% off", "'-20% off"),
        ("@sum", "'@sum"),
        ("'=1", "''=1"),
        ("'Tis the season", "'Tis the season"),
        ("Mug = cup", "Mug = cup"),
    ],
)
def test_text_a_spreadsheet_would_run_is_marked_and_reads_back(name: str, written: str) -> None:
    """Names and descriptions that start like a formula get an apostrophe in front, which
    the parser takes off again."""
    product = Product("MUG-3", name, eur("1.00"), "standard", description=name)

    _, row = export_rows([product])

    assert f"MUG-3,{written},1.00,EUR,standard,0,,{written},true\r\n" == row
    assert [product] == products(list(parse_catalog(byte_lines("".join(export_rows([product]))))))
