"""Queries behind supplier status: who counts as a buyer's supplier, and each part of the
status for a batch of enterprises in one statement (a page of 100 costs what 3 do)."""

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, true
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.params import Dimension, ReportParams
from services.reporting.readmodels.models import (
    RmCohort,
    RmEnrolment,
    RmEnterprise,
    RmImprovementProject,
    RmImprovementTeam,
    RmModuleProgress,
    RmProject,
)
from services.reporting.repository import DimensionSql, breakdown
from services.reporting.suppliers.schemas import (
    CompletedImprovementProject,
    ImprovementTeamStatus,
    ModuleCompleted,
    ProjectStage,
)
from services.reporting.tenancy import (
    cohort_visible,
    consenting_supplier_ids,
    enterprise_visible,
    project_visible,
)
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page
from shared.sql import any_of, column_of

COMPLETED = "completed"


def consenting_supplier(buyer_id: UUID) -> ColumnElement[bool]:
    """A WHERE condition on ``rm_enterprise``: one of the buyer's consenting suppliers."""
    return col(RmEnterprise.id).in_(consenting_supplier_ids(buyer_id))


def _enrolled(condition: Callable[[Sequence[Any]], ColumnElement[bool]]) -> DimensionSql:
    # Filter-only dimensions: a supplier is one row whatever its enrolments, so these
    # are EXISTS conditions, and the list is never grouped by them.
    return DimensionSql(column=column_of(RmEnterprise.id), match=condition)


SUPPLIER_DIMENSIONS: dict[Dimension, DimensionSql] = {
    Dimension.country: DimensionSql(column=column_of(RmEnterprise.country)),
    Dimension.sector: DimensionSql(column=column_of(RmEnterprise.sector)),
    Dimension.partner: DimensionSql(column=column_of(RmEnterprise.partner_id)),
    Dimension.project: _enrolled(
        lambda ids: exists().where(
            col(RmEnrolment.enterprise_id) == col(RmEnterprise.id),
            col(RmEnrolment.project_id).in_(ids),
        )
    ),
    Dimension.stage: _enrolled(
        lambda stages: exists().where(
            col(RmEnrolment.enterprise_id) == col(RmEnterprise.id),
            col(RmEnrolment.stage).in_(stages),
        )
    ),
    Dimension.module: _enrolled(
        lambda codes: exists().where(
            col(RmModuleProgress.enterprise_id) == col(RmEnterprise.id),
            col(RmModuleProgress.module_code).in_(codes),
        )
    ),
}


def supplier_conditions(
    principal: Principal, buyer_id: UUID | None, params: ReportParams | None = None
) -> list[ColumnElement[bool]]:
    """The reporting tenancy rule of the caller, narrowed to one buyer's consenting
    suppliers when a buyer is given (a lead buyer always is: see the service), and to
    the filters asked for."""
    conditions = [
        enterprise_visible(RmEnterprise.id, principal),
        true() if buyer_id is None else consenting_supplier(buyer_id),
    ]
    if params is not None:
        conditions.extend(breakdown(params, SUPPLIER_DIMENSIONS, report="suppliers").conditions)
    return conditions


