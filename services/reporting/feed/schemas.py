"""The partner event feed's contract: documented, versioned event types with their payload
schemas (published as JSON Schema in the OpenAPI document), the same objects the feed
serves and webhooks deliver.

Every event is about one enterprise. A breaking change to a payload adds a new version of
its type, never edits one; consumers should ignore types they do not know.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, get_args
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from shared.decimals import plain_text


def _plain(value: Decimal) -> Decimal:
    return Decimal(format(value.normalize(), "f"))


# Decimals as people write them ("900000", never "9E+5").
Amount = Annotated[Decimal, AfterValidator(_plain), PlainSerializer(plain_text, when_used="json")]


class EventType(StrEnum):
    enterprise_registered = "enterprise.registered"
    enterprise_updated = "enterprise.updated"
    enrolment_stage_changed = "enrolment.stage_changed"
    consent_changed = "consent.changed"
    module_progress_changed = "module.progress_changed"
    values_submitted = "values.submitted"
    value_validated = "value.validated"
    value_returned = "value.returned"
    value_corrected = "value.corrected"
    value_withdrawn = "value.withdrawn"
    improvement_project_changed = "improvement_project.changed"
    eit_changed = "eit.changed"
    satisfaction_recorded = "satisfaction.recorded"
    supplier_status_changed = "supplier.status_changed"


# What each type tells, and who receives it (besides the ILO, which receives every event):
# the feed's documentation and the webhook registration's vocabulary.
EVENT_TYPES: dict[EventType, str] = {
    EventType.enterprise_registered: "An enterprise was registered (its partner, a programme "
    "manager of a project it is enrolled in, its own users, its trainers)",
    EventType.enterprise_updated: "An enterprise's profile changed (same readers)",
    EventType.enrolment_stage_changed: "An enrolment moved to another stage (readers of the "
    "enterprise; a programme manager only for its project)",
    EventType.consent_changed: "A consent to share with a lead buyer was given or withdrawn "
    "(readers of the enterprise, not buyers)",
    EventType.module_progress_changed: "How far the enterprise is with a module",
    EventType.values_submitted: "Values of the enterprise were submitted for review",
    EventType.value_validated: "A value was validated: it counts from now on",
    EventType.value_returned: "A submitted value was returned to its enterer, with a reason",
    EventType.value_corrected: "A validated value was corrected (the new version awaits review)",
    EventType.value_withdrawn: "A validated value stopped counting",
    EventType.improvement_project_changed: "An improvement project was recorded or changed",
    EventType.eit_changed: "The Enterprise Improvement Team changed",
    EventType.satisfaction_recorded: "A participant rated a module",
    EventType.supplier_status_changed: "The supplier status a lead buyer's portal shows "
    "changed: stage, modules completed, EIT, headline indicator changes. The one event lead "
    "buyers receive, while the supplier consents to share with them; also the enterprise's "
    "partner and its own users. The query GET /reporting/suppliers/{id}/status answers the "
    "same object: read it once, then follow the events",
}
BUYER_EVENT_TYPES = frozenset({EventType.supplier_status_changed})
# Types with the whole status of an enterprise across its projects: not for a programme
# manager or a trainer, who see one project's or one cohort's part of it.
WHOLE_ENTERPRISE_TYPES = frozenset({EventType.supplier_status_changed})


class Data(BaseModel):
    model_config = ConfigDict(frozen=True)


class EnterpriseData(Data):
    enterprise_id: UUID
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    sector: str
    sub_sector: str | None
    partner_id: UUID | None = Field(description="The implementation partner that recruited it")
    workforce_total: int | None
    workforce_female: int | None
    workforce_male: int | None


class StageChangedData(Data):
    enrolment_id: UUID
    enterprise_id: UUID
    project_id: UUID
    from_stage: str | None = Field(description="Null when the enrolment was created")
    to_stage: str
    reason: str | None


class ConsentChangedData(Data):
    enterprise_id: UUID
    buyer_id: UUID
    status: Literal["given", "withdrawn"]


class ModuleProgressData(Data):
    enterprise_id: UUID
    module_code: str
    status: str = Field(description="e.g. in_progress, classroom_completed, completed")
    completed_on: date | None


class ValueData(Data):
    value_id: UUID
    enterprise_id: UUID
    project_id: UUID
    indicator_code: str
    indicator_version: int
    round_id: UUID | None
    round_kind: str | None = Field(description="baseline | endline | follow_up")
    month: date | None = Field(description="Monthly values: the month's first day")
    sex: str | None = Field(description="Null: the total over both sexes")
    role: str | None = Field(description="Null: all roles")
    value: Amount | None = Field(description="Numeric indicators")
    value_bool: bool | None = Field(description="Yes/no practice indicators")
    currency: str | None
    status: str = Field(description="draft | submitted | validated | returned | withdrawn ...")
    value_version: int
    derived: bool = Field(description="Computed from validated inputs, never entered")


class ValueChangeData(ValueData):
    reason: str | None = Field(description="Why it was returned, corrected or withdrawn")


class ValuesSubmittedData(Data):
    submission_id: UUID
    enterprise_id: UUID
    values: list[ValueData]


class ImprovementProjectData(Data):
    project_id: UUID
    enterprise_id: UUID
    module_code: str
    title: str
    category: str
    status: str = Field(description="planned | in_progress | completed | abandoned")
    started_on: date | None
    completed_on: date | None
    cost: Amount | None
    savings: Amount | None
    currency: str | None


class EitData(Data):
    team_id: UUID
    enterprise_id: UUID
    formed_on: date
    in_place: bool = Field(description="At least one manager and one worker are members")
    managers_female: int
    managers_male: int
    workers_female: int
    workers_male: int
    meeting_count: int
    last_meeting_on: date | None


class SatisfactionData(Data):
    response_id: UUID
    enterprise_id: UUID
    module_code: str
    role: str
    sex: str
    rating: int = Field(description="1 very dissatisfied .. 5 very satisfied")
    would_recommend: bool | None
    rated_on: date | None


class SupplierStage(Data):
    project_id: UUID
    stage: str
    since: datetime


class SupplierModule(Data):
    module_code: str
    completed_on: date


class HeadlineIndicator(Data):
    """One indicator's validated baseline against its endline."""

    indicator_code: str
    indicator_name: str
    unit: str
    direction: str = Field(description="Which way is better: up or down")
    baseline: Amount | None = Field(description="Numeric indicators")
    endline: Amount | None = Field(description="Numeric indicators")
    relative_change_percent: Amount | None = Field(
        description="(endline - baseline) / |baseline| x 100, to 1 decimal"
    )
    baseline_adopted: bool | None = Field(description="Yes/no practice indicators")
    endline_adopted: bool | None = Field(description="Yes/no practice indicators")
    improved: bool | None


