"""REST endpoints of measurement rounds: thin, one service call each."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, status

from services.indicators.rounds.schemas import RoundCreate, RoundPublic
from services.indicators.rounds.service import round_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams
from shared.problems import PROBLEM_JSON

router = APIRouter(tags=["values"])

_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.post(
    "/rounds",
    status_code=status.HTTP_201_CREATED,
    tags=["rounds"],
    summary="Plan a measurement round (baseline, endline or follow-up) of a project",
    responses={status.HTTP_409_CONFLICT: {**_PROBLEM, "description": "Round already exists"}},
)
async def create_round(
    body: RoundCreate, session: SessionDep, principal: CurrentPrincipal
) -> RoundPublic:
    return await round_service.create(session, body, principal=principal)


@router.get("/rounds", tags=["rounds"], summary="Measurement rounds, optionally of one project")
async def list_rounds(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    project_id: UUID | None = None,
) -> Page[RoundPublic]:
    return await round_service.get_all(
        session, principal=principal, page=page, project_id=project_id
    )


@router.get("/rounds/{round_id}", tags=["rounds"], summary="One measurement round")
async def get_round(
    round_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> RoundPublic:
    return await round_service.get(session, round_id, principal=principal)
