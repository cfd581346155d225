"""What a user chose: the currency amounts are shown in, and whether receipts are e-mailed.

A user without a row has `DEFAULT_PREFERENCES` (the shop's currency, receipts on), as
`receipts.receipt_wanted` reads it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

import attrs

if TYPE_CHECKING:
    from datetime import datetime

    from pulseshop.adapters.postgres.database import PostgresDatabase

__all__ = ["DEFAULT_PREFERENCES", "Preferences", "preferences_of", "save_preferences"]

PREFERENCES_SQL: Final = (
    "SELECT display_currency, receipt_emails FROM user_preferences WHERE user_id = $1"
)
SAVE_SQL: Final = """
    INSERT INTO user_preferences (user_id, display_currency, receipt_emails, updated_at)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (user_id) DO UPDATE
    SET display_currency = EXCLUDED.display_currency,
        receipt_emails = EXCLUDED.receipt_emails,
        updated_at = EXCLUDED.updated_at
"""


@final
@attrs.frozen
class Preferences:
    """A user's preferences: ``display_currency`` None shows amounts in the shop's currency."""

    display_currency: str | None
    receipt_emails: bool


DEFAULT_PREFERENCES: Final = Preferences(display_currency=None, receipt_emails=True)
"""The preferences of a user who never chose."""


async def preferences_of(database: PostgresDatabase, user_id: int) -> Preferences:
    """The user's preferences (`DEFAULT_PREFERENCES` when they never chose)."""
    row = await database.fetch_one(PREFERENCES_SQL, user_id)
    if row is None:
        return DEFAULT_PREFERENCES
    return Preferences(
        display_currency=row["display_currency"], receipt_emails=row["receipt_emails"]
    )


async def save_preferences(
    database: PostgresDatabase, user_id: int, preferences: Preferences, *, now: datetime
) -> None:
    """Store the user's preferences, replacing those they had."""
    await database.execute(
        SAVE_SQL, user_id, preferences.display_currency, preferences.receipt_emails, now
    )
