"""Queries of the partner event feed: publishing in order, reading through tenancy."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.models import PartnerEvent, PublishedSupplierStatus
from services.reporting.tenancy import consenting_buyers, partner_event_visible
from shared.identity import Principal
from shared.sql import execute_for_each

# Any constant works; it only has to be the same for every publisher of the database.
_PUBLISH_LOCK_KEY = 0x5C0_FEED


class PartnerFeedRepository:
    async def publish(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        """Append events; one already published (same id: a replayed upstream event) is
        left as it is."""
        if not rows:
            return
        # Serialise publishers until commit: positions then become visible strictly in
        # order, so a reader that has read position N never later misses N-1.
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK_KEY}
        )
        statement = insert(PartnerEvent).on_conflict_do_nothing(index_elements=["id"])
        # In the rows' order: the positions they take are the order readers see.
        await execute_for_each(session, statement, rows)

    async def page(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        after: int,
        limit: int,
        types: Sequence[str] = (),
    ) -> Sequence[PartnerEvent]:
        statement = (
            select(PartnerEvent)
            .where(col(PartnerEvent.position) > after, partner_event_visible(principal))
            .order_by(col(PartnerEvent.position))
            .limit(limit)
        )
        if types:
            statement = statement.where(col(PartnerEvent.event_type).in_(types))
        return (await session.exec(statement)).all()

    async def scanned_to(self, session: AsyncSession, *, after: int, limit: int) -> int:
        """The last position among the next ``limit`` events after ``after``, whoever may
        see them (``after`` when there is none): how far a reader has looked."""
        window = (
            select(col(PartnerEvent.position))
            .where(col(PartnerEvent.position) > after)
            .order_by(col(PartnerEvent.position))
            .limit(limit)
            .subquery()
        )
        last = await session.scalar(select(func.max(window.c.position)))
        return int(last) if last is not None else after

    async def exists(self, session: AsyncSession, event_id: UUID) -> bool:
        statement = select(col(PartnerEvent.position)).where(col(PartnerEvent.id) == event_id)
        return (await session.exec(statement)).first() is not None

    async def next_snapshot(self, session: AsyncSession) -> None:
        """End the reader's transaction (it wrote nothing), so its next look sees the
        events published since."""
        await session.rollback()

    async def head(self, session: AsyncSession) -> int:
        last = await session.scalar(select(func.max(col(PartnerEvent.position))))
        return int(last or 0)

    async def visible(self, session: AsyncSession, position: int, *, principal: Principal) -> bool:
        statement = select(col(PartnerEvent.position)).where(
            col(PartnerEvent.position) == position, partner_event_visible(principal)
        )
        return (await session.exec(statement)).first() is not None

    async def get(self, session: AsyncSession, position: int) -> PartnerEvent | None:
        return await session.get(PartnerEvent, position)

    async def consenting_buyers(self, session: AsyncSession, enterprise_id: UUID) -> list[UUID]:
        return list((await session.exec(consenting_buyers(enterprise_id))).all())

    async def published_status(
        self, session: AsyncSession, enterprise_id: UUID
    ) -> dict[str, Any] | None:
        found = await session.get(PublishedSupplierStatus, enterprise_id)
        return None if found is None else found.status

    async def save_status(
        self, session: AsyncSession, enterprise_id: UUID, status: dict[str, Any]
    ) -> None:
        statement = insert(PublishedSupplierStatus).values(
            enterprise_id=enterprise_id, status=status, published_at=func.now()
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["enterprise_id"],
                set_={"status": statement.excluded.status, "published_at": func.now()},
            )
        )


partner_feed_repository = PartnerFeedRepository()
