"""The enrolment GraphQL federation subgraph, mounted at /graphql."""

import strawberry

from services.enrolment.assessments.service import assessment_service
from services.enrolment.calls.mutations import ApplicationMutations
from services.enrolment.cohorts.mutations import TrainingMutations
from services.enrolment.enterprises.mutations import EnterpriseMutations
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.graphql.context import get_context
from services.enrolment.graphql.errors import parse_country
from services.enrolment.graphql.types import (
    Assessment,
    AssessmentConnection,
    CommitmentMeeting,
    Enterprise,
    EnterpriseConnection,
    Info,
    Organisation,
    OrganisationConnection,
    Project,
    ProjectConnection,
)
from services.enrolment.lifecycle.mutations import LifecycleMutations
from services.enrolment.materials.graphql import MaterialQueries
from services.enrolment.meetings.service import meeting_service
from services.enrolment.organisations.service import organisation_service, project_service
from services.enrolment.programme_events.mutations import (
    EventAttendance,
    ProgrammeEvent,
    ProgrammeEventConnection,
    ProgrammeEventMutations,
)
from services.enrolment.programme_events.schemas import EventKind
from services.enrolment.programme_events.service import programme_event_service
from services.enrolment.trainer_evidence.graphql import EvidenceMutations, EvidenceQueries
from shared import enums
from shared.graphql import PAGE, parse_id, subgraph_router, subgraph_schema
from shared.graphql_execution import Rows
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, decode_cursor
from shared.problems import InvalidInput, NotFound, field_error


def _page(first: int, after: str | None) -> PageRequest:
    """The REST cursor semantics, with errors naming the GraphQL arguments."""
    if not 1 <= first <= MAX_LIMIT:
        raise InvalidInput(
            f"first must be between 1 and {MAX_LIMIT}",
            errors=[field_error("first", "range", f"must be 1..{MAX_LIMIT}", first)],
        )
    if after is None:
        return PageRequest(limit=first)
    try:
        return PageRequest(after=decode_cursor(after), limit=first)
    except InvalidInput as exc:
        raise InvalidInput(
            "The cursor is not one this API issued",
            errors=[field_error("after", "cursor", "not a valid cursor", after)],
        ) from exc


async def _enterprise(info: Info, id: strawberry.ID) -> Enterprise | None:
    found = await info.context.loaders.enterprise.load(parse_id(id, "id"))
    return None if found is None else Enterprise.from_model(found)


async def _enterprises(
    info: Info, first: int = DEFAULT_LIMIT, after: str | None = None, country: str | None = None
) -> EnterpriseConnection:
    page = _page(first, after)
    country_code = parse_country(country, "country") if country is not None else None
    context = info.context
    async with context.database() as session:
        # Rows, as the REST list reads them: a page of models costs more than the query.
        result = await enterprise_service.get_all_rows(
            session, principal=context.principal, page=page, country=country_code
        )
    context.loaders.listed_enterprises(result.rows)
    # The rows themselves: a page of plain fields is answered from them without an
    # Enterprise per row (shared.graphql_execution.Rows).
    return EnterpriseConnection(
        items=Rows(result.rows, Enterprise.from_row), next_cursor=result.next_cursor
    )


async def _organisations(
    info: Info,
    kind: enums.OrganisationKind | None = None,
    first: int = DEFAULT_LIMIT,
    after: str | None = None,
) -> OrganisationConnection:
    page = _page(first, after)
    async with info.context.database() as session:
        result = await organisation_service.get_all(session, page=page, kind=kind)
    return OrganisationConnection(
        items=[Organisation.from_model(item) for item in result.items],
        next_cursor=result.next_cursor,
    )


async def _projects(
    info: Info, first: int = DEFAULT_LIMIT, after: str | None = None
) -> ProjectConnection:
    page = _page(first, after)
    context = info.context
    async with context.database() as session:
        result = await project_service.get_all(session, principal=context.principal, page=page)
    return ProjectConnection(
        items=[Project.from_model(item) for item in result.items],
        next_cursor=result.next_cursor,
    )


async def _project(info: Info, id: strawberry.ID) -> Project | None:
    project_id = parse_id(id, "id")
    context = info.context
    try:
        async with context.database() as session:
            found = await project_service.get(session, project_id, principal=context.principal)
    except NotFound:
        return None
    return Project.from_model(found)


