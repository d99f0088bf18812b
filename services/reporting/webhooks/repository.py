"""Queries of webhook endpoints, their delivery queue and log."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.models import PartnerEvent
from services.reporting.tenancy import partner_event_visible, webhook_endpoint_visible
from services.reporting.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shared.identity import Principal


class WebhookRepository:
    async def get(
        self, session: AsyncSession, webhook_id: UUID, *, principal: Principal
    ) -> WebhookEndpoint | None:
        statement = select(WebhookEndpoint).where(
            col(WebhookEndpoint.id) == webhook_id, webhook_endpoint_visible(principal)
        )
        return (await session.exec(statement)).first()

    async def get_all(
        self, session: AsyncSession, *, principal: Principal
    ) -> list[WebhookEndpoint]:
        statement = (
            select(WebhookEndpoint)
            .where(webhook_endpoint_visible(principal))
            .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
        )
        return list((await session.exec(statement)).all())

    async def delete(self, session: AsyncSession, endpoint: WebhookEndpoint) -> None:
        await session.delete(endpoint)
        await session.flush()

    async def deliveries(
        self, session: AsyncSession, endpoint_id: UUID, *, limit: int, status: str | None
    ) -> list[WebhookDelivery]:
        statement = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
        if status is not None:
            statement = statement.where(col(WebhookDelivery.status) == status)
        statement = statement.order_by(col(WebhookDelivery.sequence).desc()).limit(limit)
        return list((await session.exec(statement)).all())

    async def delivery(
        self, session: AsyncSession, endpoint_id: UUID, delivery_id: UUID
    ) -> WebhookDelivery | None:
        statement = select(WebhookDelivery).where(
            col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.id) == delivery_id
        )
        return (await session.exec(statement)).first()

    async def attempts(
        self, session: AsyncSession, delivery_ids: Sequence[UUID]
    ) -> dict[UUID, list[WebhookAttempt]]:
        found: dict[UUID, list[WebhookAttempt]] = {delivery: [] for delivery in delivery_ids}
        if not delivery_ids:
            return found
        statement = (
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
            .order_by(col(WebhookAttempt.id))
        )
        for attempt in (await session.exec(statement)).all():
            found[attempt.delivery_id].append(attempt)
        return found

    # --- the delivery worker's queries ---------------------------------------------------

    async def active_ids(self, session: AsyncSession) -> list[UUID]:
        statement = select(col(WebhookEndpoint.id)).where(col(WebhookEndpoint.status) == "active")
        return list((await session.exec(statement)).all())

    async def lock(self, session: AsyncSession, endpoint_id: UUID) -> WebhookEndpoint | None:
        """The endpoint, locked until commit; None when another worker holds it (it is
        delivering for it now) or it is no longer active."""
        statement = (
            select(WebhookEndpoint)
            .where(col(WebhookEndpoint.id) == endpoint_id, col(WebhookEndpoint.status) == "active")
            .with_for_update(skip_locked=True)
        )
        return (await session.exec(statement)).first()

    async def new_events(
        self,
        session: AsyncSession,
        *,
        owner: Principal,
        after: int,
        types: Sequence[str],
        limit: int,
    ) -> tuple[list[PartnerEvent], int]:
        """The events after ``after`` the owner may read, and how far that looked (the
        feed's head when fewer than ``limit`` came)."""
        head = int(await session.scalar(select(func.max(col(PartnerEvent.position)))) or 0)
        statement = (
            select(PartnerEvent)
            .where(
                col(PartnerEvent.position) > after,
                col(PartnerEvent.position) <= head,
                partner_event_visible(owner),
            )
            .order_by(col(PartnerEvent.position))
            .limit(limit)
        )
        if types:
            statement = statement.where(col(PartnerEvent.event_type).in_(types))
        rows = list((await session.exec(statement)).all())
        if len(rows) == limit and rows[-1].position is not None:
            return rows, rows[-1].position
        return rows, max(head, after)

    async def enqueue(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            session.add_all([WebhookDelivery.model_validate(row) for row in rows])
            await session.flush()

    async def enqueue_one(self, session: AsyncSession, delivery: WebhookDelivery) -> None:
        session.add(delivery)
        await session.flush()

    async def feed_head(self, session: AsyncSession) -> int:
        return int(await session.scalar(select(func.max(col(PartnerEvent.position)))) or 0)

    async def head_of_queue(
        self, session: AsyncSession, endpoint_id: UUID
    ) -> WebhookDelivery | None:
        """The endpoint's oldest pending delivery: later ones wait for it (order per endpoint)."""
        statement = (
            select(WebhookDelivery)
            .where(
                col(WebhookDelivery.endpoint_id) == endpoint_id,
                col(WebhookDelivery.status) == "pending",
            )
            .order_by(col(WebhookDelivery.sequence))
            .limit(1)
        )
        return (await session.exec(statement)).first()

    async def visible_event(
        self, session: AsyncSession, position: int, *, owner: Principal
    ) -> PartnerEvent | None:
        """The event, if its endpoint's owner may receive it now (events are never
        deleted: None means it is no longer the owner's)."""
        statement = select(PartnerEvent).where(
            col(PartnerEvent.position) == position, partner_event_visible(owner)
        )
        return (await session.exec(statement)).first()

    async def event_visible(
        self, session: AsyncSession, position: int, *, owner: Principal
    ) -> bool:
        statement = select(col(PartnerEvent.position)).where(
            col(PartnerEvent.position) == position, partner_event_visible(owner)
        )
        return (await session.exec(statement)).first() is not None

    async def record_attempt(self, session: AsyncSession, attempt: WebhookAttempt) -> None:
        session.add(attempt)
        await session.flush()

    async def resume(self, session: AsyncSession, endpoint_id: UUID, at: datetime) -> None:
        """Re-enabled: its pending deliveries are due now, not at their backed-off time."""
        await session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.endpoint_id) == endpoint_id,
                col(WebhookDelivery.status) == "pending",
            )
            .values(next_attempt_at=at)
        )

    async def queue_stats(self, session: AsyncSession) -> dict[str, int]:
        statement = select(col(WebhookDelivery.status), func.count()).group_by(
            col(WebhookDelivery.status)
        )
        return {status: int(count) for status, count in (await session.exec(statement)).all()}


webhook_repository = WebhookRepository()
