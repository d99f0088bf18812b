"""GraphQL mutations for training delivery: cohorts with their enterprises and participants,
classroom sessions and attendance (the REST routes' service calls, shared/mutations.py)."""

from datetime import date, datetime
from typing import Annotated, Any, Self

import strawberry
from pydantic import TypeAdapter

from services.enrolment.cohorts.schemas import CohortCreate, CohortPublic, EnterpriseMembership
from services.enrolment.cohorts.service import cohort_service
from services.enrolment.delivery.schemas import (
    AttendanceMark,
    AttendanceSheet,
    ClassroomSessionCreate,
    ClassroomSessionPublic,
    ParticipantCreate,
    ParticipantPublic,
)
from services.enrolment.delivery.service import classroom_service, participant_service
from services.enrolment.graphql.types import Info
from services.enrolment.settings import EnrolmentSettings
from shared import enums
from shared.graphql import SubgraphContext, parse_id
from shared.mutations import Failure, mutate, parse_input, parse_model

strawberry.enum(enums.DeliveryMode)
strawberry.enum(enums.Sex)
strawberry.enum(enums.ParticipantRole)

_MARKS = TypeAdapter(list[AttendanceMark])


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="Enterprises trained together in one module (4-5 recommended)")
class Cohort:
    id: strawberry.ID
    project_id: strawberry.ID
    partner_id: strawberry.ID
    module_code: str
    name: str
    start_date: date | None
    end_date: date | None
    delivery_mode: enums.DeliveryMode
    enterprise_ids: list[strawberry.ID]
    trainer_ids: list[strawberry.ID]
    participants_count: int
    warnings: list[str] = strawberry.field(description="Outside the recommended size, say so")

    @classmethod
    def from_model(cls, cohort: CohortPublic) -> Self:
        return cls(
            id=_id(cohort.id),
            project_id=_id(cohort.project_id),
            partner_id=_id(cohort.partner_id),
            module_code=cohort.module_code,
            name=cohort.name,
            start_date=cohort.start_date,
            end_date=cohort.end_date,
            delivery_mode=cohort.delivery_mode,
            enterprise_ids=[_id(e) for e in cohort.enterprise_ids],
            trainer_ids=[_id(t) for t in cohort.trainer_ids],
            participants_count=cohort.participants_count,
            warnings=list(cohort.warnings),
        )


@strawberry.type(description="A person an enterprise sends to a cohort")
class Participant:
    id: strawberry.ID
    cohort_id: strawberry.ID
    enterprise_id: strawberry.ID
    name: str
    role: enums.ParticipantRole
    sex: enums.Sex
    position_title: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, participant: ParticipantPublic) -> Self:
        return cls(
            id=_id(participant.id),
            cohort_id=_id(participant.cohort_id),
            enterprise_id=_id(participant.enterprise_id),
            name=participant.name,
            role=participant.role,
            sex=participant.sex,
            position_title=participant.position_title,
            created_at=participant.created_at,
        )


@strawberry.type(description="A participant removed from a cohort")
class ParticipantRemoved:
    id: strawberry.ID


@strawberry.type(description="A classroom day of a cohort")
class ClassroomSession:
    id: strawberry.ID
    cohort_id: strawberry.ID
    day_number: int
    held_on: date
    delivery_mode: enums.DeliveryMode
    topic: str | None

    @classmethod
    def from_model(cls, held: ClassroomSessionPublic) -> Self:
        return cls(
            id=_id(held.id),
            cohort_id=_id(held.cohort_id),
            day_number=held.day_number,
            held_on=held.held_on,
            delivery_mode=held.delivery_mode,
            topic=held.topic,
        )


@strawberry.type(description="Who attended a classroom day")
class AttendanceRecord:
    participant_id: strawberry.ID
    enterprise_id: strawberry.ID
    name: str
    role: enums.ParticipantRole
    sex: enums.Sex
    present: bool


@strawberry.type(description="The register of a classroom day")
class Attendance:
    session_id: strawberry.ID
    cohort_id: strawberry.ID
    day_number: int
    held_on: date
    records: list[AttendanceRecord]
    present: int
    absent: int
    present_female: int
    present_male: int

    @classmethod
    def from_model(cls, sheet: AttendanceSheet) -> Self:
        return cls(
            session_id=_id(sheet.session_id),
            cohort_id=_id(sheet.cohort_id),
            day_number=sheet.day_number,
            held_on=sheet.held_on,
            records=[
                AttendanceRecord(
                    participant_id=_id(record.participant_id),
                    enterprise_id=_id(record.enterprise_id),
                    name=record.name,
                    role=record.role,
                    sex=record.sex,
                    present=record.present,
                )
                for record in sheet.records
            ],
            present=sheet.present,
            absent=sheet.absent,
            present_female=sheet.present_female,
            present_male=sheet.present_male,
        )


CohortResult = Annotated[Cohort | Failure, strawberry.union("CohortResult")]
ParticipantResult = Annotated[Participant | Failure, strawberry.union("ParticipantResult")]
ParticipantRemovedResult = Annotated[
    ParticipantRemoved | Failure, strawberry.union("ParticipantRemovedResult")
]
ClassroomSessionResult = Annotated[
    ClassroomSession | Failure, strawberry.union("ClassroomSessionResult")
]
AttendanceResult = Annotated[Attendance | Failure, strawberry.union("AttendanceResult")]


