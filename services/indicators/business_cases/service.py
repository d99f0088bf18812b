"""Business cases: the story of an improvement project (problem, action, result, savings)
with before and after photos kept in the file store. Whoever may see the enterprise reads
them, and so does a buyer the enterprise consents to share with; those who record the
enterprise's data write them."""

from datetime import timedelta
from typing import Any
from uuid import UUID

from fastapi import UploadFile
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.business_cases.models import BusinessCase, BusinessCasePhoto
from services.indicators.business_cases.repository import business_case_repository
from services.indicators.business_cases.schemas import (
    BusinessCaseCreate,
    BusinessCasePublic,
    BusinessCaseState,
    BusinessCaseUpdate,
    PhotoPublic,
    PhotoStage,
)
from services.indicators.db import changes
from services.indicators.improvement_projects.service import require_own_project
from services.indicators.replica.service import enterprise_or_404, require_recorder
from shared.columns import utcnow
from shared.db import Database
from shared.enums import Role
from shared.events import BusinessCaseChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import NotFound, invalid_from_pydantic
from shared.storage import FileStore, StorageSettings, new_key, sweep
from shared.uploads import IMAGES, check_upload, kept

_STATE_FIELDS = set(BusinessCaseState.model_fields)
PHOTO_NAMESPACE = "indicators/business-case-photo"


def case_public(case: BusinessCase, photos: list[BusinessCasePhoto]) -> BusinessCasePublic:
    return BusinessCasePublic.model_validate(
        {
            **case.model_dump(),
            "photos": [PhotoPublic.model_validate(photo) for photo in photos],
        }
    )


def shown_to(public: BusinessCasePublic, principal: Principal) -> BusinessCasePublic:
    """What the caller is shown: a buyer gets the story and photos, not the id of the
    supplier's improvement project (a record it may not read)."""
    if principal.role is Role.lead_buyer:
        return public.model_copy(update={"improvement_project_id": None})
    return public


