"""Delivery queries: participants, classroom sessions, attendance, visits and progress.

Rows about one enterprise are narrowed to the enterprises the caller may see, so an
enterprise user reads its own participants and visits, not its cohort mates'.
"""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.cohorts.models import Cohort
from services.enrolment.delivery.models import (
    Attendance,
    ClassroomSession,
    ConsultingVisit,
    ModuleProgress,
    Participant,
)
from services.enrolment.tenancy import cohort_visible, enterprise_visible
from shared.identity import Principal


class DeliveryRepository:
    async def participants(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> list[Participant]:
        statement = (
            select(Participant)
            .where(
                Participant.cohort_id == cohort_id,
                enterprise_visible(principal, Participant.enterprise_id),
            )
            .order_by(col(Participant.enterprise_id), col(Participant.id))
        )
        return list((await session.exec(statement)).all())

    async def participant(
        self, session: AsyncSession, cohort_id: UUID, participant_id: UUID, *, principal: Principal
    ) -> Participant | None:
        statement = select(Participant).where(
            Participant.id == participant_id,
            Participant.cohort_id == cohort_id,
            enterprise_visible(principal, Participant.enterprise_id),
        )
        return (await session.exec(statement)).first()

    async def participant_counts(
        self,
        session: AsyncSession,
        cohort_ids: Sequence[UUID],
        *,
        enterprise_ids: Collection[UUID] | None = None,
    ) -> dict[UUID, int]:
        """Participants per cohort; only those of ``enterprise_ids`` when given."""
        statement = select(Participant.cohort_id, func.count()).where(
            col(Participant.cohort_id).in_(cohort_ids)
        )
        if enterprise_ids is not None:
            statement = statement.where(col(Participant.enterprise_id).in_(enterprise_ids))
        rows = await session.exec(statement.group_by(col(Participant.cohort_id)))
        counts = {cohort_id: 0 for cohort_id in cohort_ids}
        counts.update({cohort_id: int(n) for cohort_id, n in rows.all()})
        return counts

    async def has_attendance(self, session: AsyncSession, participant_id: UUID) -> bool:
        statement = select(Attendance.session_id).where(Attendance.participant_id == participant_id)
        return (await session.exec(statement.limit(1))).first() is not None

    async def session_on_day(
        self, session: AsyncSession, cohort_id: UUID, day_number: int
    ) -> ClassroomSession | None:
        statement = select(ClassroomSession).where(
            ClassroomSession.cohort_id == cohort_id, ClassroomSession.day_number == day_number
        )
        return (await session.exec(statement)).first()

    async def sessions(self, session: AsyncSession, cohort_id: UUID) -> list[ClassroomSession]:
        statement = (
            select(ClassroomSession)
            .where(ClassroomSession.cohort_id == cohort_id)
            .order_by(col(ClassroomSession.day_number))
        )
        return list((await session.exec(statement)).all())

    async def classroom_session(
        self, session: AsyncSession, session_id: UUID, *, principal: Principal
    ) -> tuple[ClassroomSession, Cohort] | None:
        statement = (
            select(ClassroomSession, Cohort)
            .join(Cohort, col(Cohort.id) == col(ClassroomSession.cohort_id))
            .where(ClassroomSession.id == session_id, cohort_visible(principal))
        )
        row = (await session.exec(statement)).first()
        return None if row is None else (row[0], row[1])

    async def attendance(
        self, session: AsyncSession, session_id: UUID, *, principal: Principal
    ) -> list[tuple[Attendance, Participant]]:
        statement = (
            select(Attendance, Participant)
            .join(Participant, col(Participant.id) == col(Attendance.participant_id))
            .where(
                Attendance.session_id == session_id,
                enterprise_visible(principal, Participant.enterprise_id),
            )
            .order_by(col(Participant.enterprise_id), col(Participant.id))
        )
        rows = (await session.exec(statement)).all()
        return [(attendance, participant) for attendance, participant in rows]

    async def replace_attendance(
        self,
        session: AsyncSession,
        session_id: UUID,
        marks: Sequence[tuple[UUID, bool]],
        *,
        scope: Collection[UUID],
    ) -> None:
        """Replace the marks of the participants in ``scope``; others' marks are left alone."""
        await session.execute(
            delete(Attendance).where(
                col(Attendance.session_id) == session_id,
                col(Attendance.participant_id).in_(scope),
            )
        )
        session.add_all(
            Attendance(session_id=session_id, participant_id=participant_id, present=present)
            for participant_id, present in marks
        )

    async def visits(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        *,
        principal: Principal,
        enterprise_id: UUID | None = None,
    ) -> list[ConsultingVisit]:
        statement = select(ConsultingVisit).where(
            ConsultingVisit.cohort_id == cohort_id,
            enterprise_visible(principal, ConsultingVisit.enterprise_id),
        )
        if enterprise_id is not None:
            statement = statement.where(ConsultingVisit.enterprise_id == enterprise_id)
        statement = statement.order_by(col(ConsultingVisit.visited_on), col(ConsultingVisit.id))
        return list((await session.exec(statement)).all())

    async def progress(
        self, session: AsyncSession, enterprise_id: UUID, module_id: UUID
    ) -> ModuleProgress | None:
        statement = select(ModuleProgress).where(
            ModuleProgress.enterprise_id == enterprise_id, ModuleProgress.module_id == module_id
        )
        return (await session.exec(statement)).first()

    async def progress_of_enterprise(
        self, session: AsyncSession, enterprise_id: UUID
    ) -> list[ModuleProgress]:
        statement = select(ModuleProgress).where(ModuleProgress.enterprise_id == enterprise_id)
        return list((await session.exec(statement)).all())

    async def progress_in_cohort(
        self, session: AsyncSession, cohort_id: UUID
    ) -> dict[UUID, ModuleProgress]:
        statement = select(ModuleProgress).where(ModuleProgress.cohort_id == cohort_id)
        return {row.enterprise_id: row for row in (await session.exec(statement)).all()}

    async def completed_module(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], module_code: str
    ) -> set[UUID]:
        """Which of the enterprises have completed the module."""
        statement = (
            select(ModuleProgress.enterprise_id)
            .join(TrainingModule, col(TrainingModule.id) == col(ModuleProgress.module_id))
            .where(
                col(ModuleProgress.enterprise_id).in_(enterprise_ids),
                TrainingModule.code == module_code,
                ModuleProgress.status == "completed",
            )
        )
        return set((await session.exec(statement)).all())

    async def enterprises_with_activity(
        self, session: AsyncSession, cohort_id: UUID, enterprise_ids: Sequence[UUID]
    ) -> set[UUID]:
        """Enterprises that already have participants, visits or progress in the cohort."""
        statements = (
            select(Participant.enterprise_id).where(
                Participant.cohort_id == cohort_id,
                col(Participant.enterprise_id).in_(enterprise_ids),
            ),
            select(ConsultingVisit.enterprise_id).where(
                ConsultingVisit.cohort_id == cohort_id,
                col(ConsultingVisit.enterprise_id).in_(enterprise_ids),
            ),
            select(ModuleProgress.enterprise_id).where(
                ModuleProgress.cohort_id == cohort_id,
                col(ModuleProgress.enterprise_id).in_(enterprise_ids),
            ),
        )
        found: set[UUID] = set()
        for statement in statements:
            found.update((await session.exec(statement)).all())
        return found


delivery_repository = DeliveryRepository()
