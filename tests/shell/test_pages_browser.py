"""The pages in a real browser: Debian's chromium, driven headless by Playwright, against
the service served by uvicorn on a real port, on a real PostgreSQL.

Screenshots of the main pages are saved under ``test-output/screenshots/`` (or
``$PULSESHOP_TEST_OUTPUT/screenshots/``) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

import httpx2
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from pulseshop.adapters.postgres import PostgresDatabase
from pulseshop.shell.web import create_app
from tests.shell.api_support import bearer
from tests.shell.page_support import (
    PASSWORD,
    cart_quantities,
    page_settings,
    user_with_password,
)
from tests.support.live_server import live_server
from tests.support.services import missing_service
from tests.support.tcp_proxy import cuttable_proxy

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pulseshop.adapters.postgres import PostgresUrl

pytestmark = pytest.mark.e2e

CHROMIUM: Final = Path(os.environ.get("PULSESHOP_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS: Final = Path(os.environ.get("PULSESHOP_TEST_OUTPUT", "test-output")) / "screenshots"

SHOPPER: Final = "shopper@example.com"
STAFF: Final = "staff@example.com"
DARJEELING: Final = "Darjeeling First Flush 100 g"
ASSAM: Final = "Assam Breakfast 100 g"


async def add_product(
    database: PostgresDatabase, sku: str, name: str, price: str, *, stock: int = 100
) -> None:
    """An active product in EUR at the reduced VAT rate, in the category tea."""
    product_id = await database.fetch_value(
        "INSERT INTO products (sku, name, unit_price, currency, tax_category, category)"
        " VALUES ($1, $2, $3::numeric, 'EUR', 'reduced', 'tea') RETURNING id",
        sku,
        name,
        price,
    )
    await database.execute(
        "INSERT INTO inventory (product_id, stock) VALUES ($1, $2)", product_id, stock
    )


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        missing_service(f"chromium at {CHROMIUM} (make test installs Debian's)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        await launched.close()


@pytest.fixture
async def shop(database_url: PostgresUrl, database: PostgresDatabase) -> AsyncIterator[str]:
    """The service with two teas, a shopper and a member of staff; its base URL."""
    await add_product(database, "TEA-DARJ-100", DARJEELING, "8.90")
    await add_product(database, "TEA-ASSM-100", ASSAM, "5.90")
    await user_with_password(database, SHOPPER)
    await user_with_password(database, STAFF, "staff")
    app = create_app(PostgresDatabase(database_url, min_size=1, max_size=10), page_settings())
    async with live_server(app) as base_url:
        yield base_url


async def signed_in(browser: Browser, base_url: str, email: str) -> tuple[BrowserContext, Page]:
    """A new browser context (its own cookies) signed in as ``email``, and its page."""
    context = await browser.new_context(base_url=base_url)
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text(email)).to_be_visible()
    return context, page


def csp_violations(page: Page) -> list[str]:
    """The Content-Security-Policy violations the page reports from now on (kept as they
    come, in the list returned)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


async def add_to_cart(page: Page, name: str, quantity: int) -> None:
    """From the catalog, open the product ``name`` and add ``quantity`` of it."""
    await page.goto("/")
    await page.get_by_role("link", name=name).click()
    await page.get_by_label("Quantity").fill(str(quantity))
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


async def place_order(page: Page) -> int:
    """From the cart, check out with the approving test card; the order's id."""
    await page.get_by_role("link", name="Go to checkout").click()
    await page.get_by_role("button", name="Place order").click()
    await expect(
        page.get_by_role("heading", name="Thank you: your order is placed")
    ).to_be_visible()
    return int(page.url.split("/orders/")[1].split("?")[0])


async def test_a_shopper_fills_a_cart_changes_it_in_place_and_checks_out(
    browser: Browser, shop: str, database: PostgresDatabase
) -> None:
    context, page = await signed_in(browser, shop, SHOPPER)
    violations = csp_violations(page)
    await page.goto("/")
    await screenshot(page, "catalog")
    await page.get_by_role("link", name=DARJEELING).click()
    await screenshot(page, "product")
    await page.get_by_role("button", name="Add to cart").click()
    await add_to_cart(page, ASSAM, 2)
    total = page.get_by_test_id("total")
    before = await total.text_content()
    # Marks this document: a reload or a navigation would make a new one without it.
    await page.evaluate("window.sameDocument = true")
    quantity = page.get_by_label(f"Quantity of {DARJEELING}")
    await quantity.fill("3")
    await quantity.press("Tab")  # the change, as a person leaves the field
    await expect(total).not_to_have_text(before or "")
    await expect(page.locator("tr[data-sku='TEA-DARJ-100'] [data-testid=line-total]")).to_have_text(
        "28.17 EUR"
    )
    assert await page.evaluate("window.sameDocument === true")
    await screenshot(page, "cart")

    await page.get_by_role("link", name="Go to checkout").click()
    await screenshot(page, "checkout")
    await page.get_by_role("button", name="Place order").click()
    await expect(
        page.get_by_role("heading", name="Thank you: your order is placed")
    ).to_be_visible()
    await screenshot(page, "confirmation")
    rows = await database.fetch_all("SELECT sku, quantity FROM order_lines ORDER BY sku")
    assert [(row["sku"], row["quantity"]) for row in rows] == [
        ("TEA-ASSM-100", 2),
        ("TEA-DARJ-100", 3),
    ]
    await page.get_by_role("link", name="My orders").click()
    await expect(page.get_by_test_id("status")).to_have_text("pending payment")
    await expect(page.locator("body[data-live='joined']")).to_have_count(1)
    # The shop captures the payment: the status changes on the open page, without a reload.
    await page.evaluate("window.sameDocument = true")
    order_id = await database.fetch_value("SELECT id FROM orders")
    async with httpx2.AsyncClient(base_url=shop) as api:
        headers = await bearer(database, STAFF, "staff")
        captured = await api.post(f"/api/v1/orders/{order_id}/capture", headers=headers)
        assert captured.status_code == 200, captured.text
    await expect(page.get_by_test_id("status")).to_have_text("paid")
    assert await page.evaluate("window.sameDocument === true")
    await screenshot(page, "my-orders")
    assert violations == []
    await context.close()


