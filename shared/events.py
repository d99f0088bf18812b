"""Event contracts: the envelope every feed serves and the versioned payloads inside it.

A payload's ``event_type`` and ``version`` travel with it; a consumer looks the pair up in
``EVENT_PAYLOADS`` to parse it. A breaking change adds a new version, never edits one.
"""

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.decimals import PlainDecimal
from shared.enums import (
    ApplicationOutcome,
    CertificationLevel,
    ConsentStatus,
    LifecycleStage,
    OrganisationKind,
    ParticipantRole,
    Sex,
)


class EventPayload(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]

    def aggregate_id(self) -> UUID:
        raise NotImplementedError  # every concrete payload names its aggregate


class EventEnvelope(BaseModel):
    position: int
    event_id: UUID
    event_type: str
    version: int
    aggregate_type: str
    aggregate_id: UUID
    occurred_at: datetime
    actor: str
    payload: dict[str, Any]


class EventFeedPage(BaseModel):
    events: list[EventEnvelope]
    # The position to pass as ``after`` next time (unchanged when no event came).
    last_position: int
    # The newest position in the feed.
    head_position: int
    # Events after ``last_position`` not in this page (positions have gaps: count, not subtract).
    remaining: int


# --- enrolment -----------------------------------------------------------------------


class EnterpriseSnapshot(EventPayload):
    aggregate_type: ClassVar[str] = "enterprise"

    enterprise_id: UUID
    name: str
    country: str
    sector: str
    sub_sector: str | None
    partner_id: UUID | None
    workforce_total: int | None
    workforce_permanent: int | None
    workforce_female: int | None
    workforce_male: int | None
    buyer_ids: list[UUID]

    def aggregate_id(self) -> UUID:
        return self.enterprise_id


class EnterpriseRegistered(EnterpriseSnapshot):
    event_type: ClassVar[str] = "enterprise.registered"


class EnterpriseUpdated(EnterpriseSnapshot):
    event_type: ClassVar[str] = "enterprise.updated"


class ApplicationSubmitted(EventPayload):
    event_type: ClassVar[str] = "application.submitted"
    aggregate_type: ClassVar[str] = "application"

    application_id: UUID
    call_id: UUID
    project_id: UUID
    enterprise_id: UUID

    def aggregate_id(self) -> UUID:
        return self.application_id


class ApplicationEvaluated(EventPayload):
    event_type: ClassVar[str] = "application.evaluated"
    aggregate_type: ClassVar[str] = "application"

    application_id: UUID
    call_id: UUID
    project_id: UUID
    enterprise_id: UUID
    criteria_version: int
    outcome: ApplicationOutcome
    priority_score: float

    def aggregate_id(self) -> UUID:
        return self.application_id


class StageChanged(EventPayload):
    event_type: ClassVar[str] = "enrolment.stage_changed"
    aggregate_type: ClassVar[str] = "enrolment"

    enrolment_id: UUID
    enterprise_id: UUID
    project_id: UUID
    partner_id: UUID | None
    from_stage: LifecycleStage | None
    to_stage: LifecycleStage
    reason: str | None

    def aggregate_id(self) -> UUID:
        return self.enrolment_id


class ConsentChanged(EventPayload):
    event_type: ClassVar[str] = "consent.changed"
    aggregate_type: ClassVar[str] = "consent"

    consent_id: UUID
    enterprise_id: UUID
    buyer_id: UUID
    status: ConsentStatus

    def aggregate_id(self) -> UUID:
        return self.consent_id


class CohortChanged(EventPayload):
    event_type: ClassVar[str] = "cohort.changed"
    aggregate_type: ClassVar[str] = "cohort"

    cohort_id: UUID
    project_id: UUID
    partner_id: UUID
    module_code: str
    name: str
    start_date: date | None
    enterprise_ids: list[UUID]
    trainer_ids: list[UUID]

    def aggregate_id(self) -> UUID:
        return self.cohort_id


