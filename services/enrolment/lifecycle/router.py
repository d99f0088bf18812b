"""REST endpoints for enrolments (lifecycle) and consent."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response, status

from services.enrolment.lifecycle.consent import consent_service
from services.enrolment.lifecycle.schemas import (
    ConsentEventPublic,
    ConsentGive,
    ConsentPublic,
    ConsentWithdraw,
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


@router.get(
    "/enterprises/{enterprise_id}/consents",
    tags=["consent"],
    summary="Current consent to share status, per buyer",
)
async def list_consents(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal, page: PageParams
) -> Page[ConsentPublic]:
    return await consent_service.get_all(session, enterprise_id, principal=principal, page=page)


@router.post(
    "/enterprises/{enterprise_id}/consents",
    status_code=status.HTTP_201_CREATED,
    tags=["consent"],
    summary="Give consent to share status with a named lead buyer (idempotent)",
    responses={status.HTTP_200_OK: {"description": "A consent record for the buyer existed"}},
)
async def give_consent(
    enterprise_id: UUID,
    body: ConsentGive,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
) -> ConsentPublic:
    consent, created = await consent_service.give(session, enterprise_id, body, principal=principal)
    if not created:
        response.status_code = status.HTTP_200_OK
    return consent


@router.get(
    "/enterprises/{enterprise_id}/consents/{buyer_id}",
    tags=["consent"],
    summary="Current consent for one buyer",
)
async def get_consent(
    enterprise_id: UUID, buyer_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ConsentPublic:
    return await consent_service.get(session, enterprise_id, buyer_id, principal=principal)


@router.post(
    "/enterprises/{enterprise_id}/consents/{buyer_id}/withdraw",
    tags=["consent"],
    summary="Withdraw consent; the buyer stops seeing the enterprise at once",
)
async def withdraw_consent(
    enterprise_id: UUID,
    buyer_id: UUID,
    body: ConsentWithdraw,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ConsentPublic:
    return await consent_service.withdraw(
        session, enterprise_id, buyer_id, body, principal=principal
    )


@router.get(
    "/enterprises/{enterprise_id}/consents/{buyer_id}/history",
    tags=["consent"],
    summary="Every give and withdrawal: who, when and why, oldest first",
)
async def consent_history(
    enterprise_id: UUID,
    buyer_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
) -> Page[ConsentEventPublic]:
    return await consent_service.get_history(
        session, enterprise_id, buyer_id, principal=principal, page=page
    )
