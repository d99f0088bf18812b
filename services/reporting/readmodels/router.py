"""Read-model endpoints: how fresh the read models are, and one enterprise as reporting sees it."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from services.reporting.readmodels.schemas import EnterpriseReadModel, ReadModelStatus
from services.reporting.readmodels.service import read_model_service
from shared.db import SessionDep
from shared.feeds import feed_token
from shared.identity import CurrentPrincipal

router = APIRouter(prefix="/readmodels", tags=["read models"])


@router.get(
    "/status",
    summary="Each feed consumer's position, the feed's head, lag and last applied time",
    description=(
        "Asks each producing service's feed live how many events are waiting after the "
        "consumer's cursor. For the ILO, services and programme managers."
    ),
)
async def read_model_status(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> ReadModelStatus:
    state: Any = request.app.state
    return await read_model_service.status(
        session,
        principal=principal,
        feeds=state.feeds,
        token=lambda producer: feed_token(state.settings, producer=producer),
        clients=state.feed_clients,
        running=frozenset(state.consumers),
    )


@router.get(
    "/enterprises/{enterprise_id}",
    summary="One enterprise as the read models hold it (ILO and services)",
)
async def read_model_enterprise(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnterpriseReadModel:
    return await read_model_service.enterprise(session, enterprise_id, principal=principal)
