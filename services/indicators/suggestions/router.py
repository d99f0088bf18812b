"""REST endpoints of the suggestion scheme register: thin, one service call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from services.indicators.suggestions.schemas import (
    SuggestionCreate,
    SuggestionPublic,
    SuggestionScheme,
    SuggestionStatus,
    SuggestionUpdate,
)
from services.indicators.suggestions.service import suggestion_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["suggestions"])


@router.post(
    "/enterprises/{enterprise_id}/suggestions",
    status_code=status.HTTP_201_CREATED,
    summary="Register a suggestion: who made it (role, sex), and its decision when known",
)
async def create_suggestion(
    enterprise_id: UUID, body: SuggestionCreate, session: SessionDep, principal: CurrentPrincipal
) -> SuggestionPublic:
    return await suggestion_service.create(session, enterprise_id, body, principal=principal)


@router.get("/enterprises/{enterprise_id}/suggestions", summary="The suggestion register")
async def list_suggestions(
    enterprise_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    status: Annotated[SuggestionStatus | None, Query()] = None,
) -> Page[SuggestionPublic]:
    return await suggestion_service.get_for_enterprise(
        session, enterprise_id, principal=principal, page=page, status=status
    )


@router.get(
    "/enterprises/{enterprise_id}/suggestion-scheme",
    summary="The register summed up: adopted, rewarded, savings; whether the scheme is in place",
)
async def get_scheme(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> SuggestionScheme:
    return await suggestion_service.scheme(session, enterprise_id, principal=principal)


@router.get("/suggestions/{suggestion_id}", summary="One suggestion")
async def get_suggestion(
    suggestion_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> SuggestionPublic:
    return await suggestion_service.get(session, suggestion_id, principal=principal)


@router.patch(
    "/suggestions/{suggestion_id}",
    summary="Decide a suggestion (adopted or rejected), record its reward and savings",
)
async def update_suggestion(
    suggestion_id: UUID, body: SuggestionUpdate, session: SessionDep, principal: CurrentPrincipal
) -> SuggestionPublic:
    return await suggestion_service.update(session, suggestion_id, body, principal=principal)
