"""Transactional outbox and audit trail: a write, its event and its audit entry commit together.

Each producing service serves its outbox as an ordered feed (``/events``) that consumers
long-poll with the last position they applied.
"""

import asyncio
import time
from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, Text, bindparam, cast, func, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import SessionDep
from shared.events import EventEnvelope, EventFeedPage, EventPayload
from shared.feeds import FeedReader, StopWaiting, stop_waiting
from shared.identity import Principal
from shared.ids import new_id
from shared.observability import OUTBOX_BACKLOG, OUTBOX_HEAD
from shared.plumbing import Plumbing
from shared.request_guard import INT64_MAX
from shared.sql import CompiledQueries

# Any constant works; it only has to be the same for every writer of one database.
_OUTBOX_LOCK_KEY = 0x5C0_7E0B
_POLL_INTERVAL = 0.2


def _jsonable(value: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


class ChangeLog:
    """Records what a service changed: events for other services, audit entries for people."""

    def __init__(self, plumbing: Plumbing) -> None:
        self.plumbing = plumbing
        self._next_position = CompiledQueries(self._next_position_statement)
        # The payload as pydantic's own JSON text, made jsonb by Postgres: half the cost of
        # a dict of JSON values (model_dump(mode="json")) then json.dumps, the same jsonb.
        self._insert_events = insert(plumbing.outbox).values(
            payload=cast(bindparam("payload_json", type_=Text()), JSONB)
        )

    def _next_position_statement(self, _shape: None) -> Select[Any]:
        outbox = self.plumbing.outbox
        return (
            select(outbox.c.position)
            .where(outbox.c.position > bindparam("after"))
            .order_by(outbox.c.position)
            .limit(1)
        )

    async def emit(
        self, session: AsyncSession, payload: EventPayload, *, principal: Principal
    ) -> None:
        await self.emit_many(session, [payload], principal=principal)

    async def emit_many(
        self, session: AsyncSession, payloads: Sequence[EventPayload], *, principal: Principal
    ) -> None:
        """Events in the order given, which their positions follow: one lock and one
        statement for all of them (a batch of 100,000 values is 200 event parts)."""
        if not payloads:
            return
        # Serialise event writers until commit: positions then become visible strictly in
        # order, so a consumer that has read position N can never later miss N-1.
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OUTBOX_LOCK_KEY})
        await session.execute(
            self._insert_events,
            [
                {
                    "event_id": new_id(),
                    "event_type": payload.event_type,
                    "version": payload.version,
                    "aggregate_type": payload.aggregate_type,
                    "aggregate_id": payload.aggregate_id(),
                    "actor": principal.actor,
                    "payload_json": payload.model_dump_json(),
                }
                for payload in payloads
            ],
        )

    async def audit(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        action: str,
        entity_type: str,
        entity_id: UUID,
        before: BaseModel | dict[str, Any] | None = None,
        after: BaseModel | dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        await session.execute(
            insert(self.plumbing.audit).values(
                actor=principal.actor,
                actor_role=principal.role.value,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                before=_jsonable(before),
                after=_jsonable(after),
                reason=reason,
            )
        )

    async def read_feed(
        self,
        session: AsyncSession,
        *,
        after: int,
        limit: int,
        wait: float,
        stop: StopWaiting | None = None,
    ) -> EventFeedPage:
        """Events after ``after`` in position order; waits up to ``wait`` seconds for one, or
        until ``stop`` says to answer now."""
        outbox = self.plumbing.outbox
        deadline = time.monotonic() + wait
        while True:
            rows = (
                await session.execute(
                    select(outbox)
                    .where(outbox.c.position > after)
                    .order_by(outbox.c.position)
                    .limit(limit)
                )
            ).mappings()
            events = [EventEnvelope.model_validate(dict(row)) for row in rows]
            if events or time.monotonic() >= deadline:
                last = events[-1].position if events else after
                head, remaining = (
                    await session.execute(
                        select(
                            func.coalesce(func.max(outbox.c.position), 0),
                            func.count().filter(outbox.c.position > last),
                        )
                    )
                ).one()
                return EventFeedPage(
                    events=events, last_position=last, head_position=head, remaining=remaining
                )
            # End the read transaction so the next poll sees newly committed events.
            await session.commit()
            # Waiting, the feed asks only whether an event has come, in one statement
            # compiled once: a long-poll of every consumer re-running the page's query
            # five times a second was a producer's main cost while idle, and a measurable
            # part of its CPU per request under load (benchmarks.layers).
            while time.monotonic() < deadline:
                await asyncio.sleep(_POLL_INTERVAL)
                if await self._next_position.rows(session, None, {"after": after}):
                    break
                if stop is not None and await stop():
                    deadline = time.monotonic()  # the caller left, or the server stops


def event_feed_router(
    changes: ChangeLog, *, service: str = "service", max_wait: float = 25.0
) -> APIRouter:
    """``GET /events``: the service's outbox as a feed, for the services that consume it
    (with their feed tokens) and the ILO; to anyone else it does not exist (404)."""
    router = APIRouter(tags=["events"])

    @router.get("/events", response_model=EventFeedPage, summary="Event feed (long-polling)")
    async def read_events(
        request: Request,
        session: SessionDep,
        reader: FeedReader,
        after: Annotated[
            int, Query(ge=0, le=INT64_MAX, description="Last position already applied")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        wait: Annotated[float, Query(ge=0, description="Seconds to wait for an event")] = 0,
    ) -> EventFeedPage:
        page = await changes.read_feed(
            session,
            after=after,
            limit=limit,
            wait=min(wait, max_wait),
            stop=stop_waiting(request),
        )
        OUTBOX_HEAD.labels(service).set(page.head_position)
        # What this reader had still to fetch when it asked: its backlog in our outbox.
        OUTBOX_BACKLOG.labels(service, reader).set(page.remaining + len(page.events))
        return page

    return router
