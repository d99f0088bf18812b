"""The Enterprise Improvement Team (EIT), its members and its meetings."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.indicators.db import Table
from shared.columns import created_at_field, timestamp_field
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
    sex: str = Field(sa_type=String(10))
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
