"""REST endpoints of the partner event feed: the events, and the documented event types."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.reporting.feed.schemas import EVENT_TYPES, EventTypeInfo, FeedPage, schema_names
from services.reporting.feed.service import partner_feed_service
from services.reporting.settings import ReportingSettings
from shared.db import SessionDep
from shared.feeds import stop_waiting
from shared.identity import CurrentPrincipal

router = APIRouter(tags=["partner feed"])

FEED_DESCRIPTION = """The events about what you may see, oldest first: enterprises, their
enrolment stages, consents, modules, values and their review, improvement projects, EIT,
ratings; for lead buyers the status of their consenting suppliers only
(`supplier.status_changed`, stopped at once when consent is withdrawn).

Start without `after`, then pass `next_cursor` each time. With `wait`, an empty answer is
held until an event comes (long polling). Each event's payload schema is in this document
(`PartnerEventOut`: one schema per type and version); `GET /reporting/feed/event-types`
lists them. Webhooks deliver the same objects."""


@router.get(
    "/feed", summary="Partner event feed (cursor, long-polling)", description=FEED_DESCRIPTION
)
async def read_feed(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    after: Annotated[
        str | None,
        Query(
            max_length=100, description="The next_cursor of your last read; none: from the start"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait: Annotated[
        float, Query(ge=0, le=25, description="Seconds to wait for an event when none is there")
    ] = 0,
    type: Annotated[
        list[str] | None, Query(max_length=20, description="Only these event types (repeat)")
    ] = None,
) -> FeedPage:
    settings: ReportingSettings = request.app.state.settings
    return await partner_feed_service.read(
        session,
        principal=principal,
        after=after,
        limit=limit,
        wait=min(wait, settings.feed_max_wait),
        types=type or [],
        stop=stop_waiting(request),
    )


@router.get("/feed/event-types", summary="The documented event types, with their schemas")
async def event_types(principal: CurrentPrincipal) -> list[EventTypeInfo]:
    del principal  # documentation: any authenticated caller
    names = schema_names()
    return [
        EventTypeInfo(type=kind, version=1, description=description, payload_schema=names[kind])
        for kind, description in EVENT_TYPES.items()
    ]
