"""Training material queries: programme information, the same for every caller."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.materials.models import TrainingMaterial, TrainingMaterialVersion


class MaterialRepository:
    async def get(
        self, session: AsyncSession, material_id: UUID, *, lock: bool = False
    ) -> tuple[TrainingMaterial, str] | None:
        statement = (
            select(TrainingMaterial, TrainingModule.code)
            .join(TrainingModule, col(TrainingModule.id) == col(TrainingMaterial.module_id))
            .where(TrainingMaterial.id == material_id)
        )
        if lock:
            statement = statement.with_for_update(of=TrainingMaterial)
        row = (await session.exec(statement)).first()
        return None if row is None else (row[0], row[1])

    async def of_module(
        self, session: AsyncSession, module_id: UUID, *, language: str | None = None
    ) -> list[TrainingMaterial]:
        statement = select(TrainingMaterial).where(TrainingMaterial.module_id == module_id)
        if language is not None:
            statement = statement.where(TrainingMaterial.language == language)
        statement = statement.order_by(col(TrainingMaterial.language), col(TrainingMaterial.id))
        return list((await session.exec(statement)).all())

    async def named(
        self, session: AsyncSession, module_id: UUID, language: str, title: str
    ) -> TrainingMaterial | None:
        statement = select(TrainingMaterial).where(
            TrainingMaterial.module_id == module_id,
            TrainingMaterial.language == language,
            TrainingMaterial.title == title,
        )
        return (await session.exec(statement)).first()

    async def versions(
        self, session: AsyncSession, material_ids: Sequence[UUID]
    ) -> dict[UUID, list[TrainingMaterialVersion]]:
        found: dict[UUID, list[TrainingMaterialVersion]] = {key: [] for key in material_ids}
        if not material_ids:
            return found
        statement = (
            select(TrainingMaterialVersion)
            .where(col(TrainingMaterialVersion.material_id).in_(set(material_ids)))
            .order_by(col(TrainingMaterialVersion.version).desc())
        )
        for row in (await session.exec(statement)).all():
            found[row.material_id].append(row)
        return found

    async def latest_version(self, session: AsyncSession, material_id: UUID) -> int:
        statement = select(func.coalesce(func.max(TrainingMaterialVersion.version), 0)).where(
            TrainingMaterialVersion.material_id == material_id
        )
        return int((await session.exec(statement)).one())

    async def version(
        self, session: AsyncSession, material_id: UUID, version: int
    ) -> TrainingMaterialVersion | None:
        statement = select(TrainingMaterialVersion).where(
            TrainingMaterialVersion.material_id == material_id,
            TrainingMaterialVersion.version == version,
        )
        return (await session.exec(statement)).first()

    async def stored_keys(self, session: AsyncSession, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` a version row names (for the sweep of orphaned files)."""
        statement = select(TrainingMaterialVersion.storage_key).where(
            col(TrainingMaterialVersion.storage_key).in_(set(keys))
        )
        return set((await session.exec(statement)).all())


material_repository = MaterialRepository()
