"""The receipt e-mail of an order: what the background job sends once an order is placed.

`receipt_message` only builds the message (no clock, no I/O but reading its templates);
sending is `pulseshop.adapters.mail`'s. Its Message-ID is the same every time for one order,
so a receipt sent twice (a retried job) is recognisably the same e-mail, and mail clients
that thread or de-duplicate by Message-ID treat it so.
"""

from __future__ import annotations

import functools
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import jinja2

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.adapters.postgres.orders import StoredOrder

__all__ = ["receipt_message", "receipt_message_id"]

MAIL_TEMPLATES_DIRECTORY: Final = Path(__file__).parent / "web" / "templates" / "mail"


@functools.cache
def _environment() -> jinja2.Environment:
    # Imported here, not at the top: `pulseshop.shell.web` imports the jobs, which import
    # this module, so a top-level import would be circular when this module loads first.
    from pulseshop.shell.web.pages.kit import money  # noqa: PLC0415

    # One environment for both parts: HTML is escaped, plain text is shown as it is.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(MAIL_TEMPLATES_DIRECTORY),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["money"] = money
    return environment


def receipt_message_id(order_id: int) -> str:
    """The Message-ID of the receipt of order ``order_id``: one per order, never random.

    >>> receipt_message_id(42)
    '<receipt-42@pulseshop>'
    """
    return f"<receipt-{order_id}@pulseshop>"


def receipt_message(stored: StoredOrder, *, to: str, sender: str, now: datetime) -> EmailMessage:
    """The receipt of ``stored`` from ``sender`` to ``to``, dated ``now``.

    A plain-text part with an HTML alternative, both listing every line (name, quantity,
    unit price, line total), the subtotal, any discounts, shipping, tax and total, and the
    order's number and date.

    Raises:
        ValueError: ``now`` does not say its offset from UTC (a Date header must).
    """
    if now.utcoffset() is None:
        raise ValueError(f"now must say its offset from UTC, not {now.isoformat()}")
    context = {
        "stored": stored,
        "order": stored.order,
        "placed_at": f"{stored.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
    }
    environment = _environment()
    message = EmailMessage()
    message["Subject"] = f"Your PulseShop order #{stored.id}"
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = receipt_message_id(stored.id)
    message.set_content(environment.get_template("receipt.txt").render(context))
    message.add_alternative(
        environment.get_template("receipt.html").render(context), subtype="html"
    )
    return message
