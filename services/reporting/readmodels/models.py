"""Reporting's read models: the facts of enrolment and indicators, as their events told them.

Reporting never reads another service's database. Each table here is written only by the
feed consumers (``readmodels/projector.py``), one idempotent upsert per event, so replaying
a feed from any position converges on the same rows. Reports are SQL over these tables.

Names start with ``rm_`` so a reader of a query knows the row came from an event.
"""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Index, Numeric, String, UniqueConstraint, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Column, Field

from services.reporting.db import Table
from shared.columns import created_at_field


class RmOrganisation(Table, table=True):
    """Partners, buyers, funders: names for the reports' breakdowns."""

    __tablename__ = "rm_organisation"

    id: UUID = Field(primary_key=True)
    name: str = Field(sa_type=String(200))
    short_name: str | None = Field(default=None, sa_type=String(40))
    kind: str = Field(sa_type=String(40))
    country: str | None = Field(default=None, sa_type=String(2))
    updated_at: datetime = created_at_field()


class RmProject(Table, table=True):
    __tablename__ = "rm_project"

    id: UUID = Field(primary_key=True)
    name: str = Field(sa_type=String(200))
    country: str = Field(sa_type=String(2), index=True)
    start_date: date | None = None
    end_date: date | None = None
    partner_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    funder_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    updated_at: datetime = created_at_field()


class RmEnterprise(Table, table=True):
    __tablename__ = "rm_enterprise"

    id: UUID = Field(primary_key=True)
    name: str = Field(sa_type=String(200))
    country: str = Field(sa_type=String(2), index=True)
    sector: str = Field(sa_type=String(60), index=True)
    sub_sector: str | None = Field(default=None, sa_type=String(60))
    partner_id: UUID | None = Field(default=None, index=True)
    workforce_total: int | None = None
    workforce_female: int | None = None
    workforce_male: int | None = None
    buyer_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    registered_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class RmEnrolment(Table, table=True):
    """An enterprise's place in one project's lifecycle (Level 1, Level 2, alumni...)."""

    __tablename__ = "rm_enrolment"

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    project_id: UUID = Field(index=True)
    partner_id: UUID | None = Field(default=None, index=True)
    stage: str = Field(sa_type=String(40), index=True)
    stage_changed_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class RmConsent(Table, table=True):
    """Whether an enterprise shares its data with one lead buyer; the latest status wins."""

    __tablename__ = "rm_consent"
    __table_args__ = (UniqueConstraint("enterprise_id", "buyer_id"),)

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    buyer_id: UUID = Field(index=True)
    status: str = Field(sa_type=String(20))
    changed_at: datetime = created_at_field()


class RmCohort(Table, table=True):
    __tablename__ = "rm_cohort"

    id: UUID = Field(primary_key=True)
    project_id: UUID = Field(index=True)
    partner_id: UUID = Field(index=True)
    module_code: str = Field(sa_type=String(40), index=True)
    name: str = Field(sa_type=String(200))
    start_date: date | None = None
    enterprise_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    trainer_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    updated_at: datetime = created_at_field()


class RmParticipant(Table, table=True):
    """A person trained in a cohort (managers and workers, by sex)."""

    __tablename__ = "rm_participant"

    id: UUID = Field(primary_key=True)
    cohort_id: UUID = Field(index=True)
    enterprise_id: UUID = Field(index=True)
    role: str = Field(sa_type=String(20))
    sex: str = Field(sa_type=String(20))
    removed: bool = False
    updated_at: datetime = created_at_field()


class RmModuleProgress(Table, table=True):
    """How far an enterprise is with one module in one cohort; completion dates the reach."""

    __tablename__ = "rm_module_progress"
    __table_args__ = (UniqueConstraint("enterprise_id", "cohort_id", "module_code"),)

    id: UUID = Field(primary_key=True)  # the event's aggregate: derived, see the projector
    enterprise_id: UUID = Field(index=True)
    cohort_id: UUID = Field(index=True)
    module_code: str = Field(sa_type=String(40), index=True)
    status: str = Field(sa_type=String(20))
    completed_on: date | None = Field(default=None, index=True)
    updated_at: datetime = created_at_field()


class RmTrainerCertification(Table, table=True):
    __tablename__ = "rm_trainer_certification"
    __table_args__ = (UniqueConstraint("trainer_id", "module_code"),)

    id: UUID = Field(primary_key=True)
    trainer_id: UUID = Field(index=True)
    organisation_id: UUID | None = Field(default=None, index=True)
    module_code: str = Field(sa_type=String(40))
    level: str = Field(sa_type=String(20))
    sex: str = Field(sa_type=String(20))
    country: str = Field(sa_type=String(2))
    # When the certification was first recorded; certified_on is the day it was awarded
    # (None in events that did not carry it).
    certified_at: datetime = created_at_field()
    certified_on: date | None = None


