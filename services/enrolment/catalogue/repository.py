"""Module catalogue queries (programme information: no tenancy)."""

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule


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

    async def insert_missing(self, session: AsyncSession, modules: Iterable[dict[str, Any]]) -> int:
        """Insert the modules whose code is not in the catalogue yet; returns how many."""
        inserted = 0
        for module in modules:
            result = await session.execute(
                insert(TrainingModule)
                .values(**module)
                .on_conflict_do_nothing(index_elements=["code"])
                .returning(col(TrainingModule.id))
            )
            inserted += len(result.all())
        return inserted


module_repository = ModuleRepository()
