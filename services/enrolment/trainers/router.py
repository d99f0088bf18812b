"""REST endpoints of trainers and their certifications: thin, one service call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from services.enrolment.trainers.schemas import (
    CertificationPublic,
    CertificationPut,
    TrainerCreate,
    TrainerPublic,
    TrainerUpdate,
)
from services.enrolment.trainers.service import trainer_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["training"])


@router.post("/trainers", status_code=status.HTTP_201_CREATED, summary="Register a trainer")
async def create_trainer(
    body: TrainerCreate, session: SessionDep, principal: CurrentPrincipal
) -> TrainerPublic:
    return await trainer_service.create(session, body, principal=principal)


@router.get("/trainers", summary="Trainers you may see, with their certifications")
async def list_trainers(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    organisation_id: UUID | None = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
) -> Page[TrainerPublic]:
    return await trainer_service.get_all(
        session, principal=principal, page=page, organisation_id=organisation_id, country=country
    )


@router.get("/trainers/{trainer_id}", summary="One trainer")
async def get_trainer(
    trainer_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> TrainerPublic:
    return await trainer_service.get(session, trainer_id, principal=principal)


@router.patch("/trainers/{trainer_id}", summary="Update a trainer's record")
async def update_trainer(
    trainer_id: UUID, body: TrainerUpdate, session: SessionDep, principal: CurrentPrincipal
) -> TrainerPublic:
    return await trainer_service.update(session, trainer_id, body, principal=principal)


@router.get("/trainers/{trainer_id}/certifications", summary="A trainer's standing per module")
async def list_certifications(
    trainer_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[CertificationPublic]:
    return await trainer_service.certifications(session, trainer_id, principal=principal)


@router.put(
    "/trainers/{trainer_id}/certifications/{module_code}",
    summary="Record a trainer's standing in a module",
    description=(
        "candidate needs nothing; certified needs the ToT and ToE dates and the evidence (a "
        "passed quiz per session of the path, an assignment: 409 naming what is missing, "
        "unless the ILO gives override_reason); expert needs the trainer to be certified in "
        "the module first. Omitted fields keep their value."
    ),
)
async def certify_trainer(
    trainer_id: UUID,
    module_code: str,
    body: CertificationPut,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CertificationPublic:
    return await trainer_service.certify(
        session, trainer_id, module_code, body, principal=principal
    )
