"""REST endpoints of business cases: thin, one service call each. Photos go as multipart
uploads and come back streamed from the file store."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import StreamingResponse

from services.indicators.business_cases.schemas import (
    BusinessCaseCreate,
    BusinessCasePublic,
    BusinessCaseUpdate,
    PhotoPublic,
    PhotoStage,
)
from services.indicators.business_cases.service import business_case_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams
from shared.storage import FileStoreDep, StorageDep
from shared.uploads import Caption, download

router = APIRouter(tags=["business cases"])


@router.post(
    "/enterprises/{enterprise_id}/business-cases",
    status_code=status.HTTP_201_CREATED,
    summary="Record a business case: an improvement project's problem, action, result, savings",
)
async def create_business_case(
    enterprise_id: UUID,
    body: BusinessCaseCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> BusinessCasePublic:
    return await business_case_service.create(session, enterprise_id, body, principal=principal)


@router.get(
    "/enterprises/{enterprise_id}/business-cases",
    summary="An enterprise's business cases (a consenting supplier's, for its buyer)",
)
async def list_business_cases(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal, page: PageParams
) -> Page[BusinessCasePublic]:
    return await business_case_service.get_for_enterprise(
        session, enterprise_id, principal=principal, page=page
    )


@router.get("/business-cases/{case_id}", summary="One business case with its photos")
async def get_business_case(
    case_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> BusinessCasePublic:
    return await business_case_service.get(session, case_id, principal=principal)


@router.patch("/business-cases/{case_id}", summary="Change a business case's story or savings")
async def update_business_case(
    case_id: UUID, body: BusinessCaseUpdate, session: SessionDep, principal: CurrentPrincipal
) -> BusinessCasePublic:
    return await business_case_service.update(session, case_id, body, principal=principal)


@router.post(
    "/business-cases/{case_id}/photos",
    status_code=status.HTTP_201_CREATED,
    summary="Add a before or after photo (JPEG, PNG or WebP; re-encoded without metadata)",
    responses={
        413: {"description": "The photo is larger than the upload limit"},
        415: {"description": "The bytes are not a JPEG, PNG or WebP image"},
    },
)
async def add_business_case_photo(
    case_id: UUID,
    stage: Annotated[PhotoStage, Form(description="before | after")],
    caption: Annotated[Caption, Form()],
    photo: Annotated[UploadFile, File(description="The image; its name is only a label")],
    session: SessionDep,
    principal: CurrentPrincipal,
    store: FileStoreDep,
    storage: StorageDep,
) -> PhotoPublic:
    return await business_case_service.add_photo(
        session,
        case_id,
        stage=stage,
        caption=caption,
        upload=photo,
        store=store,
        storage=storage,
        principal=principal,
    )


@router.get(
    "/business-cases/{case_id}/photos/{photo_id}/file",
    summary="Download a photo, streamed",
    response_class=StreamingResponse,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def download_business_case_photo(
    case_id: UUID,
    photo_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    store: FileStoreDep,
) -> StreamingResponse:
    photo = await business_case_service.photo(session, case_id, photo_id, principal=principal)
    return await download(
        store,
        key=photo.storage_key,
        content_type=photo.content_type,
        file_name=photo.file_name,
        sha256=photo.sha256,
    )
