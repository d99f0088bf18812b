"""Implementation records: Enterprise Improvement Teams, improvement projects, satisfaction."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Numeric, String, UniqueConstraint
from sqlmodel import Field

from services.indicators.db import Table, created_at_field, timestamp_field, utcnow
from shared.ids import new_id


class ImprovementTeam(Table, table=True):
    """The Enterprise Improvement Team (EIT): managers and workers improving together."""

    __tablename__ = "improvement_team"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(unique=True)
    formed_on: date
    meeting_frequency: str | None = Field(default=None, sa_type=String(60))
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class ImprovementTeamMember(Table, table=True):
    __tablename__ = "improvement_team_member"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    team_id: UUID = Field(foreign_key="improvement_team.id", index=True, ondelete="CASCADE")
    name: str = Field(sa_type=String(200))
    role: str = Field(sa_type=String(10))  # manager | worker
    sex: str = Field(sa_type=String(20))
    position_title: str | None = Field(default=None, sa_type=String(100))
    joined_on: date | None = None
    left_on: date | None = None


class ImprovementTeamMeeting(Table, table=True):
    __tablename__ = "improvement_team_meeting"
    __table_args__ = (UniqueConstraint("team_id", "held_on"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    team_id: UUID = Field(foreign_key="improvement_team.id", index=True, ondelete="CASCADE")
    held_on: date
    attendees_female: int = 0
    attendees_male: int = 0
    topics: str | None = None
    minutes_reference: str | None = Field(default=None, sa_type=String(300))


class ImprovementProject(Table, table=True):
    """An improvement project (5S in the warehouse, a suggestion box ...), with its money."""

    __tablename__ = "improvement_project"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(index=True)
    module_code: str = Field(sa_type=String(40))
    title: str = Field(sa_type=String(200))
    category: str = Field(sa_type=String(60))
    # planned | in_progress | completed | abandoned
    status: str = Field(sa_type=String(20))
    started_on: date | None = None
    completed_on: date | None = None
    cost: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    savings: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    currency: str | None = Field(default=None, sa_type=String(3))
    before_photo: str | None = Field(default=None, sa_type=String(500))
    after_photo: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class SatisfactionResponse(Table, table=True):
    """A training participant's rating of one module (programme-wide rates are published)."""

    __tablename__ = "satisfaction_response"
    __table_args__ = (UniqueConstraint("participant_id", "module_code"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(index=True)
    cohort_id: UUID | None = Field(default=None, index=True)
    participant_id: UUID
    module_code: str = Field(sa_type=String(40))
    role: str = Field(sa_type=String(10))
    sex: str = Field(sa_type=String(20))
    rating: int  # 1 (very dissatisfied) .. 5 (very satisfied)
    would_recommend: bool | None = None
    comments: str | None = None
    # The day the participant gave the rating (backdated within the project's period when
    # paper forms are typed in later); reports date the rating by it.
    rated_on: date = Field(default_factory=lambda: utcnow().date())
    submitted_at: datetime = created_at_field()
