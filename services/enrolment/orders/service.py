"""Order status sharing: the enterprise (or its partner) shares its confirmed and pipeline
orders per month with each lead buyer it supplies; a buyer sees only its own orders, and
only while the enterprise consents to share with it (otherwise the enterprise is 404)."""

from itertools import groupby
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import changes
from services.enrolment.enterprises.repository import enterprise_repository
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.orders.models import OrderMonth
from services.enrolment.orders.repository import order_repository
from services.enrolment.orders.schemas import MonthOrders, OrderStatusPublic, OrderStatusPut
from shared.enums import Role
from shared.events import OrderStatusShared
from shared.identity import Principal
from shared.problems import Forbidden, InvalidInput, field_error

# Who shares an enterprise's orders: its own side (tenancy narrows which enterprises).
_SHARERS = frozenset(
    {Role.ilo_global, Role.programme_manager, Role.partner_staff, Role.enterprise_user}
)


def _public(enterprise_id: UUID, buyer_id: UUID, rows: list[OrderMonth]) -> OrderStatusPublic:
    return OrderStatusPublic(
        enterprise_id=enterprise_id,
        buyer_id=buyer_id,
        months=[
            MonthOrders(
                month=row.month.strftime("%Y-%m"), confirmed=row.confirmed, pipeline=row.pipeline
            )
            for row in rows
        ],
        recorded_at=max((row.recorded_at for row in rows), default=None),
    )


def grouped(enterprise_id: UUID, rows: list[OrderMonth]) -> list[OrderStatusPublic]:
    """Rows ordered by buyer and month, as one status per buyer."""
    return [
        _public(enterprise_id, buyer_id, list(months))
        for buyer_id, months in groupby(rows, key=lambda row: row.buyer_id)
    ]


def buyer_filter(principal: Principal) -> list[UUID] | None:
    """A buyer sees its own orders only; the others every buyer's."""
    if principal.role is not Role.lead_buyer:
        return None
    return [principal.organisation_id] if principal.organisation_id else []


class OrderService:
    async def get_all(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> list[OrderStatusPublic]:
        enterprise = await enterprise_service.get_or_404(
            session, enterprise_id, principal=principal
        )
        # A buyer (seen here only while the enterprise consents) sees its own orders only.
        rows = await order_repository.for_enterprise(
            session, enterprise.id, buyer_ids=buyer_filter(principal)
        )
        return grouped(enterprise.id, rows)

    async def get_many(
        self, session: AsyncSession, enterprise_ids: list[UUID], *, principal: Principal
    ) -> dict[UUID, list[OrderStatusPublic]]:
        """For enterprises the caller was shown (GraphQL resolves them first)."""
        buyers = buyer_filter(principal)
        if buyers == []:
            return {key: [] for key in enterprise_ids}
        found = await order_repository.for_enterprises(
            session, enterprise_ids, buyer_id=None if buyers is None else buyers[0]
        )
        return {key: grouped(key, rows) for key, rows in found.items()}

    async def put(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        buyer_id: UUID,
        data: OrderStatusPut,
        *,
        principal: Principal,
    ) -> OrderStatusPublic:
        enterprise = await enterprise_service.get_or_404(
            session, enterprise_id, principal=principal
        )
        if principal.role not in _SHARERS:
            raise Forbidden(f"A {principal.role.value} cannot share order status")
        if buyer_id not in await enterprise_repository.buyer_ids(session, enterprise.id):
            raise InvalidInput(
                "Order status is shared with a lead buyer the enterprise supplies",
                errors=[
                    field_error(
                        "path.buyer_id",
                        "enterprise_buyer",
                        "must be one of the enterprise's lead buyers (buyer_ids)",
                        str(buyer_id),
                    )
                ],
            )
        rows = [
            OrderMonth(
                enterprise_id=enterprise.id,
                buyer_id=buyer_id,
                month=month.first_day(),
                confirmed=month.confirmed,
                pipeline=month.pipeline,
                recorded_by=principal.actor,
            )
            for month in sorted(data.months, key=lambda m: m.month)
        ]
        await order_repository.replace(session, enterprise.id, buyer_id, rows)
        public = _public(enterprise.id, buyer_id, rows)
        await changes.emit(
            session,
            OrderStatusShared(
                enterprise_id=enterprise.id,
                buyer_id=buyer_id,
                months=len(rows),
                confirmed=sum(row.confirmed for row in rows),
                pipeline=sum(row.pipeline for row in rows),
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="order_status.shared",
            entity_type="enterprise",
            entity_id=enterprise.id,
            after=public,
        )
        return public


order_service = OrderService()
