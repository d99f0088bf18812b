"""Quiz results and assignments on a trainer's certification path. Whoever may see the
trainer may read them; those who manage the trainer (the ILO, the trainer's partner staff)
record them. Certification itself (trainers service) requires them."""

from datetime import timedelta
from uuid import UUID

from fastapi import UploadFile
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.catalogue.service import module_service
from services.enrolment.db import changes
from services.enrolment.trainer_evidence import rules
from services.enrolment.trainer_evidence.models import TrainerAssignment, TrainerQuizResult
from services.enrolment.trainer_evidence.repository import evidence_repository
from services.enrolment.trainer_evidence.schemas import (
    AssignmentPublic,
    EvidencePublic,
    QuizResultPublic,
    QuizResultPut,
)
from services.enrolment.trainers.models import Trainer
from services.enrolment.trainers.service import require_trainer_manager, trainer_service
from shared.columns import utcnow
from shared.db import Database
from shared.events import TrainerAssignmentSubmitted, TrainerQuizRecorded
from shared.identity import Principal
from shared.problems import InvalidInput, NotFound, field_error
from shared.storage import FileStore, StorageSettings, new_key, sweep
from shared.uploads import JPEG, PDF, PNG, check_upload, kept

# What an assignment may be: the sniffed type of its bytes, whatever its name says.
ASSIGNMENT_KINDS = (PDF, JPEG, PNG)
FILE_NAMESPACE = "enrolment/trainer-assignment"


def quiz_public(quiz: TrainerQuizResult) -> QuizResultPublic:
    return QuizResultPublic(
        session_number=quiz.session_number,
        score=quiz.score,
        pass_mark=quiz.pass_mark,
        passed=rules.passed(quiz),
        taken_on=quiz.taken_on,
        recorded_by=quiz.recorded_by,
        updated_at=quiz.updated_at,
    )


