"""REST endpoints of trainers' certification evidence: thin, one service call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Path, UploadFile, status
from fastapi.responses import StreamingResponse

from services.enrolment.trainer_evidence.schemas import (
    AssignmentPublic,
    EvidencePublic,
    QuizResultPublic,
    QuizResultPut,
)
from services.enrolment.trainer_evidence.service import evidence_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.request_guard import INT32_MAX
from shared.storage import FileStoreDep, StorageDep
from shared.uploads import Caption, download

router = APIRouter(tags=["training"])
PATH = "/trainers/{trainer_id}/certifications/{module_code}"


@router.get(
    f"{PATH}/evidence",
    summary="A trainer's quiz results and assignments in a module, and what certification lacks",
)
async def get_evidence(
    trainer_id: UUID, module_code: str, session: SessionDep, principal: CurrentPrincipal
) -> EvidencePublic:
    return await evidence_service.get(session, trainer_id, module_code, principal=principal)


@router.put(
    f"{PATH}/quizzes/{{session_number}}",
    summary="Record the quiz at the end of a session of the certification path",
    description="Score and pass mark in percent; a retake (or a retry) replaces the result.",
)
async def record_quiz(
    trainer_id: UUID,
    module_code: str,
    session_number: Annotated[int, Path(ge=1, le=INT32_MAX)],
    body: QuizResultPut,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> QuizResultPublic:
    return await evidence_service.record_quiz(
        session, trainer_id, module_code, session_number, body, principal=principal
    )


@router.post(
    f"{PATH}/assignments",
    status_code=status.HTTP_201_CREATED,
    summary="Submit the trainer's workshop assignment (PDF, JPEG or PNG)",
    responses={
        413: {"description": "The file is larger than the upload limit"},
        415: {"description": "The bytes are not a PDF, JPEG or PNG"},
    },
)
async def submit_assignment(
    trainer_id: UUID,
    module_code: str,
    file: Annotated[UploadFile, File(description="The assignment; its name is only a label")],
    session: SessionDep,
    principal: CurrentPrincipal,
    store: FileStoreDep,
    storage: StorageDep,
    note: Annotated[Caption | None, Form(description="What it covers")] = None,
) -> AssignmentPublic:
    return await evidence_service.add_assignment(
        session,
        trainer_id,
        module_code,
        upload=file,
        note=note,
        store=store,
        storage=storage,
        principal=principal,
    )


@router.get(
    "/trainers/{trainer_id}/assignments/{assignment_id}/file",
    summary="Download a trainer's assignment, streamed",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
async def download_assignment(
    trainer_id: UUID,
    assignment_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    store: FileStoreDep,
) -> StreamingResponse:
    found = await evidence_service.assignment(
        session, trainer_id, assignment_id, principal=principal
    )
    return await download(
        store,
        key=found.storage_key,
        content_type=found.content_type,
        file_name=found.file_name,
        sha256=found.sha256,
    )
