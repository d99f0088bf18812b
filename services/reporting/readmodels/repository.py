"""Queries over the read models and the consumers' cursors."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, case, delete, func, literal, null, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import plumbing
from services.reporting.readmodels.models import (
    RmConsent,
    RmEnrolment,
    RmEnterprise,
    RmEventAttendee,
    RmImprovementTeam,
    RmModuleProgress,
    RmOrganisation,
    RmProject,
    RmTrainerCertification,
    RmValue,
)
from shared.sql import execute_for_each, upsert

VALIDATED = "validated"
# The columns naming one value slot; uq_rm_value_slot treats nulls as equal.
VALUE_SLOT = ("enterprise_id", "indicator_id", "round_id", "month", "sex", "role")


class ReadModelRepository:
    async def replace_event_attendees(
        self, session: AsyncSession, event_id: UUID, rows: Sequence[dict[str, Any]]
    ) -> None:
        """The event's register as the event tells it: people no longer on it go, the rest
        are upserted (a replay of an older register is undone by the newer one after it)."""
        kept = [row["id"] for row in rows]
        await session.execute(
            delete(RmEventAttendee).where(
                col(RmEventAttendee.event_id) == event_id, col(RmEventAttendee.id).not_in(kept)
            )
        )
        await upsert(session, RmEventAttendee, rows)

    async def update_trainer(
        self,
        session: AsyncSession,
        trainer_id: UUID,
        *,
        organisation_id: UUID | None,
        sex: str,
        country: str,
    ) -> None:
        """Every certification of the trainer takes its record's sex, country and
        organisation (certifications arriving later carry them too)."""
        await session.execute(
            update(RmTrainerCertification)
            .where(col(RmTrainerCertification.trainer_id) == trainer_id)
            .values(organisation_id=organisation_id, sex=sex, country=country)
        )

    async def upsert_values(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]], *, counted: bool = False
    ) -> None:
        """One statement for all value rows (one per slot), keyed by slot.

        Keyed by slot rather than value id, so a correction (a new value id in the same slot)
        or a replaced draft takes the place of the version before it - except that a validated
        version keeps the row (and keeps counting) until a fact that counts arrives: its
        successor validated, or a withdrawal (``counted``). Meanwhile the newer version is
        noted as pending. Deciding in the statement keeps every replay converging.
        """
        if not rows:
            return
        statement = insert(RmValue)
        stored, new = RmValue.__table__.c, statement.excluded  # type: ignore[attr-defined]
        keep = and_(
            literal(not counted),
            stored.status == VALIDATED,
            new.status != VALIDATED,
            stored.value_id != new.value_id,
        )
        updates: dict[str, Any] = {
            column: case((keep, stored[column]), else_=new[column])
            for column in rows[0]
            if column not in VALUE_SLOT and column not in ("pending_value_id", "pending_status")
        }
        updates["pending_value_id"] = case((keep, new.value_id), else_=null())
        updates["pending_status"] = case((keep, new.status), else_=null())
        await execute_for_each(
            session, statement.on_conflict_do_update(index_elements=VALUE_SLOT, set_=updates), rows
        )

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
