"""Target and training cost queries; every read applies the caller's project tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.params import Dimension, ReportParams
from services.reporting.readmodels.models import RmCohort, RmIndicator, RmProject
from services.reporting.repository import DimensionSql, breakdown
from services.reporting.targets.models import Target, TrainingCost
from services.reporting.tenancy import project_records_visible
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page
from shared.problems import InvalidInput, field_error
from shared.sql import column_of

# Targets are filtered by their own project and country; they are rows, not groups.
TARGET_DIMENSIONS = {
    Dimension.project: DimensionSql(column_of(Target.project_id)),
    Dimension.country: DimensionSql(column_of(Target.country)),
    Dimension.period: DimensionSql(column_of(Target.period_end)),
}


class TargetRepository:
    async def get(
        self, session: AsyncSession, target_id: UUID, *, principal: Principal
    ) -> Target | None:
        statement = select(Target).where(
            col(Target.id) == target_id,
            project_records_visible(Target.project_id, principal),
        )
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_ids: Sequence[UUID] = (),
        metric: str | None = None,
    ) -> list[Target]:
        statement = select(Target).where(project_records_visible(Target.project_id, principal))
        if project_ids:
            statement = statement.where(col(Target.project_id).in_(project_ids))
        if metric is not None:
            statement = statement.where(col(Target.metric) == metric)
        statement = keyset_page(statement, col(Target.id), page)
        return list((await session.exec(statement)).all())

    async def find_scope(
        self,
        session: AsyncSession,
        *,
        project_id: UUID,
        country: str | None,
        metric: str,
        period_start: object,
        period_end: object,
        excluding: UUID | None = None,
    ) -> Target | None:
        """Another target for the same project, country, metric and period."""
        statement = select(Target).where(
            col(Target.project_id) == project_id,
            col(Target.country).is_not_distinct_from(country),
            col(Target.metric) == metric,
            col(Target.period_start) == period_start,
            col(Target.period_end) == period_end,
        )
        if excluding is not None:
            statement = statement.where(col(Target.id) != excluding)
        return (await session.exec(statement)).first()

    async def visible_with_projects(
        self,
        session: AsyncSession,
        principal: Principal,
        params: ReportParams,
        *,
        metrics: Sequence[str] = (),
    ) -> list[tuple[Target, str | None, str | None]]:
        """The caller's targets matching the filters, with their project's name and country."""
        plan = breakdown(params, TARGET_DIMENSIONS, report="targets")
        if params.group_by:
            raise InvalidInput(
                "Target progress lists targets; it has no breakdown",
                errors=[field_error("query.group_by", "not_supported", "filter instead")],
            )
        statement = (
            select(Target, RmProject.name, RmProject.country)
            .outerjoin(RmProject, col(RmProject.id) == col(Target.project_id))
            .where(project_records_visible(Target.project_id, principal), *plan.conditions)
            .order_by(col(Target.project_id), col(Target.metric), col(Target.period_start))
        )
        if metrics:
            statement = statement.where(col(Target.metric).in_(metrics))
        rows = await session.exec(statement)
        return [(target, name, country) for target, name, country in rows.all()]

    async def indicator_direction(self, session: AsyncSession, code: str) -> str | None:
        """The desired direction of the indicator with ``code``; None when there is none."""
        statement = select(RmIndicator.direction).where(col(RmIndicator.code) == code)
        return (await session.exec(statement)).first()


class CostRepository:
    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_ids: Sequence[UUID] = (),
    ) -> list[TrainingCost]:
        statement = select(TrainingCost).where(
            project_records_visible(TrainingCost.project_id, principal)
        )
        if project_ids:
            statement = statement.where(col(TrainingCost.project_id).in_(project_ids))
        statement = keyset_page(statement, col(TrainingCost.id), page)
        return list((await session.exec(statement)).all())


class ProjectLookup:
    """Projects and cohorts as reporting knows them (from enrolment's events)."""

    async def project(self, session: AsyncSession, project_id: UUID) -> RmProject | None:
        return await session.get(RmProject, project_id)

    async def cohort(self, session: AsyncSession, cohort_id: UUID) -> RmCohort | None:
        return await session.get(RmCohort, cohort_id)


target_repository = TargetRepository()
cost_repository = CostRepository()
project_lookup = ProjectLookup()