class ParticipantChanged(EventPayload):
    event_type: ClassVar[str] = "participant.changed"
    aggregate_type: ClassVar[str] = "participant"

    participant_id: UUID
    cohort_id: UUID
    enterprise_id: UUID
    role: ParticipantRole
    sex: Sex
    removed: bool = False

    def aggregate_id(self) -> UUID:
        return self.participant_id


class ModuleProgressChanged(EventPayload):
    event_type: ClassVar[str] = "module_progress.changed"
    aggregate_type: ClassVar[str] = "enterprise"

    enterprise_id: UUID
    cohort_id: UUID
    module_code: str
    status: str
    completed_on: date | None

    def aggregate_id(self) -> UUID:
        return self.enterprise_id


class TrainerCertified(EventPayload):
    event_type: ClassVar[str] = "trainer.certified"
    aggregate_type: ClassVar[str] = "trainer"

    trainer_id: UUID
    organisation_id: UUID | None
    module_code: str
    # The standing now: also sent when a certification is withdrawn back to candidate.
    level: CertificationLevel
    sex: Sex
    country: str
    # The day the certification was awarded (None for a candidate, and in events recorded
    # before it was carried), not the day it was recorded.
    certified_on: date | None = None

    def aggregate_id(self) -> UUID:
        return self.trainer_id


class TrainerUpdated(EventPayload):
    """A trainer's sex, country or organisation changed (a correction, a move): what its
    certifications are counted by."""

    event_type: ClassVar[str] = "trainer.updated"
    aggregate_type: ClassVar[str] = "trainer"

    trainer_id: UUID
    organisation_id: UUID | None
    sex: Sex
    country: str

    def aggregate_id(self) -> UUID:
        return self.trainer_id


class TrainerQuizRecorded(EventPayload):
    """A quiz result on a trainer's certification path (a retake replaces the session's)."""

    event_type: ClassVar[str] = "trainer.quiz_recorded"
    aggregate_type: ClassVar[str] = "trainer"

    trainer_id: UUID
    organisation_id: UUID | None
    module_code: str
    session_number: int
    score: int
    pass_mark: int
    passed: bool
    taken_on: date

    def aggregate_id(self) -> UUID:
        return self.trainer_id


class TrainerAssignmentSubmitted(EventPayload):
    event_type: ClassVar[str] = "trainer.assignment_submitted"
    aggregate_type: ClassVar[str] = "trainer"

    trainer_id: UUID
    organisation_id: UUID | None
    module_code: str
    assignment_id: UUID
    sha256: str

    def aggregate_id(self) -> UUID:
        return self.trainer_id


class TrainingMaterialPublished(EventPayload):
    """A new version of a training material (programme information, not tenant data)."""

    event_type: ClassVar[str] = "training_material.published"
    aggregate_type: ClassVar[str] = "training_material"

    material_id: UUID
    module_code: str
    language: str
    # The material's version (``version`` is the event schema's).
    material_version: int
    sha256: str

    def aggregate_id(self) -> UUID:
        return self.material_id


class AssessmentRecorded(EventPayload):
    """An initial, baseline or comprehensive baseline assessment of an enterprise."""

    event_type: ClassVar[str] = "assessment.recorded"
    aggregate_type: ClassVar[str] = "assessment"

    assessment_id: UUID
    enrolment_id: UUID
    enterprise_id: UUID
    project_id: UUID
    # initial | baseline | comprehensive_baseline
    kind: str
    assessed_on: date
    priority_modules: list[str]

    def aggregate_id(self) -> UUID:
        return self.assessment_id


class CommitmentMeetingRecorded(EventPayload):
    """The meeting with an applicant's CEO or main decision maker, and what it committed to."""

    event_type: ClassVar[str] = "commitment_meeting.recorded"
    aggregate_type: ClassVar[str] = "application"

    meeting_id: UUID
    application_id: UUID
    call_id: UUID
    enterprise_id: UUID
    held_on: date
    # ceo_attends | senior_nominee | none
    commitment: str

    def aggregate_id(self) -> UUID:
        return self.application_id


