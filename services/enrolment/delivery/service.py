"""Delivering a cohort: participants, classroom sessions and attendance, consulting visits,
and each enterprise's progress in the module."""

from collections import Counter
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.catalogue.repository import module_repository
from services.enrolment.cohorts.models import Cohort
from services.enrolment.cohorts.repository import cohort_repository
from services.enrolment.cohorts.service import cohort_service
from services.enrolment.db import changes
from services.enrolment.delivery.models import (
    ClassroomSession,
    ConsultingVisit,
    ModuleProgress,
    Participant,
)
from services.enrolment.delivery.repository import delivery_repository
from services.enrolment.delivery.schemas import (
    AttendanceMark,
    AttendanceRecord,
    AttendanceSheet,
    ClassroomSessionCreate,
    ClassroomSessionPublic,
    ConsultingVisitCreate,
    ConsultingVisitPublic,
    EnterpriseComposition,
    ModuleProgressPublic,
    ModuleStatus,
    ParticipantCreate,
    ParticipantPublic,
    ParticipantRoster,
    ProgressUpdate,
)
from services.enrolment.enterprises.service import enterprise_service
from shared.columns import utcnow
from shared.enums import ParticipantRole, Role, Sex
from shared.events import ModuleProgressChanged, ParticipantChanged
from shared.identity import Principal
from shared.problems import Conflict, InvalidInput, NotFound, field_error

# Each enterprise sends two managers and two workers (domain.md, "Cohort").
EXPECTED_MANAGERS = 2
EXPECTED_WORKERS = 2


def _participant_public(participant: Participant) -> ParticipantPublic:
    return ParticipantPublic(
        id=participant.id,
        cohort_id=participant.cohort_id,
        enterprise_id=participant.enterprise_id,
        name=participant.name,
        role=ParticipantRole(participant.role),
        sex=Sex(participant.sex),
        position_title=participant.position_title,
        created_at=participant.created_at,
    )


async def _cohort_enterprise_or_422(
    session: AsyncSession, cohort: Cohort, enterprise_id: UUID, *, principal: Principal
) -> None:
    members = await cohort_repository.visible_enterprise_ids(
        session, cohort.id, principal=principal
    )
    if enterprise_id not in members:
        raise InvalidInput(
            f"Enterprise {enterprise_id} is not in cohort {cohort.id}",
            errors=[
                field_error(
                    "body.enterprise_id",
                    "cohort_enterprise",
                    "must be an enterprise of the cohort",
                    str(enterprise_id),
                )
            ],
        )


