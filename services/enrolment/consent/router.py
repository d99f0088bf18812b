"""REST endpoints of consent to share with lead buyers: thin, one service call each."""

from uuid import UUID

from fastapi import APIRouter, Response, status

from services.enrolment.consent.schemas import (
    ConsentEventPublic,
    ConsentGive,
    ConsentPublic,
    ConsentWithdraw,
)
from services.enrolment.consent.service import consent_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["lifecycle"])


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
