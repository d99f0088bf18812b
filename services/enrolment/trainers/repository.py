"""Trainer queries; every read of a trainer applies the caller's tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.tenancy import trainer_visible
from services.enrolment.trainers.models import Trainer, TrainerCertification
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


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


trainer_repository = TrainerRepository()
