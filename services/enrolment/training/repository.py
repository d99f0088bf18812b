"""Training delivery queries; every read of tenant data applies the caller's tenancy."""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.enterprises.models import Enterprise
from services.enrolment.lifecycle.models import Enrolment
from services.enrolment.organisations.models import Project, ProjectOrganisation
from services.enrolment.tenancy import (
    cohort_visible,
    enterprise_visible,
    project_visible,
    trainer_visible,
    visible_enterprise_ids,
)
from services.enrolment.training.models import (
    Attendance,
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    CohortTrainer,
    ConsultingVisit,
    ModuleProgress,
    Participant,
    Trainer,
    TrainerCertification,
    TrainingModule,
)
from shared.enums import LifecycleStage
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class ModuleRepository:
    async def get_by_code(self, session: AsyncSession, code: str) -> TrainingModule | None:
        return (
            await session.exec(select(TrainingModule).where(TrainingModule.code == code))
        ).first()

    async def get_all(
        self, session: AsyncSession, *, active: bool | None = None
    ) -> list[TrainingModule]:
        statement = select(TrainingModule)
        if active is not None:
            statement = statement.where(TrainingModule.active == active)
        statement = statement.order_by(col(TrainingModule.level), col(TrainingModule.id))
        return list((await session.exec(statement)).all())

    async def get_many(
        self, session: AsyncSession, ids: Sequence[UUID]
    ) -> dict[UUID, TrainingModule]:
        rows = await session.exec(select(TrainingModule).where(col(TrainingModule.id).in_(ids)))
        return {module.id: module for module in rows.all()}


class TrainerRepository:
    async def get(
        self, session: AsyncSession, trainer_id: UUID, *, principal: Principal
    ) -> Trainer | None:
        statement = select(Trainer).where(Trainer.id == trainer_id, trainer_visible(principal))
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        organisation_id: UUID | None = None,
        country: str | None = None,
    ) -> list[Trainer]:
        statement = select(Trainer).where(trainer_visible(principal))
        if organisation_id is not None:
            statement = statement.where(Trainer.organisation_id == organisation_id)
        if country is not None:
            statement = statement.where(Trainer.country == country.upper())
        statement = keyset_page(statement, col(Trainer.id), page)
        return list((await session.exec(statement)).all())

    async def get_many_unscoped(
        self, session: AsyncSession, ids: Sequence[UUID]
    ) -> dict[UUID, Trainer]:
        """For validating references inside a write whose own access was already checked."""
        rows = await session.exec(select(Trainer).where(col(Trainer.id).in_(ids)))
        return {trainer.id: trainer for trainer in rows.all()}

    async def certification(
        self, session: AsyncSession, trainer_id: UUID, module_id: UUID
    ) -> TrainerCertification | None:
        statement = select(TrainerCertification).where(
            TrainerCertification.trainer_id == trainer_id,
            TrainerCertification.module_id == module_id,
        )
        return (await session.exec(statement)).first()

    async def certifications_for(
        self, session: AsyncSession, trainer_ids: Sequence[UUID]
    ) -> dict[UUID, list[tuple[TrainerCertification, TrainingModule]]]:
        rows = await session.exec(
            select(TrainerCertification, TrainingModule)
            .join(TrainingModule, col(TrainingModule.id) == col(TrainerCertification.module_id))
            .where(col(TrainerCertification.trainer_id).in_(trainer_ids))
            .order_by(col(TrainingModule.level), col(TrainingModule.id))
        )
        result: dict[UUID, list[tuple[TrainerCertification, TrainingModule]]] = {
            trainer_id: [] for trainer_id in trainer_ids
        }
        for certification, module in rows.all():
            result[certification.trainer_id].append((certification, module))
        return result


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

    async def project_visible(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> bool:
        statement = select(Project.id).where(Project.id == project_id, project_visible(principal))
        return (await session.exec(statement)).first() is not None

    async def is_project_partner(
        self, session: AsyncSession, project_id: UUID, organisation_id: UUID
    ) -> bool:
        statement = select(ProjectOrganisation.id).where(
            ProjectOrganisation.project_id == project_id,
            ProjectOrganisation.organisation_id == organisation_id,
            ProjectOrganisation.relation == "partner",
        )
        return (await session.exec(statement)).first() is not None

    async def visible_enterprise_ids(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> set[UUID]:
        statement = select(Enterprise.id).where(
            col(Enterprise.id).in_(ids), enterprise_visible(principal)
        )
        return set((await session.exec(statement)).all())

    async def enrolment_stages(
        self, session: AsyncSession, project_id: UUID, enterprise_ids: Sequence[UUID]
    ) -> dict[UUID, LifecycleStage]:
        rows = await session.exec(
            select(Enrolment.enterprise_id, Enrolment.stage).where(
                Enrolment.project_id == project_id,
                col(Enrolment.enterprise_id).in_(enterprise_ids),
            )
        )
        return {enterprise_id: LifecycleStage(stage) for enterprise_id, stage in rows.all()}

    async def completed_module(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], module_code: str
    ) -> set[UUID]:
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


def _only_visible_enterprises(principal: Principal, column: UUID) -> list[ColumnElement[bool]]:
    ids = visible_enterprise_ids(principal)
    return [] if ids is None else [col(column).in_(ids)]


class DeliveryRepository:
    """Participants, classroom sessions, attendance, visits and progress of cohorts.

    Rows about one enterprise are narrowed to the enterprises the caller may see, so an
    enterprise user reads its own participants and visits, not its classmates'.
    """

    async def participants(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> list[Participant]:
        statement = (
            select(Participant)
            .where(
                Participant.cohort_id == cohort_id,
                *_only_visible_enterprises(principal, Participant.enterprise_id),
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
            *_only_visible_enterprises(principal, Participant.enterprise_id),
        )
        return (await session.exec(statement)).first()

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
                *_only_visible_enterprises(principal, Participant.enterprise_id),
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
            *_only_visible_enterprises(principal, ConsultingVisit.enterprise_id),
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

    async def memberships_of_enterprise(
        self, session: AsyncSession, enterprise_id: UUID
    ) -> list[Cohort]:
        statement = (
            select(Cohort)
            .join(CohortEnterprise, col(CohortEnterprise.cohort_id) == col(Cohort.id))
            .where(CohortEnterprise.enterprise_id == enterprise_id)
        )
        return list((await session.exec(statement)).all())

    async def visible_cohort_enterprise_ids(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> list[UUID]:
        statement = (
            select(CohortEnterprise.enterprise_id)
            .where(
                CohortEnterprise.cohort_id == cohort_id,
                *_only_visible_enterprises(principal, CohortEnterprise.enterprise_id),
            )
            .order_by(col(CohortEnterprise.added_at), col(CohortEnterprise.enterprise_id))
        )
        return list((await session.exec(statement)).all())


module_repository = ModuleRepository()
trainer_repository = TrainerRepository()
cohort_repository = CohortRepository()
delivery_repository = DeliveryRepository()
