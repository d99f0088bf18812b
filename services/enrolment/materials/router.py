"""REST endpoints of the training materials library: thin, one service call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Path, Query, UploadFile, status
from fastapi.responses import StreamingResponse

from services.enrolment.materials.schemas import (
    LanguageCode,
    MaterialCreate,
    MaterialPublic,
    MaterialVersionPublic,
)
from services.enrolment.materials.service import material_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.request_guard import INT32_MAX
from shared.storage import FileStoreDep, StorageDep
from shared.uploads import Caption, download

router = APIRouter(tags=["training materials"])


@router.get(
    "/modules/{code}/materials",
    summary="A module's training materials, each with every version (newest first)",
)
async def list_materials(
    code: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    language: Annotated[LanguageCode | None, Query()] = None,
) -> list[MaterialPublic]:
    return await material_service.get_for_module(session, code, language=language)


@router.post(
    "/modules/{code}/materials",
    status_code=status.HTTP_201_CREATED,
    summary="Publish a material for a module in one language (ILO); then upload its versions",
)
async def create_material(
    code: str, body: MaterialCreate, session: SessionDep, principal: CurrentPrincipal
) -> MaterialPublic:
    return await material_service.create(session, code, body, principal=principal)


@router.get("/materials/{material_id}", summary="One training material with its versions")
async def get_material(
    material_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> MaterialPublic:
    return await material_service.get(session, material_id)


@router.post(
    "/materials/{material_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a new version (PDF, JPEG or PNG; ILO); earlier versions stay downloadable",
    responses={
        413: {"description": "The file is larger than the upload limit"},
        415: {"description": "The bytes are not a PDF, JPEG or PNG"},
    },
)
async def add_material_version(
    material_id: UUID,
    file: Annotated[UploadFile, File(description="The material; its name is only a label")],
    session: SessionDep,
    principal: CurrentPrincipal,
    store: FileStoreDep,
    storage: StorageDep,
    note: Annotated[Caption | None, Form(description="What changed")] = None,
) -> MaterialVersionPublic:
    return await material_service.add_version(
        session,
        material_id,
        upload=file,
        note=note,
        store=store,
        storage=storage,
        principal=principal,
    )


@router.get(
    "/materials/{material_id}/versions/{version}/file",
    summary="Download one version of a material, streamed",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
async def download_material(
    material_id: UUID,
    version: Annotated[int, Path(ge=1, le=INT32_MAX)],
    session: SessionDep,
    principal: CurrentPrincipal,
    store: FileStoreDep,
) -> StreamingResponse:
    found = await material_service.version(session, material_id, version)
    return await download(
        store,
        key=found.storage_key,
        content_type=found.content_type,
        file_name=found.file_name,
        sha256=found.sha256,
    )
