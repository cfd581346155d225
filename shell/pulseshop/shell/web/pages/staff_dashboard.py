"""The staff's live orders dashboard, ``GET /staff``: the day's figures, the latest orders,
and who else is watching.

The figures and the list are the page's live part: each order event re-renders them from
the server, so a new order appears, and the counts and revenue move, as orders are placed
and acted on. Who is watching is Presence on the ``orders:lobby`` topic, which every open
dashboard joins.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, final

from starlette.routing import Route

from pulseshop.adapters.postgres.order_events import last_published_seq
from pulseshop.adapters.postgres.order_stats import order_figures
from pulseshop.adapters.postgres.orders import list_orders
from pulseshop.adapters.postgres.users import emails_of
from pulseshop.core.access import ORDERS_ALL

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.adapters.postgres import PostgresDatabase
    from pulseshop.shell.web.auth import Principal
    from pulseshop.shell.web.pages.kit import PageKit

LATEST_ORDERS: Final = 50
"""How many of the newest orders the dashboard lists."""


def day_of(now: datetime) -> tuple[datetime, datetime]:
    """The UTC day holding ``now``: its first instant and the next day's."""
    start = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


@final
class StaffDashboard:
    """The dashboard page."""

    def __init__(
        self, kit: PageKit, database: PostgresDatabase, *, clock: Callable[[], datetime]
    ) -> None:
        self._kit = kit
        self._database = database
        self._clock = clock

    def routes(self) -> list[Route]:
        """The page's route."""
        return [Route("/staff", self._kit.page(ORDERS_ALL)(self.dashboard), methods=["GET"])]

    async def dashboard(self, request: Request, _principal: Principal) -> Response:
        """``GET /staff``: today's figures and the latest orders, kept live."""
        # Read first: what happens after it is replayed to the page, never missed.
        last_event_id = await last_published_seq(self._database)
        since, until = day_of(self._clock())
        figures = await order_figures(self._database, since=since, until=until)
        orders = await list_orders(self._database, user_id=None, after=None, limit=LATEST_ORDERS)
        emails = await emails_of(self._database, (stored.user_id for stored in orders))
        return await self._kit.render(
            request,
            "staff/dashboard.html",
            {
                "day": since.date(),
                "figures": figures,
                "orders": orders,
                "emails": emails,
                "last_event_id": last_event_id,
            },
        )
