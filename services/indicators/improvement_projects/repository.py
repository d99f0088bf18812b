"""Improvement project queries; every read applies the caller's tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.improvement_projects.models import ImprovementProject
from services.indicators.tenancy import enterprise_visible
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page
from shared.sql import any_of


class ImprovementProjectRepository:
    async def get(
        self,
        session: AsyncSession,
        project_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> ImprovementProject | None:
        statement = select(ImprovementProject).where(
            ImprovementProject.id == project_id,
            enterprise_visible(ImprovementProject.enterprise_id, principal),
        )
        if lock:
            statement = statement.with_for_update()
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        enterprise_id: UUID | None = None,
        status: str | None = None,
        module_code: str | None = None,
        category: str | None = None,
    ) -> list[ImprovementProject]:
        statement = select(ImprovementProject).where(
            enterprise_visible(ImprovementProject.enterprise_id, principal)
        )
        if enterprise_id is not None:
            statement = statement.where(ImprovementProject.enterprise_id == enterprise_id)
        if status is not None:
            statement = statement.where(ImprovementProject.status == status)
        if module_code is not None:
            statement = statement.where(ImprovementProject.module_code == module_code)
        if category is not None:
            statement = statement.where(ImprovementProject.category == category)
        statement = keyset_page(statement, col(ImprovementProject.id), page)
        return list((await session.exec(statement)).all())

    async def for_enterprises(
        self,
        session: AsyncSession,
        enterprise_ids: Sequence[UUID],
        *,
        principal: Principal,
        status: str | None = None,
    ) -> dict[UUID, list[ImprovementProject]]:
        """Each enterprise's projects, oldest first, in one statement for the batch."""
        statement = select(ImprovementProject).where(
            any_of(ImprovementProject.enterprise_id, enterprise_ids),
            enterprise_visible(ImprovementProject.enterprise_id, principal),
        )
        if status is not None:
            statement = statement.where(col(ImprovementProject.status) == status)
        statement = statement.order_by(
            col(ImprovementProject.started_on).nulls_last(),
            col(ImprovementProject.created_at),
            col(ImprovementProject.id),
        )
        result: dict[UUID, list[ImprovementProject]] = {
            enterprise_id: [] for enterprise_id in enterprise_ids
        }
        for project in (await session.exec(statement)).all():
            result[project.enterprise_id].append(project)
        return result

    async def enterprise_of(self, session: AsyncSession, project_id: UUID) -> UUID | None:
        """The enterprise of an improvement project (unscoped: to check a reference)."""
        statement = select(ImprovementProject.enterprise_id).where(
            ImprovementProject.id == project_id
        )
        return (await session.exec(statement)).first()


improvement_project_repository = ImprovementProjectRepository()