class SupplierStatusData(Data):
    """What a lead buyer's portal shows of a supplier (never its cohorts, nor its buyers)."""

    enterprise_id: UUID
    name: str
    country: str
    sector: str
    stages: list[SupplierStage] = Field(description="Its stage in each project")
    modules_completed: list[SupplierModule] = Field(description="Oldest completion first")
    eit_in_place: bool
    improvement_projects_completed: int
    indicators: list[HeadlineIndicator] = Field(
        description="Indicators with a validated baseline and endline"
    )
    changed: list[Literal["stage", "modules", "eit", "improvement_projects", "indicators"]] = Field(
        default_factory=list,
        description="What changed since the previous event (empty in the query's answer "
        "and in the first event a buyer receives)",
    )


class Event(BaseModel):
    """The envelope: the same object in the feed and in a webhook's body."""

    id: UUID = Field(description="Unique per event; the webhook-id header of its deliveries")
    version: Literal[1] = 1
    timestamp: datetime = Field(description="When it happened")
    enterprise_id: UUID


class EnterpriseRegistered(Event):
    type: Literal["enterprise.registered"]
    data: EnterpriseData


class EnterpriseUpdated(Event):
    type: Literal["enterprise.updated"]
    data: EnterpriseData


class EnrolmentStageChanged(Event):
    type: Literal["enrolment.stage_changed"]
    data: StageChangedData


class ConsentChanged(Event):
    type: Literal["consent.changed"]
    data: ConsentChangedData


class ModuleProgressChanged(Event):
    type: Literal["module.progress_changed"]
    data: ModuleProgressData


class ValuesSubmitted(Event):
    type: Literal["values.submitted"]
    data: ValuesSubmittedData


class ValueValidated(Event):
    type: Literal["value.validated"]
    data: ValueData


class ValueReturned(Event):
    type: Literal["value.returned"]
    data: ValueChangeData


class ValueCorrected(Event):
    type: Literal["value.corrected"]
    data: ValueChangeData


class ValueWithdrawn(Event):
    type: Literal["value.withdrawn"]
    data: ValueChangeData


class ImprovementProjectChanged(Event):
    type: Literal["improvement_project.changed"]
    data: ImprovementProjectData


class EitChanged(Event):
    type: Literal["eit.changed"]
    data: EitData


class SatisfactionRecorded(Event):
    type: Literal["satisfaction.recorded"]
    data: SatisfactionData


class SupplierStatusChanged(Event):
    type: Literal["supplier.status_changed"]
    data: SupplierStatusData


PartnerEventOut = Annotated[
    EnterpriseRegistered
    | EnterpriseUpdated
    | EnrolmentStageChanged
    | ConsentChanged
    | ModuleProgressChanged
    | ValuesSubmitted
    | ValueValidated
    | ValueReturned
    | ValueCorrected
    | ValueWithdrawn
    | ImprovementProjectChanged
    | EitChanged
    | SatisfactionRecorded
    | SupplierStatusChanged,
    Field(discriminator="type"),
]


def schema_names() -> dict[str, str]:
    """Each event type's schema in the OpenAPI document (its class name)."""
    union = get_args(PartnerEventOut)[0]
    return {
        get_args(cls.model_fields["type"].annotation)[0]: cls.__name__ for cls in get_args(union)
    }


class FeedPage(BaseModel):
    events: list[PartnerEventOut] = Field(description="In feed order, oldest first")
    next_cursor: str = Field(
        description="Pass as `after` next time (the same cursor when nothing came)"
    )


class EventTypeInfo(BaseModel):
    type: EventType
    version: int
    description: str
    payload_schema: str = Field(description="Its schema's name in this OpenAPI document")
