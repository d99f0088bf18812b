"""Cohort queries; every read of a cohort applies the caller's tenancy."""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.cohorts.models import Cohort, CohortEnterprise, CohortTrainer
from services.enrolment.tenancy import cohort_visible, enterprise_visible
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class CohortRepository:
    async def get(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> Cohort | None:
        statement = select(Cohort).where(Cohort.id == cohort_id, cohort_visible(principal))
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
        module_code: str | None = None,
        partner_id: UUID | None = None,
    ) -> list[Cohort]:
        statement = select(Cohort).where(cohort_visible(principal))
        if project_id is not None:
            statement = statement.where(Cohort.project_id == project_id)
        if partner_id is not None:
            statement = statement.where(Cohort.partner_id == partner_id)
        if module_code is not None:
            statement = statement.where(
                col(Cohort.module_id).in_(
                    select(TrainingModule.id).where(TrainingModule.code == module_code)
                )
            )
        statement = keyset_page(statement, col(Cohort.id), page)
        return list((await session.exec(statement)).all())

    async def visible_ids(
        self, session: AsyncSession, cohort_ids: Collection[UUID], *, principal: Principal
    ) -> set[UUID]:
        """Which of ``cohort_ids`` the caller may see."""
        if not cohort_ids:
            return set()
        statement = select(Cohort.id).where(
            col(Cohort.id).in_(cohort_ids), cohort_visible(principal)
        )
        return set((await session.exec(statement)).all())

    async def enterprise_ids_for(
        self, session: AsyncSession, cohort_ids: Sequence[UUID]
    ) -> dict[UUID, list[UUID]]:
        rows = await session.exec(
            select(CohortEnterprise.cohort_id, CohortEnterprise.enterprise_id)
            .where(col(CohortEnterprise.cohort_id).in_(cohort_ids))
            .order_by(col(CohortEnterprise.added_at), col(CohortEnterprise.enterprise_id))
        )
        result: dict[UUID, list[UUID]] = {cohort_id: [] for cohort_id in cohort_ids}
        for cohort_id, enterprise_id in rows.all():
            result[cohort_id].append(enterprise_id)
        return result

    async def visible_enterprise_ids(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> list[UUID]:
        """The cohort's enterprises the caller may see (an enterprise user: itself)."""
        statement = (
            select(CohortEnterprise.enterprise_id)
            .where(
                CohortEnterprise.cohort_id == cohort_id,
                enterprise_visible(principal, CohortEnterprise.enterprise_id),
            )
            .order_by(col(CohortEnterprise.added_at), col(CohortEnterprise.enterprise_id))
        )
        return list((await session.exec(statement)).all())

    async def trainer_ids_for(
        self, session: AsyncSession, cohort_ids: Sequence[UUID]
    ) -> dict[UUID, list[UUID]]:
        rows = await session.exec(
            select(CohortTrainer.cohort_id, CohortTrainer.trainer_id)
            .where(col(CohortTrainer.cohort_id).in_(cohort_ids))
            .order_by(col(CohortTrainer.trainer_id))
        )
        result: dict[UUID, list[UUID]] = {cohort_id: [] for cohort_id in cohort_ids}
        for cohort_id, trainer_id in rows.all():
            result[cohort_id].append(trainer_id)
        return result

    async def of_enterprise(self, session: AsyncSession, enterprise_id: UUID) -> list[Cohort]:
        """Every cohort the enterprise belongs to (callers decide which they may name)."""
        statement = (
            select(Cohort)
            .join(CohortEnterprise, col(CohortEnterprise.cohort_id) == col(Cohort.id))
            .where(CohortEnterprise.enterprise_id == enterprise_id)
        )
        return list((await session.exec(statement)).all())

    async def add_enterprises(
        self, session: AsyncSession, cohort_id: UUID, enterprise_ids: Sequence[UUID]
    ) -> None:
        session.add_all(
            CohortEnterprise(cohort_id=cohort_id, enterprise_id=enterprise_id)
            for enterprise_id in enterprise_ids
        )

    async def remove_enterprises(
        self, session: AsyncSession, cohort_id: UUID, enterprise_ids: Sequence[UUID]
    ) -> None:
        await session.execute(
            delete(CohortEnterprise).where(
                col(CohortEnterprise.cohort_id) == cohort_id,
                col(CohortEnterprise.enterprise_id).in_(enterprise_ids),
            )
        )

    async def replace_trainers(
        self, session: AsyncSession, cohort_id: UUID, trainer_ids: Sequence[UUID]
    ) -> None:
        await session.execute(
            delete(CohortTrainer).where(col(CohortTrainer.cohort_id) == cohort_id)
        )
        session.add_all(
            CohortTrainer(cohort_id=cohort_id, trainer_id=trainer_id) for trainer_id in trainer_ids
        )

    async def in_other_cohorts_of_module(
        self,
        session: AsyncSession,
        enterprise_ids: Sequence[UUID],
        *,
        module_id: UUID,
        exclude_cohort_id: UUID | None,
    ) -> dict[UUID, UUID]:
        """Enterprise id -> the other cohort of the same module it already belongs to."""
        statement = (
            select(CohortEnterprise.enterprise_id, CohortEnterprise.cohort_id)
            .join(Cohort, col(Cohort.id) == col(CohortEnterprise.cohort_id))
            .where(
                col(CohortEnterprise.enterprise_id).in_(enterprise_ids),
                Cohort.module_id == module_id,
            )
        )
        if exclude_cohort_id is not None:
            statement = statement.where(Cohort.id != exclude_cohort_id)
        return dict((await session.exec(statement)).all())


cohort_repository = CohortRepository()
