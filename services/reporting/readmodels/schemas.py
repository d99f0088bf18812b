"""Contracts of the read-model endpoints: consumer status and an enterprise as reporting sees it."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field


class FeedStatus(BaseModel):
    source: str = Field(description="The producing service", examples=["enrolment"])
    consumer: str = Field(examples=["reporting.enrolment"])
    feed_url: str
    position: int = Field(description="Position of the last event applied (0: none yet)")
    last_applied_at: datetime | None = Field(
        description="When the consumer last committed an event"
    )
    head_position: int | None = Field(
        description="Newest position in the feed; null when the feed did not answer"
    )
    lag: int | None = Field(
        description="Events in the feed not applied yet; null when the feed did not answer"
    )
    running: bool = Field(description="The consumer runs in this process")
    error: str | None = Field(default=None, description="Why the feed could not be asked")


class ReadModelStatus(BaseModel):
    feeds: list[FeedStatus]
    caught_up: bool = Field(description="Every feed answered and no event is waiting")


class EnrolmentReadModel(BaseModel):
    enrolment_id: UUID
    project_id: UUID
    project_name: str | None
    partner_id: UUID | None
    stage: str
    stage_changed_at: datetime


class ConsentReadModel(BaseModel):
    buyer_id: UUID
    buyer_name: str | None
    status: str
    changed_at: datetime


class ModuleReadModel(BaseModel):
    cohort_id: UUID
    module_code: str
    status: str
    completed_on: date | None


class EnterpriseReadModel(BaseModel):
    """Everything the read models hold about one enterprise, for operators and the ILO."""

    id: UUID
    name: str
    country: str
    sector: str
    sub_sector: str | None
    partner_id: UUID | None
    partner_name: str | None
    workforce_total: int | None
    workforce_female: int | None
    workforce_male: int | None
    registered_at: datetime
    updated_at: datetime
    enrolments: list[EnrolmentReadModel]
    consents: list[ConsentReadModel]
    modules: list[ModuleReadModel]
    values_by_status: dict[str, int] = Field(
        description="Current value versions by status (reports count validated ones)"
    )
    improvement_team_in_place: bool | None
