"""Queries of the enrolment replica: enterprises, cohorts and projects as indicators knows them."""

from collections.abc import Collection, Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.replica.models import (
    ReplicaCohort,
    ReplicaEnrolment,
    ReplicaEnterprise,
    ReplicaProject,
)
from services.indicators.tenancy import enterprise_visible, project_visible
from shared.identity import Principal
from shared.sql import any_of


class ReplicaRepository:
    """What indicators knows of enrolment, for tenancy and for checking references."""

    async def visible_ids(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> set[UUID]:
        """Those of ``ids`` the replica knows and the principal may see."""
        if not ids:
            return set()
        statement = select(ReplicaEnterprise.id).where(
            any_of(ReplicaEnterprise.id, set(ids)),
            enterprise_visible(ReplicaEnterprise.id, principal),
        )
        return set((await session.exec(statement)).all())

    async def cohorts(
        self, session: AsyncSession, ids: Sequence[UUID]
    ) -> dict[UUID, ReplicaCohort]:
        if not ids:
            return {}
        rows = await session.exec(select(ReplicaCohort).where(col(ReplicaCohort.id).in_(set(ids))))
        return {cohort.id: cohort for cohort in rows.all()}

    async def project_periods(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID]
    ) -> dict[UUID, dict[UUID, tuple[date | None, date | None]]]:
        """Enterprise -> the projects it is enrolled in -> their (start, end) dates; a project
        the replica has not heard of yet has (None, None)."""
        if not enterprise_ids:
            return {}
        rows = await session.execute(
            core_select(
                col(ReplicaEnrolment.enterprise_id),
                col(ReplicaEnrolment.project_id),
                col(ReplicaProject.start_date),
                col(ReplicaProject.end_date),
            )
            .outerjoin(ReplicaProject, col(ReplicaProject.id) == ReplicaEnrolment.project_id)
            .where(col(ReplicaEnrolment.enterprise_id).in_(set(enterprise_ids)))
        )
        periods: dict[UUID, dict[UUID, tuple[date | None, date | None]]] = {}
        for enterprise_id, project_id, start, end in rows.all():
            periods.setdefault(enterprise_id, {})[project_id] = (start, end)
        return periods

    async def enterprises_named(
        self, session: AsyncSession, names: Collection[str]
    ) -> list[ReplicaEnterprise]:
        statement = select(ReplicaEnterprise).where(col(ReplicaEnterprise.name).in_(names))
        return list((await session.exec(statement)).all())

    async def project_ids(self, session: AsyncSession, enterprise_id: UUID) -> list[UUID]:
        """The projects the enterprise is enrolled in."""
        statement = select(ReplicaEnrolment.project_id).where(
            ReplicaEnrolment.enterprise_id == enterprise_id
        )
        return list((await session.exec(statement)).all())

    async def project_known(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> bool:
        """The project exists and the caller may see it."""
        found = await session.exec(
            select(ReplicaProject.id).where(
                ReplicaProject.id == project_id, project_visible(ReplicaProject.id, principal)
            )
        )
        return found.first() is not None


replica_repository = ReplicaRepository()