@strawberry.input
class CreateCohortInput:
    project_id: strawberry.ID
    module_code: str
    name: str
    partner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Delivering partner; partner staff may omit it (their own)",
    )
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    delivery_mode: enums.DeliveryMode | None = strawberry.UNSET
    trainer_ids: list[strawberry.ID] | None = strawberry.UNSET
    enterprise_ids: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input
class CohortEnterprisesInput:
    enterprise_ids: list[strawberry.ID]


@strawberry.input
class AddParticipantInput:
    enterprise_id: strawberry.ID
    name: str
    role: enums.ParticipantRole
    sex: enums.Sex
    position_title: str | None = strawberry.UNSET


@strawberry.input
class RecordSessionInput:
    day_number: int
    held_on: date
    delivery_mode: enums.DeliveryMode | None = strawberry.field(
        default=strawberry.UNSET, description="Defaults to the cohort's"
    )
    topic: str | None = strawberry.UNSET


@strawberry.input
class AttendanceMarkInput:
    participant_id: strawberry.ID
    present: bool


def _recommended_max(context: SubgraphContext) -> int:
    assert context.request is not None  # set by Strawberry for every HTTP request
    settings: EnrolmentSettings = context.request.app.state.settings
    return settings.cohort_recommended_max


async def create_cohort(info: Info, input: CreateCohortInput) -> CohortResult:
    context = info.context
    return await mutate(
        context,
        lambda session: cohort_service.create(
            session,
            parse_model(CohortCreate, input),
            principal=context.principal,
            recommended_max=_recommended_max(context),
        ),
        Cohort.from_model,
    )


async def set_cohort_enterprises(
    info: Info, cohort_id: strawberry.ID, input: CohortEnterprisesInput
) -> CohortResult:
    context = info.context
    return await mutate(
        context,
        lambda session: cohort_service.replace_enterprises(
            session,
            parse_id(cohort_id, "cohortId"),
            parse_model(EnterpriseMembership, input),
            principal=context.principal,
            recommended_max=_recommended_max(context),
        ),
        Cohort.from_model,
    )


async def add_participant(
    info: Info, cohort_id: strawberry.ID, input: AddParticipantInput
) -> ParticipantResult:
    context = info.context
    return await mutate(
        context,
        lambda session: participant_service.create(
            session,
            parse_id(cohort_id, "cohortId"),
            parse_model(ParticipantCreate, input),
            principal=context.principal,
        ),
        Participant.from_model,
    )


async def remove_participant(
    info: Info, cohort_id: strawberry.ID, participant_id: strawberry.ID
) -> ParticipantRemovedResult:
    context = info.context
    return await mutate(
        context,
        lambda session: participant_service.delete(
            session,
            parse_id(cohort_id, "cohortId"),
            parse_id(participant_id, "participantId"),
            principal=context.principal,
        ),
        lambda _: ParticipantRemoved(id=participant_id),
    )


async def record_session(
    info: Info, cohort_id: strawberry.ID, input: RecordSessionInput
) -> ClassroomSessionResult:
    context = info.context
    return await mutate(
        context,
        lambda session: classroom_service.create(
            session,
            parse_id(cohort_id, "cohortId"),
            parse_model(ClassroomSessionCreate, input),
            principal=context.principal,
        ),
        ClassroomSession.from_model,
    )


async def record_attendance(
    info: Info, session_id: strawberry.ID, input: list[AttendanceMarkInput]
) -> AttendanceResult:
    context = info.context
    return await mutate(
        context,
        lambda session: classroom_service.record_attendance(
            session,
            parse_id(session_id, "sessionId"),
            parse_input(_MARKS, input),
            principal=context.principal,
        ),
        Attendance.from_model,
    )


@strawberry.type
class TrainingMutations:
    create_cohort: CohortResult = strawberry.mutation(
        resolver=create_cohort,
        description="Create a cohort (POST /enrolment/cohorts); outside 4-5 enterprises it warns",
    )
    set_cohort_enterprises: CohortResult = strawberry.mutation(
        resolver=set_cohort_enterprises,
        description="Set the cohort's enterprises (PUT /enrolment/cohorts/{id}/enterprises)",
    )
    add_participant: ParticipantResult = strawberry.mutation(
        resolver=add_participant,
        description=(
            "Register a participant an enterprise sends to the cohort "
            "(POST /enrolment/cohorts/{id}/participants)"
        ),
    )
    remove_participant: ParticipantRemovedResult = strawberry.mutation(
        resolver=remove_participant,
        description=(
            "Remove a participant who has no attendance recorded "
            "(DELETE /enrolment/cohorts/{id}/participants/{participantId})"
        ),
    )
    record_session: ClassroomSessionResult = strawberry.mutation(
        resolver=record_session,
        description="Record a classroom day (POST /enrolment/cohorts/{id}/sessions)",
    )
    record_attendance: AttendanceResult = strawberry.mutation(
        resolver=record_attendance,
        description=(
            "Record the register of a classroom day (PUT /enrolment/sessions/{id}/attendance)"
        ),
    )
