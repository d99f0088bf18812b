"""GraphQL types of the enrolment subgraph, built from the service layer's public models."""

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Self
from uuid import UUID

import strawberry

from services.enrolment.assessments.schemas import AssessmentPublic
from services.enrolment.enterprises.schemas import EnterprisePublic
from services.enrolment.graphql.context import GraphQLContext
from services.enrolment.lifecycle.schemas import EnrolmentPublic
from services.enrolment.meetings.schemas import MeetingPublic
from services.enrolment.orders.schemas import OrderStatusPublic
from services.enrolment.organisations.schemas import OrganisationPublic, ProjectPublic
from shared import enums
from shared.graphql import list_size, parse_id

Info = strawberry.Info[GraphQLContext, None]

# Registered as they are, so GraphQL speaks the same values as REST and the events.
strawberry.enum(enums.LifecycleStage)
strawberry.enum(enums.OrganisationKind)


def _id(value: UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: UUID | None) -> strawberry.ID | None:
    return None if value is None else _id(value)


@strawberry.type(description="An enterprise's enrolment in one project")
class EnterpriseEnrolment:
    id: strawberry.ID
    project_id: strawberry.ID
    enterprise_id: strawberry.ID
    stage: enums.LifecycleStage
    allowed_next_stages: list[enums.LifecycleStage] = strawberry.field(
        description="Stages a person may move the enrolment to next"
    )
    stage_since: datetime = strawberry.field(description="When it reached its current stage")
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def from_model(cls, enrolment: EnrolmentPublic) -> Self:
        return cls(
            id=_id(enrolment.id),
            project_id=_id(enrolment.project_id),
            enterprise_id=_id(enrolment.enterprise_id),
            stage=enrolment.stage,
            allowed_next_stages=list(enrolment.allowed_next_stages),
            stage_since=enrolment.stage_since,
            created_at=enrolment.created_at,
            updated_at=enrolment.updated_at,
        )


@strawberry.type(description="Pieces ordered by one buyer in one month")
class MonthOrders:
    month: str = strawberry.field(description="YYYY-MM")
    confirmed: int
    pipeline: int


@strawberry.type(description="The order status an enterprise shares with one lead buyer")
class OrderStatus:
    buyer_id: strawberry.ID
    months: list[MonthOrders]

    @classmethod
    def from_model(cls, status: OrderStatusPublic) -> Self:
        return cls(
            buyer_id=_id(status.buyer_id),
            months=[
                MonthOrders(month=m.month, confirmed=m.confirmed, pipeline=m.pipeline)
                for m in status.months
            ],
        )


async def _order_status(root: "Enterprise", info: Info) -> list[OrderStatus]:
    rows = await info.context.loaders.order_status.load(UUID(root.id))
    return [OrderStatus.from_model(row) for row in rows]


async def _enrolments(root: "Enterprise", info: Info) -> list[EnterpriseEnrolment]:
    rows = await info.context.loaders.enrolments.load(UUID(root.id))
    return [EnterpriseEnrolment.from_model(row) for row in rows]


@strawberry.federation.type(keys=["id"], description="An SME that SCORE trains")
class Enterprise:
    id: strawberry.ID
    name: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2")
    city: str | None
    sector: str
    sub_sector: str | None
    women_led: bool | None
    workforce_total: int | None
    workforce_permanent: int | None
    workforce_female: int | None
    workforce_male: int | None
    partner_id: strawberry.ID | None = strawberry.field(
        description="The implementation partner that recruited the enterprise"
    )
    possible_duplicate: bool = strawberry.field(
        description="Registration found a likely duplicate of another enterprise"
    )
    possible_duplicate_of_id: strawberry.ID | None = strawberry.field(
        description="The likely original, when it is an enterprise you may see"
    )
    buyer_ids: list[strawberry.ID] = strawberry.field(
        description="Lead buyers supplied (a lead buyer sees only itself)"
    )
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def from_model(cls, enterprise: EnterprisePublic) -> Self:
        return cls.from_row(dict(enterprise))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """From EnterprisePublic's fields as a row (``enterprise_service.get_all_rows``): a
        page is built without a model per row."""
        enterprise = cls.__new__(cls)
        # What the dataclass's __init__ sets, without its call of seventeen keyword
        # arguments per row (about five times the cost of this on a page of 50, timed).
        fields = vars(enterprise)
        fields.update(zip(_ROW_FIELDS, _row_values(row), strict=True))
        fields.update(
            id=_id(row["id"]),
            partner_id=_optional_id(row["partner_id"]),
            possible_duplicate_of_id=_optional_id(row["possible_duplicate_of_id"]),
            buyer_ids=[_id(buyer_id) for buyer_id in row["buyer_ids"]],
        )
        return enterprise

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        # Called with the representation's fields as keyword arguments, hence `id`.
        enterprise = await info.context.loaders.enterprise.load(parse_id(id, "id"))
        return None if enterprise is None else cls.from_model(enterprise)

    enrolments: list[EnterpriseEnrolment] = strawberry.field(
        resolver=_enrolments,
        description="Its enrolments in the projects you may see",
        directives=[list_size(assumed=5)],
    )
    order_status: list[OrderStatus] = strawberry.field(
        resolver=_order_status,
        description="Orders shared per buyer and month (a buyer sees its own)",
    )