class OrderStatusShared(EventPayload):
    """An enterprise shared its order status with one buyer (totals; months stay in enrolment)."""

    event_type: ClassVar[str] = "order_status.shared"
    aggregate_type: ClassVar[str] = "enterprise"

    enterprise_id: UUID
    buyer_id: UUID
    months: int
    confirmed: int
    pipeline: int

    def aggregate_id(self) -> UUID:
        return self.enterprise_id


class ProgrammeEventChanged(EventPayload):
    """A programme event (mobilisation, alumni network meeting ...) as it stands now."""

    event_type: ClassVar[str] = "programme_event.changed"
    aggregate_type: ClassVar[str] = "programme_event"

    programme_event_id: UUID
    project_id: UUID
    # mobilisation | alumni_meeting | buyer_supplier_meeting | other
    kind: str
    held_on: date
    cancelled: bool

    def aggregate_id(self) -> UUID:
        return self.programme_event_id


class EventAttendeeFact(BaseModel):
    """One person who attended, by enterprise, role and sex (names stay in enrolment)."""

    model_config = ConfigDict(frozen=True)

    attendee_id: UUID
    enterprise_id: UUID
    role: ParticipantRole
    sex: Sex


class ProgrammeEventAttendance(EventPayload):
    """The whole attendance register of a programme event after it was recorded."""

    event_type: ClassVar[str] = "programme_event.attendance_recorded"
    aggregate_type: ClassVar[str] = "programme_event"

    programme_event_id: UUID
    project_id: UUID
    attendees: list[EventAttendeeFact]

    def aggregate_id(self) -> UUID:
        return self.programme_event_id


EVENT_PAYLOADS: dict[tuple[str, int], type[EventPayload]] = {
    (cls.event_type, cls.version): cls
    for cls in (
        AssessmentRecorded,
        ProgrammeEventChanged,
        ProgrammeEventAttendance,
        CommitmentMeetingRecorded,
        OrderStatusShared,
        EnterpriseRegistered,
        EnterpriseUpdated,
        ApplicationSubmitted,
        ApplicationEvaluated,
        StageChanged,
        ConsentChanged,
        CohortChanged,
        ParticipantChanged,
        ModuleProgressChanged,
        TrainerCertified,
        TrainerUpdated,
        TrainingMaterialPublished,
        TrainerQuizRecorded,
        TrainerAssignmentSubmitted,
    )
}


def parse_payload(envelope: EventEnvelope) -> EventPayload | None:
    """The typed payload, or None for an event type this code does not know (skip it)."""
    model = EVENT_PAYLOADS.get((envelope.event_type, envelope.version))
    return model.model_validate(envelope.payload) if model is not None else None


# --- indicators: implementation records (EIT, improvement projects, satisfaction) ------


class EitChanged(EventPayload):
    """The Enterprise Improvement Team as it stands after any change to it."""

    event_type: ClassVar[str] = "eit.changed"
    aggregate_type: ClassVar[str] = "improvement_team"

    team_id: UUID
    enterprise_id: UUID
    formed_on: date
    meeting_frequency: str | None
    # Current members (not left) by role and sex.
    managers_female: int
    managers_male: int
    workers_female: int
    workers_male: int
    # At least one manager and one worker are current members.
    in_place: bool
    meeting_count: int
    last_meeting_on: date | None

    def aggregate_id(self) -> UUID:
        return self.team_id


class ImprovementProjectChanged(EventPayload):
    event_type: ClassVar[str] = "improvement_project.changed"
    aggregate_type: ClassVar[str] = "improvement_project"

    project_id: UUID
    enterprise_id: UUID
    module_code: str
    title: str
    category: str
    # planned | in_progress | completed | abandoned
    status: str
    started_on: date | None
    completed_on: date | None
    cost: PlainDecimal | None
    savings: PlainDecimal | None
    # ISO 4217 of cost and savings.
    currency: str | None
    before_photo: str | None
    after_photo: str | None

    def aggregate_id(self) -> UUID:
        return self.project_id