async def test_an_invalid_quantity_is_shown_next_to_its_line_and_kept(
    browser: Browser, shop: str
) -> None:
    context, page = await signed_in(browser, shop, SHOPPER)
    await add_to_cart(page, DARJEELING, 1)
    await add_to_cart(page, ASSAM, 1)
    quantity = page.get_by_label(f"Quantity of {ASSAM}")
    await quantity.fill("0")
    await quantity.press("Tab")
    error = page.locator("tr[data-sku='TEA-ASSM-100'] .field-error")
    await expect(error).to_be_visible()
    await expect(page.get_by_label(f"Quantity of {ASSAM}")).to_have_value("0")
    await expect(page.get_by_label(f"Quantity of {ASSAM}")).to_have_attribute(
        "aria-invalid", "true"
    )
    await expect(page.get_by_label(f"Quantity of {DARJEELING}")).to_have_value("1")
    await screenshot(page, "cart-invalid-quantity")
    await context.close()


async def test_a_double_submitted_checkout_places_one_order(
    browser: Browser, shop: str, database: PostgresDatabase
) -> None:
    context, page = await signed_in(browser, shop, SHOPPER)
    await add_to_cart(page, DARJEELING, 1)
    await page.get_by_role("link", name="Go to checkout").click()
    await page.get_by_role("button", name="Place order").dblclick()
    await expect(
        page.get_by_role("heading", name="Thank you: your order is placed")
    ).to_be_visible()
    assert await database.fetch_value("SELECT count(*) FROM orders") == 1
    await context.close()


async def test_the_dashboard_shows_a_new_order_within_two_seconds_and_who_watches(
    browser: Browser, shop: str, database: PostgresDatabase
) -> None:
    staff_context, dashboard = await signed_in(browser, shop, STAFF)
    violations = csp_violations(dashboard)
    await dashboard.goto("/staff")
    await expect(dashboard.locator("body[data-live='joined']")).to_have_count(1)
    await expect(dashboard.locator("#presence li")).to_have_text([STAFF])
    await expect(dashboard.get_by_test_id("orders-today")).to_have_text("0")

    shopper_context, page = await signed_in(browser, shop, SHOPPER)
    await add_to_cart(page, ASSAM, 2)
    order_id = await place_order(page)
    # The order committed before the confirmation showed; two seconds from there.
    await expect(dashboard.locator(f"tr[data-order-id='{order_id}']")).to_be_visible(timeout=2_000)
    await expect(dashboard.get_by_test_id("orders-today")).to_have_text("1")
    total = await database.fetch_value("SELECT total FROM orders WHERE id = $1", order_id)
    await expect(dashboard.get_by_test_id("revenue-today")).to_have_text(f"{total:.2f} EUR")
    await screenshot(dashboard, "staff-dashboard")
    assert violations == []
    await shopper_context.close()
    await staff_context.close()


async def test_a_form_posted_without_its_csrf_token_is_refused(
    browser: Browser, shop: str, database: PostgresDatabase
) -> None:
    context, page = await signed_in(browser, shop, SHOPPER)
    await page.goto("/")
    await page.get_by_role("link", name=DARJEELING).click()
    await page.locator("form[action='/cart/items'] input[name=csrf_token]").evaluate(
        "input => input.remove()"
    )
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    await expect(page.get_by_text("did not come from this site")).to_be_visible()
    assert await cart_quantities(database) == {}
    await context.close()


