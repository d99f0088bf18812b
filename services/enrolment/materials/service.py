"""The training materials library: the ILO publishes a material per module and language
and uploads its versions (a new upload is a new version; every older one stays
downloadable). Programme information, not tenant data: every caller may read it."""

from datetime import timedelta
from uuid import UUID

from fastapi import UploadFile
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.service import module_service
from services.enrolment.db import changes
from services.enrolment.materials.models import TrainingMaterial, TrainingMaterialVersion
from services.enrolment.materials.repository import material_repository
from services.enrolment.materials.schemas import (
    MaterialCreate,
    MaterialPublic,
    MaterialVersionPublic,
)
from shared.db import Database
from shared.enums import Role
from shared.events import TrainingMaterialPublished
from shared.identity import Principal
from shared.problems import Conflict, Forbidden, NotFound
from shared.storage import FileStore, StorageSettings, new_key, sweep
from shared.uploads import JPEG, PDF, PNG, check_upload, kept

# What a material may be: the sniffed type of its bytes, whatever its name says. Office
# files are zip archives a sniffer cannot tell apart; publish them as PDF.
MATERIAL_KINDS = (PDF, JPEG, PNG)
FILE_NAMESPACE = "enrolment/training-material"


def _require_ilo(principal: Principal) -> None:
    if principal.role is not Role.ilo_global:
        raise Forbidden("Only the ILO global team publishes training materials")


def _public(
    material: TrainingMaterial, module_code: str, versions: list[TrainingMaterialVersion]
) -> MaterialPublic:
    return MaterialPublic(
        id=material.id,
        module_code=module_code,
        language=material.language,
        title=material.title,
        created_at=material.created_at,
        versions=[MaterialVersionPublic.model_validate(v) for v in versions],
    )


class MaterialService:
    async def get_for_module(
        self, session: AsyncSession, module_code: str, *, language: str | None = None
    ) -> list[MaterialPublic]:
        module = await module_service.get_or_404(session, module_code)
        rows = await material_repository.of_module(session, module.id, language=language)
        versions = await material_repository.versions(session, [row.id for row in rows])
        return [_public(row, module.code, versions[row.id]) for row in rows]

    async def get(self, session: AsyncSession, material_id: UUID) -> MaterialPublic:
        material, module_code = await self._get_or_404(session, material_id)
        versions = await material_repository.versions(session, [material.id])
        return _public(material, module_code, versions[material.id])

    async def create(
        self,
        session: AsyncSession,
        module_code: str,
        data: MaterialCreate,
        *,
        principal: Principal,
    ) -> MaterialPublic:
        _require_ilo(principal)
        module = await module_service.get_or_404(session, module_code)
        taken = Conflict(
            f"Module '{module.code}' already has '{data.title}' in {data.language}: "
            "upload a new version of it instead"
        )
        if await material_repository.named(session, module.id, data.language, data.title):
            raise taken
        material = TrainingMaterial(module_id=module.id, **data.model_dump())
        try:
            # A concurrent request may have published the same title since the check above.
            async with session.begin_nested():
                session.add(material)
        except IntegrityError as exc:
            raise taken from exc
        public = _public(material, module.code, [])
        await changes.audit(
            session,
            principal=principal,
            action="training_material.created",
            entity_type="training_material",
            entity_id=material.id,
            after=public,
        )
        return public

    async def add_version(
        self,
        session: AsyncSession,
        material_id: UUID,
        *,
        upload: UploadFile,
        note: str | None,
        store: FileStore,
        storage: StorageSettings,
        principal: Principal,
    ) -> MaterialVersionPublic:
        """The next version; the material is locked so two uploads never share a number."""
        _require_ilo(principal)
        material, module_code = await self._get_or_404(session, material_id, lock=True)
        checked = await check_upload(
            upload, field="body.file", allowed=MATERIAL_KINDS, settings=storage
        )
        key = new_key(FILE_NAMESPACE)
        async with kept(store, key, checked):
            row = TrainingMaterialVersion(
                material_id=material.id,
                version=await material_repository.latest_version(session, material.id) + 1,
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
            public = MaterialVersionPublic.model_validate(row)
            await changes.emit(
                session,
                TrainingMaterialPublished(
                    material_id=material.id,
                    module_code=module_code,
                    language=material.language,
                    material_version=row.version,
                    sha256=row.sha256,
                ),
                principal=principal,
            )
            await changes.audit(
                session,
                principal=principal,
                action="training_material.version_added",
                entity_type="training_material",
                entity_id=material.id,
                after=public,
            )
        return public

    async def version(
        self, session: AsyncSession, material_id: UUID, version: int
    ) -> TrainingMaterialVersion:
        found = await material_repository.version(session, material_id, version)
        if found is None:
            raise NotFound(f"Version {version} of training material {material_id} not found")
        return found

    async def _get_or_404(
        self, session: AsyncSession, material_id: UUID, *, lock: bool = False
    ) -> tuple[TrainingMaterial, str]:
        found = await material_repository.get(session, material_id, lock=lock)
        if found is None:
            raise NotFound(f"Training material {material_id} not found")
        return found


material_service = MaterialService()


async def sweep_orphan_materials(
    database: Database, store: FileStore, *, older_than: timedelta
) -> int:
    """Delete stored versions no row names (left by a crash between a file and its commit)."""

    async def referenced(keys: list[str]) -> set[str]:
        async with database.transaction() as session:
            return await material_repository.stored_keys(session, keys)

    return await sweep(store, FILE_NAMESPACE, older_than=older_than, referenced=referenced)
