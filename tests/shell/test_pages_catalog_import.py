"""The staff's catalog import page: a file checked by a dry run, its plan, then imported
with the bytes checked, through the real application into a real PostgreSQL."""

from __future__ import annotations

import html
import re
import secrets
from typing import TYPE_CHECKING, Final, TypeAlias

import pytest

from tests.shell.page_support import browser_client, csrf_token, sign_in

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx2

    from pulseshop.adapters.postgres import PostgresDatabase, PostgresUrl

pytestmark = pytest.mark.integration

PAGE: Final = "/staff/catalog/import"
COMMIT: Final = "/staff/catalog/import/commit"
HEADER: Final = b"sku,name,unit_price,currency,tax_category,stock,category\n"
GOOD: Final = (
    HEADER
    + b"TEA-DARJ-100,Darjeeling 100 g,8.90,EUR,reduced,5,tea\n"
    + b"MUG-BLUE,Blue mug,12.00,EUR,standard,40,kitchen\n"
)
BAD_PRICE: Final = GOOD + b"MUG-RED,Red mug,12;00,EUR,standard,4,kitchen\n"
NOT_UTF8_ROW: Final = GOOD + b"MUG-RED,Red mug \xff,12.00,EUR,standard,4,kitchen\n"
MIB: Final = 1024 * 1024
CHANGED: Final = "The file changed between the check and the import: check it again."

Part: TypeAlias = "str | tuple[str, bytes]"
"""A form field's value: text, or a file's name and bytes."""


@pytest.fixture
async def client(
    database_url: PostgresUrl, database: PostgresDatabase
) -> AsyncIterator[httpx2.AsyncClient]:
    del database  # a clean database
    async with browser_client(database_url) as started:
        yield started


@pytest.fixture
async def staff(client: httpx2.AsyncClient, database: PostgresDatabase) -> httpx2.AsyncClient:
    """The client, signed in as a staff member (catalog:write)."""
    await sign_in(client, database, "sam@example.com", "staff")
    return client


def _multipart(fields: list[tuple[str, Part]]) -> tuple[bytes, dict[str, str]]:
    """A multipart body as a browser sends it: a file input left empty is a part with an
    empty file name, which httpx cannot send."""
    boundary = secrets.token_hex(16)
    body = bytearray()
    for name, value in fields:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode()
        if isinstance(value, tuple):
            filename, content = value
            body += f'; filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            body += content
        else:
            body += b"\r\n\r\n" + value.encode()
        body += b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


async def _post(
    client: httpx2.AsyncClient, url: str, fields: list[tuple[str, Part]]
) -> httpx2.Response:
    body, headers = _multipart(fields)
    return await client.post(url, content=body, headers=headers)


async def _check(
    client: httpx2.AsyncClient,
    content: bytes | None,
    policy: str = "reject-all",
    filename: str = "catalog.csv",
) -> httpx2.Response:
    """Open the page, then check ``content`` (None: no file chosen) under ``policy``."""
    page = await client.get(PAGE)
    file: tuple[str, bytes] = ("", b"") if content is None else (filename, content)
    return await _post(
        client, PAGE, [("csrf_token", csrf_token(page.text)), ("file", file), ("on_error", policy)]
    )


def _commit_form(page: str) -> list[tuple[str, Part]] | None:
    """The fields of the page's import form, as the browser would send them; None when
    the page offers no import."""
    found = re.search(rf'<form method="post" action="{COMMIT}"[^>]*>(.*?)</form>', page, re.S)
    if found is None:
        return None
    inputs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found.group(1))
    return [(name, html.unescape(value)) for name, value in inputs]


async def _commit(client: httpx2.AsyncClient, checked: httpx2.Response) -> httpx2.Response:
    fields = _commit_form(checked.text)
    assert fields is not None, checked.text
    return await _post(client, COMMIT, fields)


async def _products(database: PostgresDatabase) -> dict[str, str]:
    rows = await database.fetch_all("SELECT sku, round(unit_price, 2)::text AS price FROM products")
    return {row["sku"]: row["price"] for row in rows}


def _figure(page: str, name: str) -> int:
    found = re.search(rf'data-testid="{name}">(\d+)<', page)
    assert found is not None, page
    return int(found.group(1))


def _counts(page: str) -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value] # four names, four figures
        _figure(page, name) for name in ("created", "updated", "unchanged", "failed")
    )