async def test_after_signing_out_the_back_button_cannot_act(
    browser: Browser, shop: str, database: PostgresDatabase
) -> None:
    context, page = await signed_in(browser, shop, SHOPPER)
    await add_to_cart(page, DARJEELING, 1)
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.go_back()
    # The cart page is never stored: going back asks the server, which asks to sign in.
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("button", name="Update")).to_have_count(0)
    # Its form, posted all the same, changes nothing.
    answer = await page.request.post(
        f"{shop}/cart/items/TEA-DARJ-100", form={"quantity": "5"}, max_redirects=0
    )
    assert answer.status == 303
    assert answer.headers["location"].startswith("/login")
    assert await cart_quantities(database) == {"TEA-DARJ-100": 1}
    await context.close()


async def test_a_dropped_connection_catches_up_and_keeps_what_was_typed(
    browser: Browser, shop: str, database: PostgresDatabase
) -> None:
    shopper_context, shopper = await signed_in(browser, shop, SHOPPER)
    await add_to_cart(shopper, DARJEELING, 1)
    order_id = await place_order(shopper)
    async with cuttable_proxy(shop) as (proxied, proxy):
        staff_context, page = await signed_in(browser, proxied, STAFF)
        await page.goto(f"/staff/orders/{order_id}")
        await expect(page.locator("body[data-live='joined']")).to_have_count(1)
        await page.get_by_label("Reason", exact=True).fill("the customer called to cancel")
        status_line = page.locator("#live-status")

        proxy.cut()
        await expect(status_line).to_have_text("Connection lost: reconnecting…")
        # While this page is away, another member of staff captures the payment.
        async with httpx2.AsyncClient(base_url=shop) as api:
            headers = await bearer(database, "other.staff@example.com", "staff")
            captured = await api.post(f"/api/v1/orders/{order_id}/capture", headers=headers)
            assert captured.status_code == 200, captured.text
        proxy.restore()

        await expect(status_line).to_have_text(
            "Reconnected: 1 update arrived while the connection was down, shown below.",
            timeout=15_000,
        )
        await expect(page.locator("#live [data-testid=status]")).to_have_text("paid")
        # The actions follow the order (capture is done; a refund is possible now), and the
        # reason being typed is still there.
        await expect(page.get_by_role("button", name="Capture payment")).to_have_count(0)
        await expect(page.get_by_role("button", name="Refund")).to_be_visible()
        await expect(page.get_by_label("Reason", exact=True)).to_have_value(
            "the customer called to cancel"
        )
        await screenshot(page, "staff-order-after-reconnect")
        await staff_context.close()
    await shopper_context.close()


AXE: Final = Path(__file__).parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"


async def accessibility_violations(page: Page) -> list[str]:
    """What axe-core (WCAG 2.1 A and AA rules) finds wrong with the page as it is shown."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    found = await page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa', 'best-practice']})).violations.map(v => `${v.id}: ${v.help}"
        " (${v.nodes.map(n => n.target.join(' ')).join(', ')})`)"
    )
    return list(found)


async def test_the_main_pages_pass_the_accessibility_checks(browser: Browser, shop: str) -> None:
    if not AXE.exists():
        missing_service(f"axe-core at {AXE} (make test installs it with npm ci)")
    visitor = await browser.new_context(base_url=shop)
    page = await visitor.new_page()
    found: dict[str, list[str]] = {}
    for path in ("/", "/products/TEA-DARJ-100", "/login", "/no/such/page"):
        await page.goto(path)
        found[path] = await accessibility_violations(page)
    shopper_context, shopper = await signed_in(browser, shop, SHOPPER)
    await add_to_cart(shopper, DARJEELING, 2)
    found["/cart"] = await accessibility_violations(shopper)
    await shopper.get_by_role("link", name="Go to checkout").click()
    found["/checkout"] = await accessibility_violations(shopper)
    await shopper.get_by_role("button", name="Place order").click()
    await expect(
        shopper.get_by_role("heading", name="Thank you: your order is placed")
    ).to_be_visible()
    found["confirmation"] = await accessibility_violations(shopper)
    order_id = int(shopper.url.split("/orders/")[1].split("?")[0])
    await shopper.goto("/orders")
    found["/orders"] = await accessibility_violations(shopper)
    staff_context, staff = await signed_in(browser, shop, STAFF)
    for path in ("/staff", f"/staff/orders/{order_id}", "/staff/catalog/import"):
        await staff.goto(path)
        found[path] = await accessibility_violations(staff)
    assert {path: problems for path, problems in found.items() if problems} == {}
    # The checker does see a problem where there is one: an input without a label.
    await staff.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert any(problem.startswith("label:") for problem in await accessibility_violations(staff))
    for context in (visitor, shopper_context, staff_context):
        await context.close()


async def test_the_api_description_page_works_under_the_content_security_policy(
    browser: Browser, shop: str
) -> None:
    context = await browser.new_context(base_url=shop)
    page = await context.new_page()
    violations = csp_violations(page)
    await page.goto("/docs")
    await expect(page.locator(".opblock").first).to_be_visible()
    assert await page.locator(".opblock").count() > 10
    assert violations == []
    # An inline script is refused: the policy is in force, and its refusals are reported.
    async with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        await page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = true'; document.body.append(s); }"
        )
    assert await page.evaluate("window.injected === undefined")
    await context.close()
