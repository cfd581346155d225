"""``POST /api/v1/ingest/order-events``: a batch of marketplace feed events, with the scope
``ingest:write``.

The body is ``{"events": [...]}`` with at most `MAX_BATCH` events. Each event is checked on
its own: the refused ones are kept (``feed_rejects``) and listed in the answer with their
index and fields, the others are queued. 202 when any event was queued, 422 when none
could be. When the feed queue is past its limit the batch is turned away whole (429 with
``Retry-After``): nothing of it was taken, so it is sent again as it is. Sending a batch
again is always safe: each event is applied once, by its ``event_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from starlette.responses import JSONResponse
from starlette.routing import Route

from pulseshop.adapters.jobs import BROKER_UNREACHABLE
from pulseshop.core.access import INGEST_WRITE
from pulseshop.core.marketplace import MAX_BATCH, read_batch
from pulseshop.core.problems import at
from pulseshop.shell.feed.intake import item_text
from pulseshop.shell.web.auth import Principal
from pulseshop.shell.web.bodies import BadRequestError, invalid, json_value
from pulseshop.shell.web.errors import error_response

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from pulseshop.core.marketplace import Rejection
    from pulseshop.shell.feed.intake import FeedIntake
    from pulseshop.shell.web.auth import Authenticator

MAX_FEED_BODY: Final = 4 * 1024 * 1024
"""The largest batch body, in bytes (a thousand events of up to 4 KiB each)."""


@final
class FeedApi:
    """The handler of ``/api/v1/ingest/order-events``."""

    def __init__(self, authenticator: Authenticator, intake: FeedIntake) -> None:
        self._authenticator = authenticator
        self._intake = intake

    def routes(self) -> list[Route]:
        """The API's routes."""
        return [Route("/api/v1/ingest/order-events", self.ingest, methods=["POST"])]

    async def ingest(self, request: Request) -> Response:
        """Take a batch in: 202 ``{"accepted", "rejected"}``, or 422 when nothing could be."""
        principal = await self._authenticator.authenticate(request, INGEST_WRITE)
        if not isinstance(principal, Principal):
            return principal
        try:
            busy = await self._intake.busy()
        except BROKER_UNREACHABLE:
            return _queue_unavailable()
        if busy is not None:
            return error_response(
                429,
                "queue_full",
                f"The feed queue holds {busy.depth} messages, past its limit of {busy.limit}: "
                f"nothing of this batch was taken. Send it again in {busy.retry_after} s.",
                headers={"Retry-After": str(busy.retry_after)},
            )
        try:
            events = _events(await json_value(request, MAX_FEED_BODY))
        except BadRequestError as bad:
            return bad.response
        reading = read_batch(events)
        try:
            taken = await self._intake.take(
                reading, origin="api", raw_of=lambda index: item_text(events[index])
            )
        except BROKER_UNREACHABLE:
            return _queue_unavailable()
        rejected = [_rejection_json(rejection) for rejection in taken.rejected]
        if not taken.accepted:
            return error_response(
                422,
                "invalid_events",
                f"None of the {len(events)} events could be taken: each is listed with "
                "its problems.",
                [
                    {"field": _field(rejection.index, problem.path), "problem": problem.message}
                    for rejection in taken.rejected
                    for problem in rejection.problems
                ],
            )
        return JSONResponse({"accepted": taken.accepted, "rejected": rejected}, status_code=202)


def _queue_unavailable() -> Response:
    return error_response(
        503,
        "queue_unavailable",
        "The job queue cannot be reached. Send the batch again later: events already "
        "taken are applied once.",
        headers={"Retry-After": "5"},
    )


def _events(body: object) -> list[object]:
    if not isinstance(body, dict):
        raise invalid("body", 'must be a JSON object {"events": [...]}')
    unknown = sorted(set(body) - {"events"})
    if unknown:
        raise invalid(unknown[0], "is not a field here (expected events)")
    events = body.get("events")
    if not isinstance(events, list):
        raise invalid("events", "is required and must be a list of events")
    if not events:
        raise invalid("events", "must hold at least one event")
    if len(events) > MAX_BATCH:
        raise BadRequestError(
            error_response(
                413,
                "batch_too_large",
                f"A batch holds at most {MAX_BATCH} events; this one holds {len(events)}: "
                "nothing of it was taken. Send it in smaller batches.",
                [{"field": "events", "problem": f"must hold at most {MAX_BATCH} events"}],
            )
        )
    return events


def _field(index: int, path: str) -> str:
    item = at("events", index)
    return at(item, path) if path else item


def _rejection_json(rejection: Rejection) -> dict[str, object]:
    return {
        "index": rejection.index,
        "event_id": rejection.event_id,
        "problems": [
            {"field": problem.path, "problem": problem.message} for problem in rejection.problems
        ],
    }