class ImprovementPlanChanged(EventPayload):
    """An Enterprise Improvement Plan recorded or moved on (its counts, not its text)."""

    event_type: ClassVar[str] = "improvement_plan.changed"
    aggregate_type: ClassVar[str] = "improvement_plan"

    plan_id: UUID
    enterprise_id: UUID
    module_code: str
    # open | completed
    status: str
    agreed_on: date
    completed_on: date | None
    actions: int
    actions_done: int

    def aggregate_id(self) -> UUID:
        return self.plan_id


class SuggestionChanged(EventPayload):
    """A suggestion of the enterprise's scheme, registered or decided (no title: counts)."""

    event_type: ClassVar[str] = "suggestion.changed"
    aggregate_type: ClassVar[str] = "suggestion"

    suggestion_id: UUID
    enterprise_id: UUID
    submitted_on: date
    # manager | worker, and the sex of who suggested it
    role: str
    sex: str
    # submitted | adopted | rejected
    status: str
    decided_on: date | None
    reward_paid: PlainDecimal | None
    savings: PlainDecimal | None
    currency: str | None

    def aggregate_id(self) -> UUID:
        return self.suggestion_id


class BusinessCaseChanged(EventPayload):
    """A business case recorded, changed or given a photo (the story's text stays in
    indicators; photos are counted, never carried)."""

    event_type: ClassVar[str] = "business_case.changed"
    aggregate_type: ClassVar[str] = "business_case"

    business_case_id: UUID
    enterprise_id: UUID
    improvement_project_id: UUID
    savings: PlainDecimal | None
    currency: str | None
    before_photos: int
    after_photos: int

    def aggregate_id(self) -> UUID:
        return self.business_case_id


class SatisfactionRecorded(EventPayload):
    """A participant's rating of a module (free-text comments stay in indicators)."""

    event_type: ClassVar[str] = "satisfaction.recorded"
    aggregate_type: ClassVar[str] = "satisfaction_response"

    response_id: UUID
    enterprise_id: UUID
    cohort_id: UUID | None
    participant_id: UUID
    module_code: str
    role: ParticipantRole
    sex: Sex
    rating: int
    would_recommend: bool | None
    # The day the rating was given (absent from events before it was recorded).
    rated_on: date | None = None

    def aggregate_id(self) -> UUID:
        return self.response_id


EVENT_PAYLOADS.update(
    {
        (cls.event_type, cls.version): cls
        for cls in (
            EitChanged,
            ImprovementProjectChanged,
            SatisfactionRecorded,
            SuggestionChanged,
            ImprovementPlanChanged,
            BusinessCaseChanged,
        )
    }
)


# --- indicators: catalogue -------------------------------------------------------------


class IndicatorFormulaSnapshot(BaseModel):
    """A derived indicator's formula: numerator / denominator * multiplier, by code."""

    model_config = ConfigDict(frozen=True)

    numerator: str
    denominator: str
    multiplier: PlainDecimal


class IndicatorSnapshot(EventPayload):
    """An indicator definition as it stands after the change (kind, direction ... as text)."""

    aggregate_type: ClassVar[str] = "indicator"

    indicator_id: UUID
    code: str
    # The definition's version (``version`` is the event schema's).
    definition_version: int
    name_en: str
    name_fr: str
    name_es: str
    # yes_no | count | rate | percentage | amount | duration
    kind: str
    unit: str
    # up | down: which way is better
    direction: str
    min_value: PlainDecimal | None
    max_value: PlainDecimal | None
    module_code: str | None
    # Subset of sex, role
    disaggregations: list[str]
    formula: IndicatorFormulaSnapshot | None
    active: bool

    def aggregate_id(self) -> UUID:
        return self.indicator_id


class IndicatorCreated(IndicatorSnapshot):
    event_type: ClassVar[str] = "indicator.created"


class IndicatorChanged(IndicatorSnapshot):
    event_type: ClassVar[str] = "indicator.changed"

    changed_fields: list[str]
    reason: str


EVENT_PAYLOADS.update(
    {(cls.event_type, cls.version): cls for cls in (IndicatorCreated, IndicatorChanged)}
)


# --- indicators: values and measurement rounds -----------------------------------------