class TestTheForm:
    async def test_staff_see_the_upload_form(self, staff: httpx2.AsyncClient) -> None:
        """A labelled CSV file input, reject-all chosen, and the check button."""
        page = await staff.get(PAGE)

        assert 200 == page.status_code
        assert '<label for="catalog-file">Catalog file (CSV)</label>' in page.text
        assert 'accept=".csv,text/csv"' in page.text
        assert 'value="reject-all" checked' in page.text
        assert "Check the file</button>" in page.text

    async def test_a_customer_gets_403(
        self, client: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """The page and its forms are for staff only; a customer's check writes nothing."""
        await sign_in(client, database, "ann@example.com")

        page = await client.get(PAGE)
        checked = await _post(
            client,
            PAGE,
            [("csrf_token", csrf_token(page.text)), ("file", ("c.csv", GOOD))],
        )

        assert (403, 403) == (page.status_code, checked.status_code)
        assert {} == await _products(database)

    async def test_a_visitor_signed_out_is_sent_to_sign_in(
        self, client: httpx2.AsyncClient
    ) -> None:
        """303 to the sign-in page, coming back to the import page after."""
        page = await client.get(PAGE)
        checked = await _post(client, PAGE, [("file", ("c.csv", GOOD))])

        assert (303, "/login?next=%2Fstaff%2Fcatalog%2Fimport") == (
            page.status_code,
            page.headers["location"],
        )
        assert 303 == checked.status_code


class TestCheck:
    async def test_a_valid_file_shows_the_plan_and_writes_nothing(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """The counts of the dry run and a form to import it; no product is written."""
        checked = await _check(staff, GOOD)

        assert 200 == checked.status_code, checked.text
        assert (2, 0, 0, 0) == _counts(checked.text)
        assert "Import 2 products</button>" in checked.text
        assert _commit_form(checked.text) is not None
        assert {} == await _products(database)

    async def test_under_reject_all_a_wrong_row_is_shown_and_no_import_offered(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """The row's line, its field and the problem; the import would be rejected."""
        checked = await _check(staff, BAD_PRICE, "reject-all")

        assert 200 == checked.status_code
        assert (2, 0, 0, 1) == _counts(checked.text)
        assert re.search(
            r'<tr class="plan-errors">\s*<th scope="row"[^>]*>4</th>\s*<td>unit_price</td>\s*'
            r"<td>[^<]*&#39;12;00&#39; is not a decimal number",
            checked.text,
        ), checked.text
        assert "The import would be rejected" in checked.text
        assert _commit_form(checked.text) is None
        assert {} == await _products(database)

    async def test_an_unknown_column_is_a_warning_and_the_import_is_offered(
        self, staff: httpx2.AsyncClient
    ) -> None:
        """A warning does not stop the import."""
        content = (
            GOOD.replace(b"category\n", b"category,colour\n", 1)
            .replace(b"tea\n", b"tea,green\n")
            .replace(b"kitchen\n", b"kitchen,blue\n")
        )

        checked = await _check(staff, content)

        assert "Warning: &#39;colour&#39; is not a catalog column" in checked.text
        assert _commit_form(checked.text) is not None

    async def test_a_file_already_imported_offers_nothing_to_import(
        self, staff: httpx2.AsyncClient
    ) -> None:
        """Every product unchanged: nothing to write, so no import form."""
        await _commit(staff, await _check(staff, GOOD))

        checked = await _check(staff, GOOD)

        assert (0, 0, 2, 0) == _counts(checked.text)
        assert "Nothing to import" in checked.text
        assert _commit_form(checked.text) is None

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (None, "Choose the catalog file to check."),
            (b"", "The file is empty"),
            (b"\xff\xfesku,name\n", "is not UTF-8"),
            (b"code,title,price\nA-1,x,1.00\n", "the required column &#39;sku&#39; is missing"),
        ],
        ids=["no-file", "empty", "not-utf8", "wrong-header"],
    )
    async def test_a_file_that_is_not_a_catalog_file_is_refused_at_the_field(
        self,
        staff: httpx2.AsyncClient,
        database: PostgresDatabase,
        content: bytes | None,
        message: str,
    ) -> None:
        """422: the form again, the error next to the file input, the policy kept."""
        checked = await _check(staff, content, "skip-rows")

        assert 422 == checked.status_code
        assert 'aria-invalid="true"' in checked.text
        error = re.search(
            r'<p class="field-error" id="catalog-file-error"[^>]*>([^<]*)<', checked.text
        )
        assert error is not None, checked.text
        assert message in error.group(1)
        assert 'value="skip-rows" checked' in checked.text
        assert {} == await _products(database)

    async def test_a_choice_that_is_not_offered_is_refused(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """422: the form again, asking what to do with wrong rows."""
        checked = await _check(staff, GOOD, "import-anyway")

        assert 422 == checked.status_code
        assert "Choose what to do with the rows that are wrong." in checked.text
        assert {} == await _products(database)

    @pytest.mark.parametrize("size", [5 * MIB + 1, 6 * MIB])
    async def test_a_file_over_5_mib_is_413(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase, size: int
    ) -> None:
        """Too large to check, whether the form's cap or the file's limit stops it."""
        content = GOOD + b"#" * (size - len(GOOD))

        checked = await _check(staff, content)

        assert 413 == checked.status_code
        assert {} == await _products(database)


class TestCommit:
    async def test_importing_the_checked_file_writes_its_products(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """The result page says how many were imported; the products are in the catalog."""
        imported = await _commit(staff, await _check(staff, GOOD))

        assert 200 == imported.status_code, imported.text
        assert "Imported 2 products." in imported.text
        assert (2, 0, 0, 0) == _counts(imported.text)
        assert {"TEA-DARJ-100": "8.90", "MUG-BLUE": "12.00"} == await _products(database)

    @pytest.mark.parametrize("content", [BAD_PRICE, NOT_UTF8_ROW], ids=["bad-price", "not-utf8"])
    async def test_under_skip_rows_only_the_valid_rows_are_written(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase, content: bytes
    ) -> None:
        """The wrong row is reported and skipped, the file's other rows imported."""
        checked = await _check(staff, content, "skip-rows")
        imported = await _commit(staff, checked)

        assert "Import 2 products</button>" in checked.text
        assert 'class="plan-errors"' in checked.text
        assert 200 == imported.status_code, imported.text
        assert "Imported 2 products, skipping 1 wrong row." in imported.text
        assert {"TEA-DARJ-100", "MUG-BLUE"} == set(await _products(database))

    async def test_a_file_larger_than_one_form_field_is_imported_whole(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """A file that packs into more than one hidden field (64 KiB each) comes back whole."""
        rows = b"".join(
            f"SKU-{n:05d},{secrets.token_hex(40)},1.00,EUR,standard,1,tea\n".encode()
            for n in range(3_000)
        )

        checked = await _check(staff, HEADER + rows)
        fields = _commit_form(checked.text)
        imported = await _commit(staff, checked)

        assert fields is not None
        assert len([name for name, _value in fields if name == "csv"]) > 1
        assert 200 == imported.status_code, imported.text
        assert 3_000 == len(await _products(database))

    async def test_an_import_changes_what_carts_see_at_once(
        self, staff: httpx2.AsyncClient
    ) -> None:
        """A cart priced before the import shows the imported price right after it."""
        await _commit(staff, await _check(staff, GOOD))
        cart = await staff.get("/cart")
        await _post(
            staff,
            "/cart/items",
            [("csrf_token", csrf_token(cart.text)), ("sku", "MUG-BLUE"), ("quantity", "1")],
        )
        before = await staff.get("/cart")

        await _commit(staff, await _check(staff, GOOD.replace(b"12.00", b"14.00")))
        after = await staff.get("/cart")

        assert ("12.00 EUR" in before.text, "14.00 EUR" in after.text) == (True, True)

    @pytest.mark.parametrize("field", ["sha256", "csv"])
    async def test_a_changed_file_or_hash_is_refused_and_nothing_written(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase, field: str
    ) -> None:
        """422: the upload form with the error at the file field."""
        checked = await _check(staff, GOOD)
        fields = _commit_form(checked.text)
        assert fields is not None
        # Another file's fields: its hash, or its bytes.
        other = _commit_form((await _check(staff, BAD_PRICE, "skip-rows")).text)
        assert other is not None
        tampered = [(name, value) for name, value in fields if name != field]
        tampered += [(name, value) for name, value in other if name == field]

        imported = await _post(staff, COMMIT, tampered)

        assert 422 == imported.status_code
        assert CHANGED in imported.text
        assert 'aria-invalid="true"' in imported.text
        assert {} == await _products(database)

    async def test_an_import_without_the_csrf_token_is_403_and_writes_nothing(
        self, staff: httpx2.AsyncClient, database: PostgresDatabase
    ) -> None:
        """The form must come from this site."""
        fields = _commit_form((await _check(staff, GOOD)).text)
        assert fields is not None

        imported = await _post(staff, COMMIT, [(n, v) for n, v in fields if n != "csrf_token"])

        assert 403 == imported.status_code
        assert {} == await _products(database)
