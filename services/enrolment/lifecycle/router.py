"""REST endpoints of enrolments and their stage transitions."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response, status

from services.enrolment.lifecycle.schemas import (
    EnrolmentCreate,
    EnrolmentPublic,
    StageTransitionPublic,
    TransitionCreate,
)
from services.enrolment.lifecycle.service import lifecycle_service
from shared.db import SessionDep
from shared.enums import LifecycleStage
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams
from shared.problems import PROBLEM_JSON

router = APIRouter(tags=["lifecycle"])

_REFUSED: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {
        "description": "The transition is not allowed; the problem names `current_stage` and "
        "`allowed_next_stages`",
        "content": {PROBLEM_JSON: {}},
    }
}


@router.get("/enrolments", summary="Enrolments you may see")
async def list_enrolments(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    project_id: UUID | None = None,
    enterprise_id: UUID | None = None,
    stage: LifecycleStage | None = None,
) -> Page[EnrolmentPublic]:
    return await lifecycle_service.get_all(
        session,
        principal=principal,
        page=page,
        project_id=project_id,
        enterprise_id=enterprise_id,
        stage=stage,
    )


@router.post(
    "/enrolments",
    status_code=status.HTTP_201_CREATED,
    summary="Register an enterprise's expression of interest in a project (without a call)",
    responses={status.HTTP_200_OK: {"description": "Already enrolled: the existing enrolment"}},
)
async def create_enrolment(
    body: EnrolmentCreate, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> EnrolmentPublic:
    enrolment, created = await lifecycle_service.create(session, body, principal=principal)
    if not created:
        response.status_code = status.HTTP_200_OK
    return enrolment


@router.get("/enrolments/{enrolment_id}", summary="One enrolment: stage and allowed next stages")
async def get_enrolment(
    enrolment_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnrolmentPublic:
    return await lifecycle_service.get(session, enrolment_id, principal=principal)


@router.get(
    "/enrolments/{enrolment_id}/transitions",
    summary="Stage history: from, to, who, when and why, oldest first",
)
async def list_transitions(
    enrolment_id: UUID, session: SessionDep, principal: CurrentPrincipal, page: PageParams
) -> Page[StageTransitionPublic]:
    return await lifecycle_service.get_transitions(
        session, enrolment_id, principal=principal, page=page
    )


@router.post(
    "/enrolments/{enrolment_id}/transitions",
    summary="Move the enrolment to another stage (refused with 409 when not allowed)",
    responses=_REFUSED,
)
async def create_transition(
    enrolment_id: UUID, body: TransitionCreate, session: SessionDep, principal: CurrentPrincipal
) -> EnrolmentPublic:
    return await lifecycle_service.change_stage(session, enrolment_id, body, principal=principal)