class MeasurementRoundCreated(EventPayload):
    event_type: ClassVar[str] = "measurement_round.created"
    aggregate_type: ClassVar[str] = "measurement_round"

    round_id: UUID
    project_id: UUID
    # baseline | endline | follow_up
    kind: str
    sequence: int
    name: str
    starts_on: date
    ends_on: date

    def aggregate_id(self) -> UUID:
        return self.round_id


class IndicatorValueFact(BaseModel):
    """One version of a captured value, with what reporting groups and compares it by."""

    model_config = ConfigDict(frozen=True)

    value_id: UUID
    enterprise_id: UUID
    project_id: UUID
    indicator_id: UUID
    indicator_code: str
    indicator_version: int
    # Either a round (with its kind: baseline | endline | follow_up) or a month.
    round_id: UUID | None
    round_kind: str | None
    round_sequence: int | None
    month: date | None
    # null: the total over that dimension
    sex: Sex | None
    role: ParticipantRole | None
    # Numeric indicators carry value, yes/no ones value_bool.
    value: PlainDecimal | None
    value_bool: bool | None
    currency: str | None
    # draft | submitted | validated | returned
    status: str
    # The value's version: 1, then one more per change (``version`` is the event schema's).
    value_version: int
    # Computed by the platform from the validated values of its formula's inputs.
    derived: bool = False


class ValuesSubmitted(EventPayload):
    """Values submitted for review by one batch or submit call, in parts of at most 500."""

    event_type: ClassVar[str] = "values.submitted"
    aggregate_type: ClassVar[str] = "value_submission"

    submission_id: UUID
    part: int
    parts: int
    count: int
    enterprise_ids: list[UUID]
    value_ids: list[UUID]
    values: list[IndicatorValueFact]

    def aggregate_id(self) -> UUID:
        return self.submission_id


class IndicatorValueSnapshot(IndicatorValueFact, EventPayload):
    aggregate_type: ClassVar[str] = "indicator_value"

    def aggregate_id(self) -> UUID:
        return self.value_id


class ValueValidated(IndicatorValueSnapshot):
    event_type: ClassVar[str] = "value.validated"


class ValueReturned(IndicatorValueSnapshot):
    event_type: ClassVar[str] = "value.returned"

    reason: str


class ValueCorrected(IndicatorValueSnapshot):
    """A new version of a validated value (submitted for review again); the old one stays."""

    event_type: ClassVar[str] = "value.corrected"

    previous_value_id: UUID
    previous_value: PlainDecimal | None
    previous_value_bool: bool | None
    reason: str


class ValueWithdrawn(IndicatorValueSnapshot):
    """A validated figure stops counting: withdrawn by a reviewer (status withdrawn), or a
    derived value that can no longer be computed (status not_computable)."""

    event_type: ClassVar[str] = "value.withdrawn"

    reason: str


EVENT_PAYLOADS.update(
    {
        (cls.event_type, cls.version): cls
        for cls in (
            MeasurementRoundCreated,
            ValuesSubmitted,
            ValueValidated,
            ValueReturned,
            ValueCorrected,
            ValueWithdrawn,
        )
    }
)


# --- enrolment: organisations and projects ----------------------------------------------


class OrganisationChanged(EventPayload):
    """A partner, buyer or funder as it stands after the change (reports name them)."""

    event_type: ClassVar[str] = "organisation.changed"
    aggregate_type: ClassVar[str] = "organisation"

    organisation_id: UUID
    name: str
    short_name: str | None
    kind: OrganisationKind
    country: str | None

    def aggregate_id(self) -> UUID:
        return self.organisation_id


class ProjectChanged(EventPayload):
    """A project with its current partner and funder links, after any change to them."""

    event_type: ClassVar[str] = "project.changed"
    aggregate_type: ClassVar[str] = "project"

    project_id: UUID
    name: str
    country: str
    start_date: date | None
    end_date: date | None
    partner_ids: list[UUID]
    funder_ids: list[UUID]

    def aggregate_id(self) -> UUID:
        return self.project_id


EVENT_PAYLOADS.update(
    {(cls.event_type, cls.version): cls for cls in (OrganisationChanged, ProjectChanged)}
)
