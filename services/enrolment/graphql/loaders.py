"""Per-request DataLoaders and the batch queries behind them; every batch applies tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from services.enrolment.enterprises.schemas import EnterprisePublic
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.lifecycle.models import Enrolment
from services.enrolment.lifecycle.schemas import EnrolmentPublic
from services.enrolment.orders.schemas import OrderStatusPublic
from services.enrolment.orders.service import order_service
from services.enrolment.tenancy import enrolment_visible
from shared.graphql import SessionAccess
from shared.identity import Principal


class EnrolmentBatches:
    async def for_enterprises(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, list[EnrolmentPublic]]:
        # The REST enrolment rule: a programme manager sees only their project's enrolment.
        statement = (
            select(Enrolment)
            .where(col(Enrolment.enterprise_id).in_(enterprise_ids), enrolment_visible(principal))
            .order_by(col(Enrolment.id))
        )
        result: dict[UUID, list[EnrolmentPublic]] = {
            enterprise_id: [] for enterprise_id in enterprise_ids
        }
        for enrolment in (await session.exec(statement)).all():
            result[enrolment.enterprise_id].append(EnrolmentPublic.build(enrolment))
        return result


enrolment_batches = EnrolmentBatches()


class Loaders:
    """One set per request: a cache shared across principals would leak between tenants."""

    def __init__(self, database: SessionAccess, principal: Principal) -> None:
        self._database = database
        self._principal = principal
        self.enterprise: DataLoader[UUID, EnterprisePublic | None] = DataLoader(
            load_fn=self._load_enterprises
        )
        self.enrolments: DataLoader[UUID, list[EnrolmentPublic]] = DataLoader(
            load_fn=self._load_enrolments
        )
        self.order_status: DataLoader[UUID, list[OrderStatusPublic]] = DataLoader(
            load_fn=self._load_order_status
        )

    async def _load_order_status(self, ids: list[UUID]) -> list[list[OrderStatusPublic]]:
        async with self._database() as session:
            found = await order_service.get_many(session, ids, principal=self._principal)
        return [found[enterprise_id] for enterprise_id in ids]

    async def _load_enterprises(self, ids: list[UUID]) -> list[EnterprisePublic | None]:
        async with self._database() as session:
            found = await enterprise_service.get_many(session, ids, principal=self._principal)
        by_id = {enterprise.id: enterprise for enterprise in found}
        # Invisible and missing ids both answer None: the caller cannot tell them apart.
        return [by_id.get(enterprise_id) for enterprise_id in ids]

    async def _load_enrolments(self, enterprise_ids: list[UUID]) -> list[list[EnrolmentPublic]]:
        async with self._database() as session:
            found = await enrolment_batches.for_enterprises(
                session, enterprise_ids, principal=self._principal
            )
        return [found[enterprise_id] for enterprise_id in enterprise_ids]