class ParticipantService:
    async def create(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        data: ParticipantCreate,
        *,
        principal: Principal,
    ) -> ParticipantPublic:
        cohort = await cohort_service.get_for_delivery(
            session, cohort_id, principal=principal, action="register participants"
        )
        await _cohort_enterprise_or_422(session, cohort, data.enterprise_id, principal=principal)
        participant = Participant(cohort_id=cohort.id, **data.model_dump())
        session.add(participant)
        await session.flush()
        public = _participant_public(participant)
        await self._record(session, public, principal=principal, removed=False)
        return public

    async def roster(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> ParticipantRoster:
        cohort = await cohort_service.get_or_404(session, cohort_id, principal=principal)
        participants = await delivery_repository.participants(
            session, cohort.id, principal=principal
        )
        enterprise_ids = await cohort_repository.visible_enterprise_ids(
            session, cohort.id, principal=principal
        )
        composition, warnings = _composition(enterprise_ids, participants)
        return ParticipantRoster(
            cohort_id=cohort.id,
            items=[_participant_public(p) for p in participants],
            composition=composition,
            warnings=warnings,
        )

    async def delete(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        participant_id: UUID,
        *,
        principal: Principal,
    ) -> None:
        cohort = await cohort_service.get_for_delivery(
            session, cohort_id, principal=principal, action="remove participants"
        )
        participant = await delivery_repository.participant(
            session, cohort.id, participant_id, principal=principal
        )
        if participant is None:
            raise NotFound(f"Participant {participant_id} not found in cohort {cohort_id}")
        if await delivery_repository.has_attendance(session, participant.id):
            # Deleting would silently erase attendance history with it.
            raise Conflict(
                f"Participant {participant.id} has attendance recorded and stays on the roster"
            )
        public = _participant_public(participant)
        await session.delete(participant)
        await session.flush()
        await self._record(session, public, principal=principal, removed=True)

    async def _record(
        self,
        session: AsyncSession,
        public: ParticipantPublic,
        *,
        principal: Principal,
        removed: bool,
    ) -> None:
        await changes.emit(
            session,
            ParticipantChanged(
                participant_id=public.id,
                cohort_id=public.cohort_id,
                enterprise_id=public.enterprise_id,
                role=public.role,
                sex=public.sex,
                removed=removed,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="participant.removed" if removed else "participant.registered",
            entity_type="participant",
            entity_id=public.id,
            before=public if removed else None,
            after=None if removed else public,
        )


def _composition(
    enterprise_ids: Sequence[UUID], participants: Sequence[Participant]
) -> tuple[list[EnterpriseComposition], list[str]]:
    roles: dict[UUID, Counter[str]] = {e: Counter() for e in enterprise_ids}
    sexes: dict[UUID, Counter[str]] = {e: Counter() for e in enterprise_ids}
    for participant in participants:
        roles.setdefault(participant.enterprise_id, Counter())[participant.role] += 1
        sexes.setdefault(participant.enterprise_id, Counter())[participant.sex] += 1
    composition = []
    warnings = []
    for enterprise_id, by_role in roles.items():
        managers = by_role[ParticipantRole.manager]
        workers = by_role[ParticipantRole.worker]
        composition.append(
            EnterpriseComposition(
                enterprise_id=enterprise_id,
                managers=managers,
                workers=workers,
                female=sexes[enterprise_id][Sex.female],
                male=sexes[enterprise_id][Sex.male],
            )
        )
        if (managers, workers) != (EXPECTED_MANAGERS, EXPECTED_WORKERS):
            warnings.append(
                f"enterprise {enterprise_id} sends {managers} manager(s) and {workers} "
                f"worker(s); SCORE expects {EXPECTED_MANAGERS} managers and "
                f"{EXPECTED_WORKERS} workers"
            )
    return composition, warnings


class ClassroomService:
    async def create(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        data: ClassroomSessionCreate,
        *,
        principal: Principal,
    ) -> ClassroomSessionPublic:
        cohort = await cohort_service.get_for_delivery(
            session, cohort_id, principal=principal, action="record classroom sessions"
        )
        day_taken = Conflict(
            f"Cohort {cohort.id} already has a session for day {data.day_number}",
            errors=[
                field_error(
                    "body.day_number",
                    "unique",
                    "one session per classroom day",
                    str(data.day_number),
                )
            ],
        )
        if await delivery_repository.session_on_day(session, cohort.id, data.day_number):
            raise day_taken
        classroom = ClassroomSession(
            cohort_id=cohort.id,
            day_number=data.day_number,
            held_on=data.held_on,
            delivery_mode=data.delivery_mode or cohort.delivery_mode,
            topic=data.topic,
        )
        try:
            # A concurrent request may take the day between the check and the insert.
            async with session.begin_nested():
                session.add(classroom)
        except IntegrityError as exc:
            raise day_taken from exc
        public = ClassroomSessionPublic.model_validate(classroom)
        await changes.audit(
            session,
            principal=principal,
            action="classroom_session.created",
            entity_type="classroom_session",
            entity_id=classroom.id,
            after=public,
        )
        return public

    async def get_all(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> list[ClassroomSessionPublic]:
        cohort = await cohort_service.get_or_404(session, cohort_id, principal=principal)
        rows = await delivery_repository.sessions(session, cohort.id)
        return [ClassroomSessionPublic.model_validate(row) for row in rows]

    async def get_or_404(
        self, session: AsyncSession, session_id: UUID, *, principal: Principal
    ) -> tuple[ClassroomSession, Cohort]:
        found = await delivery_repository.classroom_session(
            session, session_id, principal=principal
        )
        if found is None:
            raise NotFound(f"Classroom session {session_id} not found")
        return found

    async def attendance(
        self, session: AsyncSession, session_id: UUID, *, principal: Principal
    ) -> AttendanceSheet:
        classroom, _ = await self.get_or_404(session, session_id, principal=principal)
        return await self._sheet(session, classroom, principal=principal)

    async def record_attendance(
        self,
        session: AsyncSession,
        session_id: UUID,
        marks: Sequence[AttendanceMark],
        *,
        principal: Principal,
    ) -> AttendanceSheet:
        """Replace the register with ``marks`` (for the participants the caller may see)."""
        classroom, cohort = await self.get_or_404(session, session_id, principal=principal)
        await cohort_service.get_for_delivery(
            session, cohort.id, principal=principal, action="record attendance"
        )
        roster = {
            p.id
            for p in await delivery_repository.participants(session, cohort.id, principal=principal)
        }
        errors: list[dict[str, Any]] = []
        seen: set[UUID] = set()
        for index, mark in enumerate(marks):
            field = f"body.{index}.participant_id"
            if mark.participant_id in seen:
                errors.append(
                    field_error(
                        field, "duplicate", "listed more than once", str(mark.participant_id)
                    )
                )
            elif mark.participant_id not in roster:
                errors.append(
                    field_error(
                        field,
                        "cohort_participant",
                        "must be a participant of the session's cohort",
                        str(mark.participant_id),
                    )
                )
            seen.add(mark.participant_id)
        if errors:
            raise InvalidInput(
                f"The register has {len(errors)} invalid entr{'y' if len(errors) == 1 else 'ies'}",
                errors=errors,
            )
        before = await self._sheet(session, classroom, principal=principal)
        await delivery_repository.replace_attendance(
            session,
            classroom.id,
            [(mark.participant_id, mark.present) for mark in marks],
            scope=roster,
        )
        await session.flush()
        after = await self._sheet(session, classroom, principal=principal)
        await changes.audit(
            session,
            principal=principal,
            action="attendance.recorded",
            entity_type="classroom_session",
            entity_id=classroom.id,
            before={str(r.participant_id): r.present for r in before.records},
            after={str(r.participant_id): r.present for r in after.records},
        )
        return after

    async def _sheet(
        self, session: AsyncSession, classroom: ClassroomSession, *, principal: Principal
    ) -> AttendanceSheet:
        rows = await delivery_repository.attendance(session, classroom.id, principal=principal)
        records = [
            AttendanceRecord(
                participant_id=participant.id,
                enterprise_id=participant.enterprise_id,
                name=participant.name,
                role=ParticipantRole(participant.role),
                sex=Sex(participant.sex),
                present=attendance.present,
            )
            for attendance, participant in rows
        ]
        present = [r for r in records if r.present]
        return AttendanceSheet(
            session_id=classroom.id,
            cohort_id=classroom.cohort_id,
            day_number=classroom.day_number,
            held_on=classroom.held_on,
            records=records,
            present=len(present),
            absent=len(records) - len(present),
            present_female=sum(1 for r in present if r.sex is Sex.female),
            present_male=sum(1 for r in present if r.sex is Sex.male),
        )


class VisitService:
    async def create(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        data: ConsultingVisitCreate,
        *,
        principal: Principal,
    ) -> ConsultingVisitPublic:
        cohort = await cohort_service.get_for_delivery(
            session, cohort_id, principal=principal, action="record consulting visits"
        )
        await _cohort_enterprise_or_422(session, cohort, data.enterprise_id, principal=principal)
        trainer_id = await self._visiting_trainer(session, cohort, data.trainer_id, principal)
        visit = ConsultingVisit(
            cohort_id=cohort.id,
            trainer_id=trainer_id,
            **data.model_dump(exclude={"trainer_id"}),
        )
        session.add(visit)
        await session.flush()
        public = ConsultingVisitPublic.model_validate(visit)
        await changes.audit(
            session,
            principal=principal,
            action="consulting_visit.recorded",
            entity_type="consulting_visit",
            entity_id=visit.id,
            after=public,
        )
        return public

    async def get_all(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        *,
        principal: Principal,
        enterprise_id: UUID | None = None,
    ) -> list[ConsultingVisitPublic]:
        cohort = await cohort_service.get_or_404(session, cohort_id, principal=principal)
        rows = await delivery_repository.visits(
            session, cohort.id, principal=principal, enterprise_id=enterprise_id
        )
        return [ConsultingVisitPublic.model_validate(row) for row in rows]

    async def _visiting_trainer(
        self, session: AsyncSession, cohort: Cohort, requested: UUID | None, principal: Principal
    ) -> UUID:
        if principal.role is Role.trainer:
            if requested not in (None, principal.trainer_id):
                raise InvalidInput(
                    "Trainers record their own visits",
                    errors=[
                        field_error(
                            "body.trainer_id",
                            "own_visit",
                            "must be you or omitted",
                            str(requested),
                        )
                    ],
                )
            assert principal.trainer_id is not None  # the role requires it (Principal)
            return principal.trainer_id
        if requested is None:
            raise InvalidInput(
                "The visiting trainer is required",
                errors=[field_error("body.trainer_id", "missing", "Field required")],
            )
        assigned = (await cohort_repository.trainer_ids_for(session, [cohort.id]))[cohort.id]
        if requested not in assigned:
            raise InvalidInput(
                f"Trainer {requested} is not assigned to cohort {cohort.id}",
                errors=[
                    field_error(
                        "body.trainer_id",
                        "cohort_trainer",
                        "must be a trainer assigned to the cohort",
                        str(requested),
                    )
                ],
            )
        return requested


def _progress_public(
    enterprise_id: UUID,
    module: TrainingModule,
    cohort_id: UUID,
    progress: ModuleProgress | None,
) -> ModuleProgressPublic:
    # Joining a cohort enrols the enterprise in its module before anyone records progress.
    return ModuleProgressPublic(
        enterprise_id=enterprise_id,
        module_code=module.code,
        module_name=module.name,
        level=module.level,
        cohort_id=progress.cohort_id if progress else cohort_id,
        status=ModuleStatus(progress.status) if progress else ModuleStatus.enrolled,
        completed_on=progress.completed_on if progress else None,
        updated_at=progress.updated_at if progress else None,
    )


class ProgressService:
    async def update(
        self,
        session: AsyncSession,
        cohort_id: UUID,
        enterprise_id: UUID,
        data: ProgressUpdate,
        *,
        principal: Principal,
    ) -> ModuleProgressPublic:
        cohort = await cohort_service.get_for_delivery(
            session, cohort_id, principal=principal, action="record module progress"
        )
        members = await cohort_repository.visible_enterprise_ids(
            session, cohort.id, principal=principal
        )
        if enterprise_id not in members:
            raise NotFound(f"Enterprise {enterprise_id} is not in cohort {cohort_id}")
        module = (await module_repository.get_many(session, [cohort.module_id]))[cohort.module_id]
        progress = await delivery_repository.progress(session, enterprise_id, module.id)
        before = _progress_public(enterprise_id, module, cohort.id, progress)
        if (
            progress is not None
            and progress.cohort_id == cohort.id
            and (before.status, before.completed_on) == (data.status, data.completed_on)
        ):
            return before
        if progress is None:
            progress = ModuleProgress(
                enterprise_id=enterprise_id, module_id=module.id, cohort_id=cohort.id
            )
        progress.cohort_id = cohort.id
        progress.status = data.status.value
        progress.completed_on = data.completed_on
        progress.updated_at = utcnow()
        session.add(progress)
        await session.flush()
        after = _progress_public(enterprise_id, module, cohort.id, progress)
        await changes.emit(
            session,
            ModuleProgressChanged(
                enterprise_id=enterprise_id,
                cohort_id=cohort.id,
                module_code=module.code,
                status=data.status.value,
                completed_on=data.completed_on,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="module_progress.changed",
            entity_type="module_progress",
            entity_id=progress.id,
            before=before,
            after=after,
        )
        return after

    async def for_cohort(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> list[ModuleProgressPublic]:
        cohort = await cohort_service.get_or_404(session, cohort_id, principal=principal)
        module = (await module_repository.get_many(session, [cohort.module_id]))[cohort.module_id]
        members = await cohort_repository.visible_enterprise_ids(
            session, cohort.id, principal=principal
        )
        rows = await delivery_repository.progress_in_cohort(session, cohort.id)
        return [_progress_public(e, module, cohort.id, rows.get(e)) for e in members]

    async def for_enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> list[ModuleProgressPublic]:
        enterprise = await enterprise_service.get_or_404(
            session, enterprise_id, principal=principal
        )
        rows = {
            p.module_id: p
            for p in await delivery_repository.progress_of_enterprise(session, enterprise.id)
        }
        cohorts = {
            c.module_id: c.id for c in await cohort_repository.of_enterprise(session, enterprise.id)
        }
        modules = await module_repository.get_many(session, [*rows, *cohorts])
        ordered = sorted(modules.values(), key=lambda m: (m.level, m.code))
        progress = [
            _progress_public(
                enterprise.id,
                module,
                rows[module.id].cohort_id if module.id in rows else cohorts[module.id],
                rows.get(module.id),
            )
            for module in ordered
        ]
        # The enterprise's progress is the enterprise's; the cohort behind it is named only
        # to those who may see the cohort (not, say, another project's manager).
        shown = await cohort_repository.visible_ids(
            session, {p.cohort_id for p in progress if p.cohort_id}, principal=principal
        )
        return [
            p if p.cohort_id in shown else p.model_copy(update={"cohort_id": None})
            for p in progress
        ]


participant_service = ParticipantService()
classroom_service = ClassroomService()
visit_service = VisitService()
progress_service = ProgressService()