# Enterprise's fields a row holds as they are; the ids become GraphQL IDs.
_ROW_FIELDS = tuple(
    field.name
    for field in dataclasses.fields(Enterprise)
    if field.init
    and field.name not in {"id", "partner_id", "possible_duplicate_of_id", "buyer_ids"}
)
_row_values = itemgetter(*_ROW_FIELDS)


@strawberry.type
class EnterpriseConnection:
    items: list[Enterprise]
    next_cursor: str | None = strawberry.field(
        description="Pass as `after` to get the next page; null on the last page"
    )


@strawberry.type(description="An implementation partner, lead buyer, funder or the ILO")
class Organisation:
    id: strawberry.ID
    name: str
    short_name: str | None
    kind: enums.OrganisationKind
    country: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, organisation: OrganisationPublic) -> Self:
        return cls(
            id=_id(organisation.id),
            name=organisation.name,
            short_name=organisation.short_name,
            kind=enums.OrganisationKind(organisation.kind),
            country=organisation.country,
            created_at=organisation.created_at,
        )


@strawberry.type
class OrganisationConnection:
    items: list[Organisation]
    next_cursor: str | None


@strawberry.type(description="A SCORE project in one country")
class Project:
    id: strawberry.ID
    name: str
    country: str
    start_date: date | None
    end_date: date | None
    partner_ids: list[strawberry.ID]
    funder_ids: list[strawberry.ID]
    created_at: datetime

    @classmethod
    def from_model(cls, project: ProjectPublic) -> Self:
        return cls(
            id=_id(project.id),
            name=project.name,
            country=project.country,
            start_date=project.start_date,
            end_date=project.end_date,
            partner_ids=[_id(o) for o in project.partner_ids],
            funder_ids=[_id(o) for o in project.funder_ids],
            created_at=project.created_at,
        )


@strawberry.type
class ProjectConnection:
    items: list[Project]
    next_cursor: str | None


@strawberry.type(description="What an assessor found in one area")
class AssessmentFinding:
    area: str
    score: int | None = strawberry.field(description="1 (weak) to 5 (strong); null: not scored")
    finding: str


@strawberry.type(description="An initial, baseline or comprehensive baseline assessment")
class Assessment:
    id: strawberry.ID
    enrolment_id: strawberry.ID
    enterprise_id: strawberry.ID
    project_id: strawberry.ID
    kind: str = strawberry.field(description="initial | baseline | comprehensive_baseline")
    assessed_on: date
    assessor: str
    findings: list[AssessmentFinding]
    priority_modules: list[str] = strawberry.field(
        description="Module codes, most urgent first; cohort planning follows them"
    )
    notes: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, assessment: AssessmentPublic) -> Self:
        return cls(
            id=_id(assessment.id),
            enrolment_id=_id(assessment.enrolment_id),
            enterprise_id=_id(assessment.enterprise_id),
            project_id=_id(assessment.project_id),
            kind=assessment.kind.value,
            assessed_on=assessment.assessed_on,
            assessor=assessment.assessor,
            findings=[
                AssessmentFinding(area=f.area, score=f.score, finding=f.finding)
                for f in assessment.findings
            ],
            priority_modules=list(assessment.priority_modules),
            notes=assessment.notes,
            created_at=assessment.created_at,
        )


@strawberry.type
class AssessmentConnection:
    items: list[Assessment]
    next_cursor: str | None


@strawberry.type(description="Someone at the meeting with an applicant")
class MeetingAttendee:
    name: str
    position: str
    decision_maker: bool


@strawberry.type(description="The meeting with an applicant's CEO and the commitment given")
class CommitmentMeeting:
    id: strawberry.ID
    application_id: strawberry.ID
    held_on: date
    attendees: list[MeetingAttendee]
    commitment: str = strawberry.field(description="ceo_attends | senior_nominee | none")
    nominee_name: str | None
    nominee_position: str | None
    nominee_decision_authority: bool | None
    created_at: datetime

    @classmethod
    def from_model(cls, meeting: MeetingPublic) -> Self:
        return cls(
            id=_id(meeting.id),
            application_id=_id(meeting.application_id),
            held_on=meeting.held_on,
            attendees=[
                MeetingAttendee(name=a.name, position=a.position, decision_maker=a.decision_maker)
                for a in meeting.attendees
            ],
            commitment=meeting.commitment.value,
            nominee_name=meeting.nominee_name,
            nominee_position=meeting.nominee_position,
            nominee_decision_authority=meeting.nominee_decision_authority,
            created_at=meeting.created_at,
        )
