"""REST endpoints of the module catalogue: thin, one service call each."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.enrolment.catalogue.schemas import ModuleCreate, ModulePublic, ModuleUpdate
from services.enrolment.catalogue.service import module_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(tags=["training"])


@router.get("/modules", summary="The SCORE module catalogue")
async def list_modules(
    session: SessionDep,
    principal: CurrentPrincipal,
    active: Annotated[bool | None, Query(description="Only delivered (true) or retired")] = None,
) -> list[ModulePublic]:
    del principal  # the catalogue is programme information: any authenticated caller
    return await module_service.get_all(session, active=active)


@router.get("/modules/{code}", summary="One module")
async def get_module(code: str, session: SessionDep, principal: CurrentPrincipal) -> ModulePublic:
    del principal
    return await module_service.get(session, code)


@router.post("/modules", status_code=status.HTTP_201_CREATED, summary="Add a module (ILO)")
async def create_module(
    body: ModuleCreate, session: SessionDep, principal: CurrentPrincipal
) -> ModulePublic:
    return await module_service.create(session, body, principal=principal)


@router.patch("/modules/{code}", summary="Change a module, e.g. retire it for a successor (ILO)")
async def update_module(
    code: str, body: ModuleUpdate, session: SessionDep, principal: CurrentPrincipal
) -> ModulePublic:
    return await module_service.update(session, code, body, principal=principal)