class RmIndicator(Table, table=True):
    __tablename__ = "rm_indicator"

    id: UUID = Field(primary_key=True)
    code: str = Field(sa_type=String(60), unique=True)
    definition_version: int
    name_en: str = Field(sa_type=String(200))
    name_fr: str = Field(sa_type=String(200))
    name_es: str = Field(sa_type=String(200))
    kind: str = Field(sa_type=String(20))
    unit: str = Field(sa_type=String(80))
    direction: str = Field(sa_type=String(10))  # "up" | "down" | "none": the desired one
    module_code: str | None = Field(default=None, sa_type=String(40))
    # Parts its values are given in besides the total: sex, role.
    disaggregations: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(10)), nullable=False, server_default="{}"),
    )
    active: bool = True
    updated_at: datetime = created_at_field()


class RmRound(Table, table=True):
    """A measurement round of a project: baseline, endline or a follow-up."""

    __tablename__ = "rm_round"

    id: UUID = Field(primary_key=True)
    project_id: UUID = Field(index=True)
    kind: str = Field(sa_type=String(20))
    sequence: int
    name: str = Field(sa_type=String(200))
    starts_on: date
    ends_on: date


class RmValue(Table, table=True):
    """The version of one indicator value that counts, else the current one in any status.

    One row per slot (enterprise, indicator, round or month, sex, role). A validated
    version keeps its row until its successor is validated or it is withdrawn: a
    correction under review (or returned) only notes itself in ``pending_*``, so a
    published figure never stops counting while its correction waits. A draft, submitted
    or returned version takes the row of a slot with no validated version. Reports count
    validated values only.
    """

    __tablename__ = "rm_value"
    __table_args__ = (
        Index(
            "uq_rm_value_slot",
            "enterprise_id",
            "indicator_id",
            "round_id",
            "month",
            "sex",
            "role",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_rm_value_impact", "indicator_code", "round_kind", "status"),
        # The impact report's scan: validated baseline/endline totals in DISTINCT ON
        # order, values included, so it is an index-only scan with no sort
        # (benchmarks/reporting_impact.py).
        Index(
            "ix_rm_value_pairs",
            "enterprise_id",
            "project_id",
            "indicator_id",
            "round_kind",
            text("round_sequence DESC"),
            postgresql_include=["value", "value_bool", "currency"],
            postgresql_where=text(
                "status = 'validated' AND sex IS NULL AND role IS NULL "
                "AND round_kind IN ('baseline', 'endline')"
            ),
        ),
    )

    value_id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    project_id: UUID = Field(index=True)
    indicator_id: UUID
    indicator_code: str = Field(sa_type=String(60))
    indicator_version: int
    round_id: UUID | None = None
    round_kind: str | None = Field(default=None, sa_type=String(20))
    round_sequence: int | None = None
    month: date | None = None
    sex: str | None = Field(default=None, sa_type=String(20))  # null: the total
    role: str | None = Field(default=None, sa_type=String(10))  # null: all roles
    value: Decimal | None = Field(default=None, sa_type=Numeric)
    value_bool: bool | None = None
    currency: str | None = Field(default=None, sa_type=String(3))
    status: str = Field(sa_type=String(20))
    value_version: int
    # Computed by indicators from its formula's inputs (null: events before it was told).
    derived: bool | None = None
    # A newer version awaiting review (submitted, returned, draft) of a validated value.
    pending_value_id: UUID | None = None
    pending_status: str | None = Field(default=None, sa_type=String(20))
    updated_at: datetime = created_at_field()


# What the reports read of a pair beside its key (ix_rm_pair_project).
PAIR_INCLUDED = [
    "indicator_code",
    "base",
    "end",
    "base_bool",
    "end_bool",
    "end_round_id",
    "currency",
    "change",
    "relative_change",
]


class RmPair(Table, table=True):
    """A matched pair as the impact report counts it: per enterprise, project and indicator
    (and per sex part, ``sex`` null for the total), the latest validated baseline and
    endline values. Kept by the projector whenever a value of the slot changes
    (``impact.repository.refresh_pairs``), so a report reads pairs instead of pairing values
    on every request. Only what can pair is stored: both sides present, one currency.
    """

    __tablename__ = "rm_pair"
    __table_args__ = (
        Index(
            "uq_rm_pair",
            "enterprise_id",
            "project_id",
            "indicator_id",
            "sex",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_rm_pair_indicator", "indicator_code", "sex"),
        # A project's pairs (a programme manager's reports, their suppression blocks) read
        # from this index alone, in one stretch, instead of pages all over the table.
        Index(
            "ix_rm_pair_project",
            "project_id",
            "sex",
            "indicator_id",
            "enterprise_id",
            postgresql_include=PAIR_INCLUDED,
        ),
    )

    # Derived from the key (impact.repository.pair_id), identical on every replay.
    id: UUID = Field(primary_key=True)
    enterprise_id: UUID
    project_id: UUID
    indicator_id: UUID
    indicator_code: str = Field(sa_type=String(60))
    sex: str | None = Field(default=None, sa_type=String(20))  # null: the total
    base: Decimal | None = Field(default=None, sa_type=Numeric)
    end: Decimal | None = Field(default=None, sa_type=Numeric)
    base_bool: bool | None = None
    end_bool: bool | None = None
    end_round_id: UUID | None = None
    currency: str | None = Field(default=None, sa_type=String(3))
    # end - base, and as % of |base| (null for a base of 0): impact.repository.changes.
    change: float | None = None
    relative_change: float | None = None


class RmImprovementTeam(Table, table=True):
    __tablename__ = "rm_improvement_team"

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    formed_on: date
    in_place: bool
    managers_female: int
    managers_male: int
    workers_female: int
    workers_male: int
    meeting_count: int
    last_meeting_on: date | None = None
    updated_at: datetime = created_at_field()


class RmImprovementProject(Table, table=True):
    __tablename__ = "rm_improvement_project"

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    module_code: str = Field(sa_type=String(40))
    title: str = Field(sa_type=String(200))
    category: str = Field(sa_type=String(40))
    status: str = Field(sa_type=String(20))
    started_on: date | None = None
    completed_on: date | None = None
    cost: Decimal | None = Field(default=None, sa_type=Numeric)
    savings: Decimal | None = Field(default=None, sa_type=Numeric)
    currency: str | None = Field(default=None, sa_type=String(3))
    updated_at: datetime = created_at_field()


class RmImprovementPlan(Table, table=True):
    """An Enterprise Improvement Plan's status and counts (indicators owns its text)."""

    __tablename__ = "rm_improvement_plan"

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    module_code: str = Field(sa_type=String(40))
    status: str = Field(sa_type=String(20))
    agreed_on: date
    completed_on: date | None = None
    actions: int
    actions_done: int
    updated_at: datetime = created_at_field()


class RmSuggestion(Table, table=True):
    """A suggestion of an enterprise's scheme (indicators' register, without its title)."""

    __tablename__ = "rm_suggestion"

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    role: str = Field(sa_type=String(10))
    sex: str = Field(sa_type=String(20))
    status: str = Field(sa_type=String(20))
    submitted_on: date
    decided_on: date | None = None
    reward_paid: Decimal | None = Field(default=None, sa_type=Numeric)
    savings: Decimal | None = Field(default=None, sa_type=Numeric)
    currency: str | None = Field(default=None, sa_type=String(3))
    updated_at: datetime = created_at_field()


class RmSatisfaction(Table, table=True):
    __tablename__ = "rm_satisfaction"

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    cohort_id: UUID | None = Field(default=None, index=True)
    participant_id: UUID
    module_code: str = Field(sa_type=String(40))
    role: str = Field(sa_type=String(20))
    sex: str = Field(sa_type=String(20))
    rating: int
    would_recommend: bool | None = None
    # The day the rating was given (null: recorded before ratings were dated).
    rated_on: date | None = None
    recorded_at: datetime = created_at_field()


class RmProgrammeEvent(Table, table=True):
    """A programme event of a project (mobilisation, alumni network meeting ...)."""

    __tablename__ = "rm_programme_event"

    id: UUID = Field(primary_key=True)
    project_id: UUID = Field(index=True)
    kind: str = Field(sa_type=String(40))
    held_on: date
    cancelled: bool = False
    updated_at: datetime = created_at_field()


class RmEventAttendee(Table, table=True):
    """A person who attended a programme event, by enterprise, role and sex (no name)."""

    __tablename__ = "rm_event_attendee"

    id: UUID = Field(primary_key=True)
    event_id: UUID = Field(index=True)
    enterprise_id: UUID = Field(index=True)
    role: str = Field(sa_type=String(20))
    sex: str = Field(sa_type=String(20))
    updated_at: datetime = created_at_field()
