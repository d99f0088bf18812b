"""REST endpoints for the module catalogue, trainers, cohorts and delivery: thin, one call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.enrolment.settings import EnrolmentSettings
from services.enrolment.training.catalogue import module_service
from services.enrolment.training.cohorts import cohort_service
from services.enrolment.training.delivery import (
    classroom_service,
    participant_service,
    progress_service,
    visit_service,
)
from services.enrolment.training.schemas import (
    AttendanceMark,
    AttendanceSheet,
    CertificationPublic,
    CertificationPut,
    ClassroomSessionCreate,
    ClassroomSessionPublic,
    CohortCreate,
    CohortPublic,
    ConsultingVisitCreate,
    ConsultingVisitPublic,
    EnterpriseMembership,
    ModuleCreate,
    ModuleProgressPublic,
    ModulePublic,
    ModuleUpdate,
    ParticipantCreate,
    ParticipantPublic,
    ParticipantRoster,
    ProgressUpdate,
    TrainerCreate,
    TrainerMembership,
    TrainerPublic,
    TrainerUpdate,
)
from services.enrolment.training.trainers import trainer_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["training"])


def _recommended_max(request: Request) -> int:
    settings: EnrolmentSettings = request.app.state.settings
    return settings.cohort_recommended_max


RecommendedMax = Annotated[int, Depends(_recommended_max)]


# --- module catalogue ----------------------------------------------------------------


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


# --- trainers ------------------------------------------------------------------------


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
        "candidate needs nothing; certified needs the ToT and ToE dates; expert needs the "
        "trainer to be certified in the module first. Omitted fields keep their value."
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


# --- cohorts -------------------------------------------------------------------------


@router.post(
    "/cohorts",
    status_code=status.HTTP_201_CREATED,
    summary="Create a cohort (outside 4-5 enterprises it is accepted with a warning)",
)
async def create_cohort(
    body: CohortCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    recommended_max: RecommendedMax,
) -> CohortPublic:
    return await cohort_service.create(
        session, body, principal=principal, recommended_max=recommended_max
    )


@router.get("/cohorts", summary="Cohorts you may see")
async def list_cohorts(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    recommended_max: RecommendedMax,
    project_id: UUID | None = None,
    module_code: str | None = None,
    partner_id: UUID | None = None,
) -> Page[CohortPublic]:
    return await cohort_service.get_all(
        session,
        principal=principal,
        page=page,
        recommended_max=recommended_max,
        project_id=project_id,
        module_code=module_code,
        partner_id=partner_id,
    )


@router.get("/cohorts/{cohort_id}", summary="One cohort: enterprises, trainers, participants")
async def get_cohort(
    cohort_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    recommended_max: RecommendedMax,
) -> CohortPublic:
    return await cohort_service.get(
        session, cohort_id, principal=principal, recommended_max=recommended_max
    )


@router.put("/cohorts/{cohort_id}/enterprises", summary="Set the cohort's enterprises")
async def set_cohort_enterprises(
    cohort_id: UUID,
    body: EnterpriseMembership,
    session: SessionDep,
    principal: CurrentPrincipal,
    recommended_max: RecommendedMax,
) -> CohortPublic:
    return await cohort_service.replace_enterprises(
        session, cohort_id, body, principal=principal, recommended_max=recommended_max
    )


@router.put("/cohorts/{cohort_id}/trainers", summary="Set the cohort's trainers")
async def set_cohort_trainers(
    cohort_id: UUID,
    body: TrainerMembership,
    session: SessionDep,
    principal: CurrentPrincipal,
    recommended_max: RecommendedMax,
) -> CohortPublic:
    return await cohort_service.replace_trainers(
        session, cohort_id, body, principal=principal, recommended_max=recommended_max
    )


# --- participants --------------------------------------------------------------------


@router.post(
    "/cohorts/{cohort_id}/participants",
    status_code=status.HTTP_201_CREATED,
    summary="Register a participant an enterprise sends to the cohort",
)
async def create_participant(
    cohort_id: UUID, body: ParticipantCreate, session: SessionDep, principal: CurrentPrincipal
) -> ParticipantPublic:
    return await participant_service.create(session, cohort_id, body, principal=principal)


@router.get(
    "/cohorts/{cohort_id}/participants",
    summary="Participants, with each enterprise's composition by role and sex",
)
async def list_participants(
    cohort_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ParticipantRoster:
    return await participant_service.roster(session, cohort_id, principal=principal)


@router.delete(
    "/cohorts/{cohort_id}/participants/{participant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a participant who has no attendance recorded",
)
async def delete_participant(
    cohort_id: UUID, participant_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    await participant_service.delete(session, cohort_id, participant_id, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- classroom sessions and attendance -----------------------------------------------


@router.post(
    "/cohorts/{cohort_id}/sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Record a classroom day",
)
async def create_classroom_session(
    cohort_id: UUID,
    body: ClassroomSessionCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ClassroomSessionPublic:
    return await classroom_service.create(session, cohort_id, body, principal=principal)


@router.get("/cohorts/{cohort_id}/sessions", summary="The cohort's classroom days")
async def list_classroom_sessions(
    cohort_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[ClassroomSessionPublic]:
    return await classroom_service.get_all(session, cohort_id, principal=principal)


@router.put("/sessions/{session_id}/attendance", summary="Record the register of a classroom day")
async def record_attendance(
    session_id: UUID,
    body: list[AttendanceMark],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> AttendanceSheet:
    return await classroom_service.record_attendance(session, session_id, body, principal=principal)


@router.get("/sessions/{session_id}/attendance", summary="The register of a classroom day")
async def get_attendance(
    session_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> AttendanceSheet:
    return await classroom_service.attendance(session, session_id, principal=principal)


# --- consulting visits ---------------------------------------------------------------


@router.post(
    "/cohorts/{cohort_id}/visits",
    status_code=status.HTTP_201_CREATED,
    summary="Record a consulting visit (on site or virtual)",
)
async def create_visit(
    cohort_id: UUID,
    body: ConsultingVisitCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ConsultingVisitPublic:
    return await visit_service.create(session, cohort_id, body, principal=principal)


@router.get("/cohorts/{cohort_id}/visits", summary="Consulting visits of the cohort")
async def list_visits(
    cohort_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = None,
) -> list[ConsultingVisitPublic]:
    return await visit_service.get_all(
        session, cohort_id, principal=principal, enterprise_id=enterprise_id
    )


# --- module progress -----------------------------------------------------------------


@router.put(
    "/cohorts/{cohort_id}/progress/{enterprise_id}",
    summary="Record an enterprise's progress in the cohort's module",
)
async def update_progress(
    cohort_id: UUID,
    enterprise_id: UUID,
    body: ProgressUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ModuleProgressPublic:
    return await progress_service.update(
        session, cohort_id, enterprise_id, body, principal=principal
    )


@router.get("/cohorts/{cohort_id}/progress", summary="Each enterprise's progress in the module")
async def list_cohort_progress(
    cohort_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[ModuleProgressPublic]:
    return await progress_service.for_cohort(session, cohort_id, principal=principal)


@router.get(
    "/enterprises/{enterprise_id}/progress",
    summary="An enterprise's modules with status and dates",
)
async def get_enterprise_progress(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[ModuleProgressPublic]:
    return await progress_service.for_enterprise(session, enterprise_id, principal=principal)
