"""Evidence queries; the trainer's visibility is checked by the service before these run."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.trainer_evidence.models import TrainerAssignment, TrainerQuizResult


class EvidenceRepository:
    async def quizzes(
        self, session: AsyncSession, trainer_id: UUID, module_id: UUID
    ) -> list[TrainerQuizResult]:
        statement = (
            select(TrainerQuizResult)
            .where(
                TrainerQuizResult.trainer_id == trainer_id,
                TrainerQuizResult.module_id == module_id,
            )
            .order_by(col(TrainerQuizResult.session_number))
        )
        return list((await session.exec(statement)).all())

    async def quiz(
        self, session: AsyncSession, trainer_id: UUID, module_id: UUID, session_number: int
    ) -> TrainerQuizResult | None:
        statement = (
            select(TrainerQuizResult)
            .where(
                TrainerQuizResult.trainer_id == trainer_id,
                TrainerQuizResult.module_id == module_id,
                TrainerQuizResult.session_number == session_number,
            )
            .with_for_update()
        )
        return (await session.exec(statement)).first()

    async def assignments(
        self, session: AsyncSession, trainer_id: UUID, module_id: UUID
    ) -> list[TrainerAssignment]:
        statement = (
            select(TrainerAssignment)
            .where(
                TrainerAssignment.trainer_id == trainer_id,
                TrainerAssignment.module_id == module_id,
            )
            .order_by(col(TrainerAssignment.created_at), col(TrainerAssignment.id))
        )
        return list((await session.exec(statement)).all())

    async def assignment(
        self, session: AsyncSession, trainer_id: UUID, assignment_id: UUID
    ) -> TrainerAssignment | None:
        statement = select(TrainerAssignment).where(
            TrainerAssignment.id == assignment_id, TrainerAssignment.trainer_id == trainer_id
        )
        return (await session.exec(statement)).first()

    async def stored_keys(self, session: AsyncSession, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` an assignment row names (for the sweep of orphaned files)."""
        statement = select(TrainerAssignment.storage_key).where(
            col(TrainerAssignment.storage_key).in_(set(keys))
        )
        return set((await session.exec(statement)).all())


evidence_repository = EvidenceRepository()
