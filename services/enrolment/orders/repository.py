"""Order status queries; callers check the enterprise's tenancy first."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.orders.models import OrderMonth


class OrderRepository:
    async def for_enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, buyer_ids: Sequence[UUID] | None
    ) -> list[OrderMonth]:
        """Its order months, of the given buyers only when ``buyer_ids`` is not None."""
        statement = select(OrderMonth).where(OrderMonth.enterprise_id == enterprise_id)
        if buyer_ids is not None:
            statement = statement.where(col(OrderMonth.buyer_id).in_(buyer_ids))
        statement = statement.order_by(col(OrderMonth.buyer_id), col(OrderMonth.month))
        return list((await session.exec(statement)).all())

    async def for_enterprises(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, buyer_id: UUID | None
    ) -> dict[UUID, list[OrderMonth]]:
        """Batched for GraphQL (the enterprises' visibility is checked by the caller)."""
        statement = select(OrderMonth).where(col(OrderMonth.enterprise_id).in_(set(enterprise_ids)))
        if buyer_id is not None:
            statement = statement.where(OrderMonth.buyer_id == buyer_id)
        statement = statement.order_by(col(OrderMonth.buyer_id), col(OrderMonth.month))
        found: dict[UUID, list[OrderMonth]] = {key: [] for key in enterprise_ids}
        for row in (await session.exec(statement)).all():
            found[row.enterprise_id].append(row)
        return found

    async def replace(
        self, session: AsyncSession, enterprise_id: UUID, buyer_id: UUID, rows: list[OrderMonth]
    ) -> None:
        # One sharing at a time per enterprise and buyer: two at once each deleted what the
        # other had not yet written, then both inserted the months (a unique-key 500).
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:scope, 0))"),
            {"scope": f"order_status\n{enterprise_id}\n{buyer_id}"},
        )
        await session.execute(
            delete(OrderMonth).where(
                col(OrderMonth.enterprise_id) == enterprise_id,
                col(OrderMonth.buyer_id) == buyer_id,
            )
        )
        session.add_all(rows)
        await session.flush()


order_repository = OrderRepository()
