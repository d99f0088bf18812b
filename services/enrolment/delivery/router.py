"""REST endpoints of cohort delivery: participants, classroom sessions and attendance,
consulting visits, module progress. Thin, one service call each."""

from uuid import UUID

from fastapi import APIRouter, Response, status

from services.enrolment.delivery.schemas import (
    AttendanceMark,
    AttendanceSheet,
    ClassroomSessionCreate,
    ClassroomSessionPublic,
    ConsultingVisitCreate,
    ConsultingVisitPublic,
    ModuleProgressPublic,
    ParticipantCreate,
    ParticipantPublic,
    ParticipantRoster,
    ProgressUpdate,
)
from services.enrolment.delivery.service import (
    classroom_service,
    participant_service,
    progress_service,
    visit_service,
)
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(tags=["training"])


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