async def _assessments(
    info: Info, enrolment_id: strawberry.ID, first: int = DEFAULT_LIMIT, after: str | None = None
) -> AssessmentConnection:
    page = _page(first, after)
    context = info.context
    try:
        async with context.database() as session:
            result = await assessment_service.get_all(
                session,
                parse_id(enrolment_id, "enrolmentId"),
                principal=context.principal,
                page=page,
            )
    except NotFound:
        # An enrolment you may not see answers as one that does not exist: nothing.
        return AssessmentConnection(items=[], next_cursor=None)
    return AssessmentConnection(
        items=[Assessment.from_model(item) for item in result.items],
        next_cursor=result.next_cursor,
    )


async def _commitment_meetings(
    info: Info, application_id: strawberry.ID
) -> list[CommitmentMeeting]:
    context = info.context
    try:
        async with context.database() as session:
            found = await meeting_service.get_all(
                session, parse_id(application_id, "applicationId"), principal=context.principal
            )
    except NotFound:
        return []
    return [CommitmentMeeting.from_model(item) for item in found]


async def _programme_events(
    info: Info,
    project_id: strawberry.ID | None = None,
    kind: EventKind | None = None,
    first: int = DEFAULT_LIMIT,
    after: str | None = None,
) -> ProgrammeEventConnection:
    page = _page(first, after)
    project = parse_id(project_id, "projectId") if project_id is not None else None
    context = info.context
    async with context.database() as session:
        result = await programme_event_service.get_all(
            session, principal=context.principal, page=page, project_id=project, kind=kind
        )
    return ProgrammeEventConnection(
        items=[ProgrammeEvent.from_model(item) for item in result.items],
        next_cursor=result.next_cursor,
    )


async def _programme_event(info: Info, id: strawberry.ID) -> ProgrammeEvent | None:
    context = info.context
    try:
        async with context.database() as session:
            found = await programme_event_service.get(
                session, parse_id(id, "id"), principal=context.principal
            )
    except NotFound:
        return None
    return ProgrammeEvent.from_model(found)


async def _programme_event_attendance(
    info: Info, event_id: strawberry.ID
) -> EventAttendance | None:
    context = info.context
    try:
        async with context.database() as session:
            sheet = await programme_event_service.attendance(
                session, parse_id(event_id, "eventId"), principal=context.principal
            )
    except NotFound:
        return None
    return EventAttendance.from_model(sheet)


# Root fields are nullable: a query may also ask other services, and one of them being
# down must cost only its own fields, not the whole answer.
@strawberry.type
class Query(MaterialQueries, EvidenceQueries):
    enterprise: Enterprise | None = strawberry.field(
        resolver=_enterprise,
        description="One enterprise; null when it does not exist or is not yours",
    )
    enterprises: EnterpriseConnection | None = strawberry.field(
        resolver=_enterprises,
        description="The enterprises you may see, oldest first",
        directives=[PAGE],
    )
    organisations: OrganisationConnection | None = strawberry.field(
        resolver=_organisations,
        description="Partners, lead buyers and funders (public programme facts)",
        directives=[PAGE],
    )
    projects: ProjectConnection | None = strawberry.field(
        resolver=_projects, description="The projects you may see", directives=[PAGE]
    )
    project: Project | None = strawberry.field(
        resolver=_project, description="One project; null when it does not exist or is not yours"
    )
    assessments: AssessmentConnection | None = strawberry.field(
        resolver=_assessments,
        description="An enrolment's assessments; empty when the enrolment is not yours to assess",
        directives=[PAGE],
    )
    commitment_meetings: list[CommitmentMeeting] | None = strawberry.field(
        resolver=_commitment_meetings,
        description="The meetings with an applicant's CEO, oldest first; empty when not yours",
    )
    programme_events: ProgrammeEventConnection | None = strawberry.field(
        resolver=_programme_events,
        description="Mobilisation events, alumni meetings ... of the projects you may see",
        directives=[PAGE],
    )
    programme_event: ProgrammeEvent | None = strawberry.field(
        resolver=_programme_event,
        description="One programme event; null when it does not exist or is not yours",
    )
    programme_event_attendance: EventAttendance | None = strawberry.field(
        resolver=_programme_event_attendance,
        description="Who attended a programme event (your enterprises' people); null if not yours",
    )


@strawberry.type(description="What partners' systems write: each field is a REST route's call")
class Mutation(
    EnterpriseMutations,
    ApplicationMutations,
    LifecycleMutations,
    TrainingMutations,
    ProgrammeEventMutations,
    EvidenceMutations,
):
    pass


schema = subgraph_schema(Query, mutation=Mutation)
# Partners' systems and dashboards mostly read: their queries skip the transaction.
router = subgraph_router(schema, get_context, reads_only_queries=True)
