"""REST endpoints for assessments: thin, one service call each."""

from uuid import UUID

from fastapi import APIRouter, status

from services.enrolment.assessments.schemas import AssessmentCreate, AssessmentPublic, NextModule
from services.enrolment.assessments.service import assessment_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["assessments"])


@router.post(
    "/enrolments/{enrolment_id}/assessments",
    status_code=status.HTTP_201_CREATED,
    summary="Record an initial, baseline or comprehensive baseline assessment; it moves the stage",
)
async def create_assessment(
    enrolment_id: UUID, body: AssessmentCreate, session: SessionDep, principal: CurrentPrincipal
) -> AssessmentPublic:
    return await assessment_service.create(session, enrolment_id, body, principal=principal)


@router.get("/enrolments/{enrolment_id}/assessments", summary="The enrolment's assessments")
async def list_assessments(
    enrolment_id: UUID, session: SessionDep, principal: CurrentPrincipal, page: PageParams
) -> Page[AssessmentPublic]:
    return await assessment_service.get_all(session, enrolment_id, principal=principal, page=page)


@router.get("/assessments/{assessment_id}", summary="One assessment: findings and priorities")
async def get_assessment(
    assessment_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> AssessmentPublic:
    return await assessment_service.get(session, assessment_id, principal=principal)


@router.get(
    "/enrolments/{enrolment_id}/next-module",
    summary="The module cohort planning should offer next, from the latest assessment",
)
async def next_module(
    enrolment_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> NextModule:
    return await assessment_service.next_module(session, enrolment_id, principal=principal)