class BusinessCaseService:
    async def get(
        self, session: AsyncSession, case_id: UUID, *, principal: Principal
    ) -> BusinessCasePublic:
        case = await self._get_or_404(session, case_id, principal=principal)
        photos = await business_case_repository.photos(session, [case.id])
        return shown_to(case_public(case, photos[case.id]), principal)

    async def get_for_enterprise(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
    ) -> Page[BusinessCasePublic]:
        if not await business_case_repository.enterprise_shared(
            session, enterprise_id, principal=principal
        ):
            raise NotFound(f"Enterprise {enterprise_id} not found")
        rows = await business_case_repository.for_enterprise(session, enterprise_id, page=page)
        photos = await business_case_repository.photos(session, [row.id for row in rows])
        items = [shown_to(case_public(row, photos[row.id]), principal) for row in rows]
        return make_page(items, page.limit, lambda item: item.id)

    async def create(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        data: BusinessCaseCreate,
        *,
        principal: Principal,
    ) -> BusinessCasePublic:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        require_recorder(principal, "record business cases")
        await require_own_project(session, enterprise_id, data.improvement_project_id)
        case = BusinessCase(enterprise_id=enterprise_id, **data.model_dump())
        session.add(case)
        await session.flush()
        public = case_public(case, [])
        await self._record(session, public, principal=principal, action="business_case.created")
        return public

    async def update(
        self,
        session: AsyncSession,
        case_id: UUID,
        data: BusinessCaseUpdate,
        *,
        principal: Principal,
    ) -> BusinessCasePublic:
        case = await self._writable(session, case_id, principal=principal, action="change")
        before = await self.get(session, case_id, principal=principal)
        merged: dict[str, Any] = before.model_dump(include=_STATE_FIELDS) | data.model_dump(
            exclude_unset=True
        )
        try:
            state = BusinessCaseState.model_validate(merged)
        except ValidationError as exc:
            raise invalid_from_pydantic(exc) from exc
        if state.model_dump() == before.model_dump(include=_STATE_FIELDS):
            return before
        for field, value in state.model_dump().items():
            setattr(case, field, value)
        case.updated_at = utcnow()
        session.add(case)
        await session.flush()
        after = before.model_copy(update={**state.model_dump(), "updated_at": case.updated_at})
        await self._record(
            session, after, principal=principal, action="business_case.updated", before=before
        )
        return after

    async def add_photo(
        self,
        session: AsyncSession,
        case_id: UUID,
        *,
        stage: PhotoStage,
        caption: str,
        upload: UploadFile,
        store: FileStore,
        storage: StorageSettings,
        principal: Principal,
    ) -> PhotoPublic:
        """Tenancy and rights first: nothing of a file is read for a case the caller may
        not write. The file is stored before the row; a failed write removes it again."""
        await self._writable(session, case_id, principal=principal, action="add photos to")
        before = await self.get(session, case_id, principal=principal)
        checked = await check_upload(upload, field="body.photo", allowed=IMAGES, settings=storage)
        key = new_key(PHOTO_NAMESPACE)
        async with kept(store, key, checked):
            photo = BusinessCasePhoto(
                business_case_id=case_id,
                stage=stage.value,
                caption=caption,
                storage_key=key,
                content_type=checked.kind.content_type,
                size_bytes=checked.size,
                sha256=checked.sha256,
                file_name=checked.file_name,
            )
            session.add(photo)
            await session.flush()
            after = await self.get(session, case_id, principal=principal)
            await self._record(
                session,
                after,
                principal=principal,
                action="business_case.photo_added",
                before=before,
            )
        return PhotoPublic.model_validate(photo)

    async def photo(
        self, session: AsyncSession, case_id: UUID, photo_id: UUID, *, principal: Principal
    ) -> BusinessCasePhoto:
        """A photo to download, once the caller may see its case (else 404, as unknown)."""
        found = await business_case_repository.photo(
            session, case_id, photo_id, principal=principal
        )
        if found is None:
            raise NotFound(f"Photo {photo_id} of business case {case_id} not found")
        return found

    async def _get_or_404(
        self, session: AsyncSession, case_id: UUID, *, principal: Principal, lock: bool = False
    ) -> BusinessCase:
        found = await business_case_repository.get(session, case_id, principal=principal, lock=lock)
        if found is None:
            raise NotFound(f"Business case {case_id} not found")
        return found

    async def _writable(
        self, session: AsyncSession, case_id: UUID, *, principal: Principal, action: str
    ) -> BusinessCase:
        case = await self._get_or_404(session, case_id, principal=principal, lock=True)
        # A buyer sees a consenting supplier's cases (so 403, not 404) but never writes.
        require_recorder(principal, f"{action} business cases")
        return case

    async def _record(
        self,
        session: AsyncSession,
        public: BusinessCasePublic,
        *,
        principal: Principal,
        action: str,
        before: BusinessCasePublic | None = None,
    ) -> None:
        stages = [photo.stage for photo in public.photos]
        # Writers are never buyers, so the project is always shown to them.
        assert public.improvement_project_id is not None
        await changes.emit(
            session,
            BusinessCaseChanged(
                business_case_id=public.id,
                enterprise_id=public.enterprise_id,
                improvement_project_id=public.improvement_project_id,
                savings=public.savings,
                currency=public.currency,
                before_photos=stages.count(PhotoStage.before),
                after_photos=stages.count(PhotoStage.after),
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action=action,
            entity_type="business_case",
            entity_id=public.id,
            before=before,
            after=public,
        )


business_case_service = BusinessCaseService()


async def sweep_orphan_photos(
    database: Database, store: FileStore, *, older_than: timedelta
) -> int:
    """Delete stored photos no row names (left by a crash between a file and its commit)."""

    async def referenced(keys: list[str]) -> set[str]:
        async with database.transaction() as session:
            return await business_case_repository.stored_keys(session, keys)

    return await sweep(store, PHOTO_NAMESPACE, older_than=older_than, referenced=referenced)