class SupplierRepository:
    async def get(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        buyer_id: UUID | None,
    ) -> RmEnterprise | None:
        statement = select(RmEnterprise).where(
            col(RmEnterprise.id) == enterprise_id, *supplier_conditions(principal, buyer_id)
        )
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        buyer_id: UUID | None,
        params: ReportParams | None = None,
        page: PageRequest | None = None,
    ) -> Sequence[RmEnterprise]:
        """A page of suppliers in id order (every supplier without ``page``)."""
        statement = select(RmEnterprise).where(*supplier_conditions(principal, buyer_id, params))
        if page is None:
            return (await session.exec(statement.order_by(col(RmEnterprise.id)))).all()
        return (await session.exec(keyset_page(statement, col(RmEnterprise.id), page))).all()

    async def visible_ids(
        self,
        session: AsyncSession,
        enterprise_ids: Sequence[UUID],
        *,
        principal: Principal,
        buyer_id: UUID | None = None,
    ) -> set[UUID]:
        statement = select(RmEnterprise.id).where(
            any_of(RmEnterprise.id, enterprise_ids), *supplier_conditions(principal, buyer_id)
        )
        return set((await session.exec(statement)).all())

    # The parts below answer for ids already checked against tenancy.

    async def stages(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, list[ProjectStage]]:
        statement = (
            select(RmEnrolment, RmProject.name)
            .outerjoin(RmProject, col(RmProject.id) == col(RmEnrolment.project_id))
            .where(
                any_of(RmEnrolment.enterprise_id, enterprise_ids),
                # A programme manager sees the enterprise's place in their project only.
                project_visible(RmEnrolment.project_id, principal),
            )
            .order_by(col(RmEnrolment.stage_changed_at), col(RmEnrolment.id))
        )
        result: dict[UUID, list[ProjectStage]] = {key: [] for key in enterprise_ids}
        for enrolment, project_name in (await session.exec(statement)).all():
            result[enrolment.enterprise_id].append(
                ProjectStage(
                    project_id=enrolment.project_id,
                    project_name=project_name,
                    stage=enrolment.stage,
                    stage_changed_at=enrolment.stage_changed_at,
                )
            )
        return result

    async def modules_completed(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, list[ModuleCompleted]]:
        query = (
            select(RmModuleProgress, RmCohort.id, RmCohort.name)
            # The cohort is named only to those who may see it (another project's cohort
            # stays anonymous); the completed module itself shows with the enterprise.
            .outerjoin(
                RmCohort,
                and_(
                    col(RmCohort.id) == col(RmModuleProgress.cohort_id),
                    cohort_visible(principal),
                ),
            )
            .where(
                any_of(RmModuleProgress.enterprise_id, enterprise_ids),
                col(RmModuleProgress.status) == COMPLETED,
                col(RmModuleProgress.completed_on).is_not(None),
            )
            .order_by(col(RmModuleProgress.completed_on), col(RmModuleProgress.module_code))
        )
        result: dict[UUID, list[ModuleCompleted]] = {key: [] for key in enterprise_ids}
        for progress, cohort_id, cohort_name in (await session.exec(query)).all():
            assert progress.completed_on is not None  # filtered above
            result[progress.enterprise_id].append(
                ModuleCompleted(
                    module_code=progress.module_code,
                    completed_on=progress.completed_on,
                    cohort_id=cohort_id,
                    cohort_name=cohort_name,
                )
            )
        return result

    async def improvement_teams(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID]
    ) -> dict[UUID, ImprovementTeamStatus]:
        # One team per enterprise; should a second ever be formed, the latest one counts.
        statement = (
            select(RmImprovementTeam)
            .ext(distinct_on(col(RmImprovementTeam.enterprise_id)))
            .where(any_of(RmImprovementTeam.enterprise_id, enterprise_ids))
            .order_by(
                col(RmImprovementTeam.enterprise_id),
                col(RmImprovementTeam.formed_on).desc(),
                col(RmImprovementTeam.updated_at).desc(),
            )
        )
        return {
            team.enterprise_id: ImprovementTeamStatus.model_validate(team, from_attributes=True)
            for team in (await session.exec(statement)).all()
        }

    async def completed_projects(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID]
    ) -> dict[UUID, list[CompletedImprovementProject]]:
        statement = (
            select(RmImprovementProject)
            .where(
                any_of(RmImprovementProject.enterprise_id, enterprise_ids),
                col(RmImprovementProject.status) == COMPLETED,
            )
            .order_by(
                col(RmImprovementProject.completed_on).nulls_last(),
                col(RmImprovementProject.title),
                col(RmImprovementProject.id),
            )
        )
        result: dict[UUID, list[CompletedImprovementProject]] = {key: [] for key in enterprise_ids}
        for project in (await session.exec(statement)).all():
            result[project.enterprise_id].append(
                CompletedImprovementProject.model_validate(project, from_attributes=True)
            )
        return result


supplier_repository = SupplierRepository()
