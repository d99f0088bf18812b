"""The partner event feed: each caller reads the events about what it may see, in order,
with a cursor, waiting (long-polling) for the next one when it has read them all."""

import asyncio
import base64
import binascii
import time
from collections.abc import Sequence

from pydantic import TypeAdapter
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.models import PartnerEvent
from services.reporting.feed.repository import partner_feed_repository
from services.reporting.feed.schemas import EventType, FeedPage, PartnerEventOut
from shared.feeds import StopWaiting
from shared.identity import Principal
from shared.problems import InvalidInput, field_error

# How often a waiting reader looks again; well under a second, as for the services' feeds.
POLL_INTERVAL = 0.2
_EVENT = TypeAdapter[PartnerEventOut](PartnerEventOut)
_CURSOR_PREFIX = b"feed:"


def encode_position(position: int) -> str:
    return base64.urlsafe_b64encode(_CURSOR_PREFIX + str(position).encode()).decode().rstrip("=")


def decode_position(cursor: str, *, field: str = "query.after") -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(cursor)
        position = int(raw[len(_CURSOR_PREFIX) :].decode("ascii"))
        if position < 0:
            raise ValueError(cursor)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "The cursor is not one this feed issued",
            errors=[field_error(field, "cursor", "pass a next_cursor the feed gave", cursor)],
        ) from exc
    return position


def parse_types(types: Sequence[str], *, field: str = "query.type") -> list[str]:
    known = {str(kind) for kind in EventType}
    errors = [
        field_error(f"{field}.{index}", "event_type", "not a documented event type", value)
        for index, value in enumerate(types)
        if value not in known
    ]
    if errors:
        raise InvalidInput(
            "Unknown event type(s); GET /reporting/feed/event-types lists them", errors=errors
        )
    return list(dict.fromkeys(types))


def event_out(event: PartnerEvent) -> PartnerEventOut:
    """The stored event as the feed serves it and webhooks deliver it."""
    return _EVENT.validate_python(
        {
            "id": event.id,
            "type": event.event_type,
            "version": event.version,
            "timestamp": event.occurred_at,
            "enterprise_id": event.enterprise_id,
            "data": event.payload,
        }
    )


class PartnerFeedService:
    async def read(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        after: str | None,
        limit: int,
        wait: float,
        types: Sequence[str] = (),
        stop: StopWaiting | None = None,
    ) -> FeedPage:
        """Events after the cursor the caller may read; waits up to ``wait`` seconds for one,
        or until ``stop`` says to answer now.

        The next cursor moves past events the caller may not read too, so a quiet reader
        does not scan them again."""
        position = decode_position(after) if after else 0
        wanted = parse_types(types)
        deadline = time.monotonic() + wait
        while True:
            head = await partner_feed_repository.head(session)
            rows = await partner_feed_repository.page(
                session, principal=principal, after=position, limit=limit, types=wanted
            )
            rows = [row for row in rows if row.position is not None and row.position <= head]
            if rows or time.monotonic() >= deadline:
                break
            await partner_feed_repository.next_snapshot(session)
            await asyncio.sleep(POLL_INTERVAL)
            if stop is not None and await stop():
                break  # the caller left, or the server stops: the answer as it stands
        if len(rows) == limit:
            last = rows[-1].position
            assert last is not None
        else:
            last = max(head, position)
        return FeedPage(events=[event_out(row) for row in rows], next_cursor=encode_position(last))


partner_feed_service = PartnerFeedService()
