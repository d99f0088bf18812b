"""Event feed consumer: applies another service's events exactly once, resumably.

Each event is applied in its own transaction together with the cursor advance, so a crash
at any point either keeps both or neither; on restart the consumer resumes after the last
event it committed. Handlers must only write to the consumer's own database.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import httpx
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from shared.events import EventEnvelope, EventFeedPage
from shared.observability import CONSUMER_LAG, CONSUMER_POSITION
from shared.plumbing import Plumbing

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]


class SessionSource(Protocol):
    """Where the consumer writes: a ``Database``, or in tests a rolled-back session."""

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    def sessions(self) -> AbstractAsyncContextManager[AsyncSession]: ...


class FeedConsumer:
    def __init__(
        self,
        *,
        name: str,
        feed_url: str,
        database: SessionSource,
        plumbing: Plumbing,
        handler: Handler,
        token: Callable[[], str],
        http: httpx.AsyncClient | None = None,
        batch_size: int = 200,
        wait: float = 20.0,
    ) -> None:
        self.name = name
        self.feed_url = feed_url
        self.database = database
        self.cursor_table = plumbing.consumer_cursor
        self.handler = handler
        self.token = token
        self.http = http or httpx.AsyncClient(timeout=wait + 10)
        self.batch_size = batch_size
        self.wait = wait
        self.head_position = 0
        # Events fetched or known to be waiting and not applied yet, as of the last fetch.
        self.pending = 0

    async def position(self) -> int:
        async with self.database.sessions() as session:
            value = await session.scalar(
                select(self.cursor_table.c.position).where(
                    self.cursor_table.c.consumer == self.name
                )
            )
            return int(value or 0)

    async def behind(self) -> bool:
        """Whether the producer has events this consumer has not applied, asked now (not
        as of the last fetch); False when the producer cannot tell."""
        try:
            response = await self.http.get(
                self.feed_url,
                params={"after": await self.position(), "limit": 1, "wait": 0},
                headers={"Authorization": f"Bearer {self.token()}"},
            )
            response.raise_for_status()
            return bool(EventFeedPage.model_validate_json(response.content).events)
        except (httpx.HTTPError, ValueError):
            log.warning("consumer %s could not ask its feed how far behind it is", self.name)
            return False

    def lag(self) -> int:
        """Events the feed has that this consumer has not applied yet (as of the last fetch)."""
        return self.pending

    async def fetch(self, after: int, *, wait: float) -> EventFeedPage:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(httpx.TransportError),
            wait=wait_exponential_jitter(multiplier=0.2, max=5),
            stop=stop_after_attempt(5),
            reraise=True,
        ):
            with attempt:
                response = await self.http.get(
                    self.feed_url,
                    params={"after": after, "limit": self.batch_size, "wait": wait},
                    headers={"Authorization": f"Bearer {self.token()}"},
                )
                response.raise_for_status()
        page = EventFeedPage.model_validate_json(response.content)
        self.head_position = page.head_position
        self.pending = page.remaining + len(page.events)
        self._publish_metrics(after)
        return page

    def _publish_metrics(self, position: int) -> None:
        # Consumer names start with the consuming service ("reporting.enrolment").
        service = self.name.split(".", 1)[0]
        CONSUMER_LAG.labels(service, self.name).set(self.pending)
        CONSUMER_POSITION.labels(service, self.name).set(position)

    async def apply(self, event: EventEnvelope) -> bool:
        """Apply one event with its cursor advance; False if it was already applied."""
        async with self.database.transaction() as session:
            # Lock the cursor row so two instances of one consumer cannot both apply.
            current = await session.scalar(
                select(self.cursor_table.c.position)
                .where(self.cursor_table.c.consumer == self.name)
                .with_for_update()
            )
            if current is not None and event.position <= current:
                return False
            await self.handler(session, event)
            statement = insert(self.cursor_table).values(
                consumer=self.name, position=event.position
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[self.cursor_table.c.consumer],
                    set_={"position": statement.excluded.position, "updated_at": func.now()},
                )
            )
        return True

    async def run_once(self, *, wait: float | None = None) -> int:
        """Fetch one page after the stored cursor and apply it; returns events applied."""
        page = await self.fetch(await self.position(), wait=self.wait if wait is None else wait)
        applied = 0
        for event in page.events:
            applied += await self.apply(event)
            self.pending -= 1
        if page.events:
            self._publish_metrics(page.events[-1].position)
        return applied

    async def run_until_caught_up(self) -> int:
        total = 0
        while applied := await self.run_once(wait=0):
            total += applied
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                # Keep consuming after a bad moment (feed down, handler bug on one event);
                # the cursor did not move, so nothing is lost.
                log.exception("consumer %s failed; retrying", self.name)
                await asyncio.sleep(2)
