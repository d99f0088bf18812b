"""Improvement plan queries; every read applies the caller's tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.improvement_plans.models import ImprovementPlan, ImprovementPlanAction
from services.indicators.improvement_projects.models import ImprovementProject
from services.indicators.tenancy import enterprise_visible
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class PlanRepository:
    async def get(
        self, session: AsyncSession, plan_id: UUID, *, principal: Principal, lock: bool = False
    ) -> ImprovementPlan | None:
        statement = select(ImprovementPlan).where(
            ImprovementPlan.id == plan_id,
            enterprise_visible(ImprovementPlan.enterprise_id, principal),
        )
        if lock:
            statement = statement.with_for_update()
        return (await session.exec(statement)).first()

    async def for_enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, page: PageRequest
    ) -> list[ImprovementPlan]:
        """The enterprise's plans (its visibility checked by the caller)."""
        statement = select(ImprovementPlan).where(ImprovementPlan.enterprise_id == enterprise_id)
        statement = keyset_page(statement, col(ImprovementPlan.id), page)
        return list((await session.exec(statement)).all())

    async def for_enterprises(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, list[ImprovementPlan]]:
        """Batched for GraphQL: each visible enterprise's plans (others: none)."""
        statement = (
            select(ImprovementPlan)
            .where(
                col(ImprovementPlan.enterprise_id).in_(set(enterprise_ids)),
                enterprise_visible(ImprovementPlan.enterprise_id, principal),
            )
            .order_by(col(ImprovementPlan.id))
        )
        found: dict[UUID, list[ImprovementPlan]] = {key: [] for key in enterprise_ids}
        for plan in (await session.exec(statement)).all():
            found[plan.enterprise_id].append(plan)
        return found

    async def actions(
        self, session: AsyncSession, plan_ids: Sequence[UUID]
    ) -> dict[UUID, list[ImprovementPlanAction]]:
        statement = (
            select(ImprovementPlanAction)
            .where(col(ImprovementPlanAction.plan_id).in_(set(plan_ids)))
            .order_by(col(ImprovementPlanAction.position))
        )
        found: dict[UUID, list[ImprovementPlanAction]] = {key: [] for key in plan_ids}
        for action in (await session.exec(statement)).all():
            found[action.plan_id].append(action)
        return found

    async def projects_of(
        self, session: AsyncSession, project_ids: Sequence[UUID]
    ) -> dict[UUID, UUID]:
        """Improvement project -> its enterprise (unscoped: to check references)."""
        if not project_ids:
            return {}
        statement = select(ImprovementProject.id, ImprovementProject.enterprise_id).where(
            col(ImprovementProject.id).in_(set(project_ids))
        )
        return {row[0]: row[1] for row in (await session.exec(statement)).all()}


plan_repository = PlanRepository()
