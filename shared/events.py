"""Event contracts: the envelope every feed serves and the versioned payloads inside it.

A payload's ``event_type`` and ``version`` travel with it; a consumer looks the pair up in
``EVENT_PAYLOADS`` to parse it. A breaking change adds a new version, never edits one.
"""

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.enums import (
    ApplicationOutcome,
    CertificationLevel,
    ConsentStatus,
    LifecycleStage,
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
    level: CertificationLevel
    sex: Sex
    country: str

    def aggregate_id(self) -> UUID:
        return self.trainer_id


EVENT_PAYLOADS: dict[tuple[str, int], type[EventPayload]] = {
    (cls.event_type, cls.version): cls
    for cls in (
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
    )
}


def parse_payload(envelope: EventEnvelope) -> EventPayload | None:
    """The typed payload, or None for an event type this code does not know (skip it)."""
    model = EVENT_PAYLOADS.get((envelope.event_type, envelope.version))
    return model.model_validate(envelope.payload) if model is not None else None