class EvidenceService:
    async def get(
        self, session: AsyncSession, trainer_id: UUID, module_code: str, *, principal: Principal
    ) -> EvidencePublic:
        trainer, module = await self._path(session, trainer_id, module_code, principal=principal)
        found = await rules.evidence(session, trainer.id, module)
        return EvidencePublic(
            trainer_id=trainer.id,
            module_code=module.code,
            sessions=rules.path_sessions(module),
            quizzes=[quiz_public(quiz) for quiz in found.quizzes],
            assignments=[AssignmentPublic.model_validate(a) for a in found.assignments],
            sessions_without_passed_quiz=found.sessions_without_passed_quiz,
            assignment_missing=found.assignment_missing,
            complete=found.complete,
        )

    async def record_quiz(
        self,
        session: AsyncSession,
        trainer_id: UUID,
        module_code: str,
        session_number: int,
        data: QuizResultPut,
        *,
        principal: Principal,
    ) -> QuizResultPublic:
        """The session's result; sending it again (a retry, a retake) replaces it."""
        trainer, module = await self._path(session, trainer_id, module_code, principal=principal)
        require_trainer_manager(principal, "record a trainer's quiz results")
        sessions = rules.path_sessions(module)
        errors = []
        if not 1 <= session_number <= sessions:
            errors.append(
                field_error(
                    "path.session_number",
                    "session_on_path",
                    f"must be 1..{sessions}, the sessions on the path of '{module.code}'",
                    session_number,
                )
            )
        if data.taken_on > utcnow().date():
            errors.append(
                field_error(
                    "body.taken_on",
                    "not_in_future",
                    "a quiz is recorded once taken",
                    str(data.taken_on),
                )
            )
        if errors:
            fields = ", ".join(e["field"] for e in errors)
            raise InvalidInput(f"The quiz result is not valid: {fields}", errors=errors)
        quiz = await evidence_repository.quiz(session, trainer.id, module.id, session_number)
        before = quiz_public(quiz) if quiz is not None else None
        if quiz is None:
            quiz = TrainerQuizResult(
                trainer_id=trainer.id,
                module_id=module.id,
                session_number=session_number,
                recorded_by=principal.subject,
                **data.model_dump(),
            )
            try:
                # A concurrent PUT may record the session first; then this one replaces it.
                async with session.begin_nested():
                    session.add(quiz)
            except IntegrityError:
                found = await evidence_repository.quiz(
                    session, trainer.id, module.id, session_number
                )
                if found is None:
                    raise
                quiz, before = found, quiz_public(found)
        for field, value in data.model_dump().items():
            setattr(quiz, field, value)
        quiz.recorded_by = principal.subject
        quiz.updated_at = utcnow()
        session.add(quiz)
        await session.flush()
        after = quiz_public(quiz)
        if before is not None and before.model_dump(exclude={"updated_at", "recorded_by"}) == (
            after.model_dump(exclude={"updated_at", "recorded_by"})
        ):
            return after  # a retry: nothing changed, nothing to announce
        await changes.emit(
            session,
            TrainerQuizRecorded(
                trainer_id=trainer.id,
                organisation_id=trainer.organisation_id,
                module_code=module.code,
                session_number=session_number,
                score=quiz.score,
                pass_mark=quiz.pass_mark,
                passed=after.passed,
                taken_on=quiz.taken_on,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="trainer.quiz_recorded",
            entity_type="trainer",
            entity_id=trainer.id,
            before=before,
            after=after,
        )
        return after

    async def add_assignment(
        self,
        session: AsyncSession,
        trainer_id: UUID,
        module_code: str,
        *,
        upload: UploadFile,
        note: str | None,
        store: FileStore,
        storage: StorageSettings,
        principal: Principal,
    ) -> AssignmentPublic:
        trainer, module = await self._path(session, trainer_id, module_code, principal=principal)
        require_trainer_manager(principal, "submit a trainer's assignment")
        checked = await check_upload(
            upload, field="body.file", allowed=ASSIGNMENT_KINDS, settings=storage
        )
        key = new_key(FILE_NAMESPACE)
        async with kept(store, key, checked):
            row = TrainerAssignment(
                trainer_id=trainer.id,
                module_id=module.id,
                note=note,
                storage_key=key,
                content_type=checked.kind.content_type,
                size_bytes=checked.size,
                sha256=checked.sha256,
                file_name=checked.file_name,
                uploaded_by=principal.subject,
            )
            session.add(row)
            await session.flush()
            public = AssignmentPublic.model_validate(row)
            await changes.emit(
                session,
                TrainerAssignmentSubmitted(
                    trainer_id=trainer.id,
                    organisation_id=trainer.organisation_id,
                    module_code=module.code,
                    assignment_id=row.id,
                    sha256=row.sha256,
                ),
                principal=principal,
            )
            await changes.audit(
                session,
                principal=principal,
                action="trainer.assignment_submitted",
                entity_type="trainer",
                entity_id=trainer.id,
                after=public,
            )
        return public

    async def assignment(
        self, session: AsyncSession, trainer_id: UUID, assignment_id: UUID, *, principal: Principal
    ) -> TrainerAssignment:
        trainer = await trainer_service.get_or_404(session, trainer_id, principal=principal)
        found = await evidence_repository.assignment(session, trainer.id, assignment_id)
        if found is None:
            raise NotFound(f"Assignment {assignment_id} of trainer {trainer_id} not found")
        return found

    async def _path(
        self, session: AsyncSession, trainer_id: UUID, module_code: str, *, principal: Principal
    ) -> tuple[Trainer, TrainingModule]:
        # The trainer first: another partner's trainer is not found, whatever the module.
        trainer = await trainer_service.get_or_404(session, trainer_id, principal=principal)
        return trainer, await module_service.get_or_404(session, module_code)


evidence_service = EvidenceService()


async def sweep_orphan_assignments(
    database: Database, store: FileStore, *, older_than: timedelta
) -> int:
    """Delete stored assignments no row names (left by a crash between a file and its commit)."""

    async def referenced(keys: list[str]) -> set[str]:
        async with database.transaction() as session:
            return await evidence_repository.stored_keys(session, keys)

    return await sweep(store, FILE_NAMESPACE, older_than=older_than, referenced=referenced)
