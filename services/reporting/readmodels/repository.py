"""Queries over the read models and the consumers' cursors."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import plumbing
from services.reporting.readmodels.models import (
    RmConsent,
    RmEnrolment,
    RmEnterprise,
    RmImprovementTeam,
    RmModuleProgress,
    RmOrganisation,
    RmProject,
    RmValue,
)


class ReadModelRepository:
    async def cursors(self, session: AsyncSession) -> dict[str, tuple[int, datetime]]:
        """Each consumer's last applied position and when it committed it."""
        cursor = plumbing.consumer_cursor
        rows = await session.execute(
            select(cursor.c.consumer, cursor.c.position, cursor.c.updated_at)
        )
        return {consumer: (int(position), at) for consumer, position, at in rows.all()}

    async def enterprise(
        self, session: AsyncSession, enterprise_id: UUID
    ) -> tuple[RmEnterprise, str | None] | None:
        row = (
            await session.execute(
                select(RmEnterprise, col(RmOrganisation.name))
                .outerjoin(RmOrganisation, col(RmOrganisation.id) == col(RmEnterprise.partner_id))
                .where(col(RmEnterprise.id) == enterprise_id)
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def enrolments(
        self, session: AsyncSession, enterprise_id: UUID
    ) -> list[tuple[RmEnrolment, str | None]]:
        rows = await session.execute(
            select(RmEnrolment, col(RmProject.name))
            .outerjoin(RmProject, col(RmProject.id) == col(RmEnrolment.project_id))
            .where(col(RmEnrolment.enterprise_id) == enterprise_id)
            .order_by(col(RmEnrolment.stage_changed_at), col(RmEnrolment.id))
        )
        return [(enrolment, name) for enrolment, name in rows.all()]

    async def consents(
        self, session: AsyncSession, enterprise_id: UUID
    ) -> list[tuple[RmConsent, str | None]]:
        rows = await session.execute(
            select(RmConsent, col(RmOrganisation.name))
            .outerjoin(RmOrganisation, col(RmOrganisation.id) == col(RmConsent.buyer_id))
            .where(col(RmConsent.enterprise_id) == enterprise_id)
            .order_by(col(RmConsent.changed_at), col(RmConsent.id))
        )
        return [(consent, name) for consent, name in rows.all()]

    async def modules(self, session: AsyncSession, enterprise_id: UUID) -> list[RmModuleProgress]:
        rows = await session.exec(
            select(RmModuleProgress)
            .where(col(RmModuleProgress.enterprise_id) == enterprise_id)
            .order_by(col(RmModuleProgress.module_code), col(RmModuleProgress.cohort_id))
        )
        return list(rows.all())

    async def values_by_status(self, session: AsyncSession, enterprise_id: UUID) -> dict[str, int]:
        """Values per status; a correction pending beside a validated version counts in
        both statuses (the validated one still counts in reports)."""
        counted: dict[str, int] = {}
        for column in (col(RmValue.status), col(RmValue.pending_status)):
            rows = await session.execute(
                select(column, func.count())
                .where(col(RmValue.enterprise_id) == enterprise_id, column.is_not(None))
                .group_by(column)
            )
            for status, count in rows.all():
                counted[status] = counted.get(status, 0) + int(count)
        return counted

    async def improvement_team_in_place(
        self, session: AsyncSession, enterprise_id: UUID
    ) -> bool | None:
        """Whether any of the enterprise's teams is in place; None when it has none."""
        value = await session.scalar(
            select(func.bool_or(col(RmImprovementTeam.in_place))).where(
                col(RmImprovementTeam.enterprise_id) == enterprise_id
            )
        )
        return None if value is None else bool(value)


read_model_repository = ReadModelRepository()
