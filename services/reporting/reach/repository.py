"""Reach measures, each one aggregate statement over the read models, broken down alike.

Every measure family ("block") has its own facts - completed modules, participants,
cohort membership, trainer certifications, satisfaction ratings - and so its own answer
to each dimension; the blocks' grouped rows are merged on the group key.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Select, and_, cast, func, select
from sqlalchemy.engine import RowMapping
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.params import Dimension, ReportParams, group_key
from services.reporting.readmodels.models import (
    RmCohort,
    RmEnrolment,
    RmEnterprise,
    RmEventAttendee,
    RmImprovementPlan,
    RmModuleProgress,
    RmParticipant,
    RmProgrammeEvent,
    RmProject,
    RmSatisfaction,
    RmSuggestion,
    RmTrainerCertification,
)
from services.reporting.repository import DimensionSql, breakdown
from services.reporting.targets.models import TrainingCost
from services.reporting.tenancy import (
    enterprise_visible,
    project_records_visible,
    project_visible,
    trainer_certification_visible,
)
from shared.identity import Principal
from shared.sql import column_of

REPORT = "reach"
COST_REPORT = "cost_recovery"

# The satisfaction scale is 1 (very dissatisfied) .. 5 (very satisfied), as indicators
# records it; 4 (satisfied) and 5 count as satisfied, as in indicators' own summary.
SATISFIED_RATING = 4
# Trainers count as certified at these levels (candidates are still in training).
CERTIFIED_LEVELS = ("certified", "expert")

GroupKey = tuple[Any, ...]
CELLS = "cell_enterprises"
Statement = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Block:
    """One family of reach measures, and the measure giving its number of enterprises
    (the base of small-group suppression; None for measures not about enterprises)."""

    name: str
    measures: tuple[str, ...]
    enterprises: str | None
    # (params, principal, cells): ``cells`` adds the enterprises behind each row.
    build: Callable[[ReportParams, Principal, bool], Statement]
    dimensions: frozenset[Dimension]


def _enterprise_dimensions(
    *,
    module: Any,
    project: Any,
    partner: Any,
    period: Any,
    sex: Any = None,
) -> dict[Dimension, DimensionSql]:
    """``module`` or ``sex`` None: facts without one (events, suggestions)."""
    dimensions = {
        Dimension.module: DimensionSql(column_of(module if module is not None else project)),
        Dimension.country: DimensionSql(column_of(RmEnterprise.country)),
        Dimension.sector: DimensionSql(column_of(RmEnterprise.sector)),
        Dimension.project: DimensionSql(column_of(project)),
        Dimension.partner: DimensionSql(column_of(partner)),
        Dimension.stage: DimensionSql(column_of(RmEnrolment.stage)),
        Dimension.period: DimensionSql(column_of(period)),
    }
    if sex is not None:
        dimensions[Dimension.sex] = DimensionSql(column_of(sex))
    if module is None:
        del dimensions[Dimension.module]
    return dimensions


def _cells(enterprise: Any, wanted: bool) -> list[Any]:
    """The enterprises behind a row, for disclosure control (``services.reporting.disclosure``)."""
    return [func.array_agg(enterprise.distinct()).label(CELLS)] if wanted else []


def _with_context(
    statement: Statement, enterprise_id: Any, project_id: Any, params: ReportParams
) -> Statement:
    """Outer-join the enterprise (country, sector) and its enrolment in the fact's project
    (stage) when the request needs them."""
    if params.uses(Dimension.country) or params.uses(Dimension.sector):
        statement = statement.outerjoin(RmEnterprise, col(RmEnterprise.id) == enterprise_id)
    if params.uses(Dimension.stage):
        statement = statement.outerjoin(
            RmEnrolment,
            and_(
                col(RmEnrolment.enterprise_id) == enterprise_id,
                col(RmEnrolment.project_id) == project_id,
            ),
        )
    return statement


TRAINED_DIMENSIONS = _enterprise_dimensions(
    module=RmModuleProgress.module_code,
    project=RmCohort.project_id,
    partner=RmCohort.partner_id,
    period=RmModuleProgress.completed_on,
)


def _trained(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    plan = breakdown(params, TRAINED_DIMENSIONS, report=REPORT)
    enterprise = col(RmModuleProgress.enterprise_id)
    statement = select(
        *plan.groups,
        func.count(enterprise.distinct()).label("enterprises_trained"),
        *_cells(enterprise, cells),
    ).select_from(RmModuleProgress)
    statement = statement.join(RmCohort, col(RmCohort.id) == col(RmModuleProgress.cohort_id))
    statement = _with_context(statement, enterprise, col(RmCohort.project_id), params)
    return statement.where(
        col(RmModuleProgress.completed_on).is_not(None),
        enterprise_visible(enterprise, principal),
        project_visible(RmCohort.project_id, principal),
        *plan.conditions,
    ).group_by(*plan.groups)


PARTICIPANT_DIMENSIONS = _enterprise_dimensions(
    module=RmCohort.module_code,
    project=RmCohort.project_id,
    partner=RmCohort.partner_id,
    period=RmCohort.start_date,
    sex=RmParticipant.sex,
)


def _participants(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    plan = breakdown(params, PARTICIPANT_DIMENSIONS, report=REPORT)
    sex, role = col(RmParticipant.sex), col(RmParticipant.role)
    enterprise = col(RmParticipant.enterprise_id)

    def counted(*conditions: Any) -> Any:
        return func.count().filter(and_(*conditions))

    statement = select(
        *plan.groups,
        func.count().label("participants"),
        counted(sex == "female").label("participants_female"),
        counted(sex == "male").label("participants_male"),
        counted(sex == "other").label("participants_other_sex"),
        counted(sex == "not_disclosed").label("participants_sex_not_disclosed"),
        counted(role == "manager", sex == "female").label("managers_female"),
        counted(role == "manager", sex == "male").label("managers_male"),
        counted(role == "worker", sex == "female").label("workers_female"),
        counted(role == "worker", sex == "male").label("workers_male"),
        func.count(enterprise.distinct()).label("participant_enterprises"),
        *_cells(enterprise, cells),
    ).select_from(RmParticipant)
    statement = statement.join(RmCohort, col(RmCohort.id) == col(RmParticipant.cohort_id))
    statement = _with_context(statement, enterprise, col(RmCohort.project_id), params)
    return statement.where(
        col(RmParticipant.removed).is_(False),
        enterprise_visible(enterprise, principal),
        project_visible(RmCohort.project_id, principal),
        *plan.conditions,
    ).group_by(*plan.groups)


def _participating(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    # Each enterprise of a cohort once per group (DISTINCT), then its workforce summed:
    # an enterprise in three cohorts of the group does not triple its workers.
    members = select(
        col(RmCohort.project_id),
        col(RmCohort.partner_id),
        col(RmCohort.module_code),
        col(RmCohort.start_date),
        func.unnest(RmCohort.enterprise_ids).label("enterprise_id"),
    ).subquery("member")
    dimensions = {
        Dimension.module: DimensionSql(members.c.module_code),
        Dimension.country: DimensionSql(column_of(RmEnterprise.country)),
        Dimension.sector: DimensionSql(column_of(RmEnterprise.sector)),
        Dimension.project: DimensionSql(members.c.project_id),
        Dimension.partner: DimensionSql(members.c.partner_id),
        Dimension.stage: DimensionSql(column_of(RmEnrolment.stage)),
        Dimension.period: DimensionSql(members.c.start_date),
    }
    plan = breakdown(params, dimensions, report=REPORT)
    distinct = (
        select(*plan.groups, members.c.enterprise_id, col(RmEnterprise.workforce_total))
        .distinct()
        .select_from(members)
        .outerjoin(RmEnterprise, col(RmEnterprise.id) == members.c.enterprise_id)
    )
    if params.uses(Dimension.stage):
        distinct = distinct.outerjoin(
            RmEnrolment,
            and_(
                col(RmEnrolment.enterprise_id) == members.c.enterprise_id,
                col(RmEnrolment.project_id) == members.c.project_id,
            ),
        )
    facts = distinct.where(
        enterprise_visible(members.c.enterprise_id, principal),
        project_visible(members.c.project_id, principal),
        *plan.conditions,
    ).subquery("participating")
    groups = [facts.c[group_key(dimension)] for dimension in params.group_by]
    return select(
        *groups,
        func.count().label("enterprises_participating"),
        func.coalesce(func.sum(facts.c.workforce_total), 0).label("workers_benefiting"),
        func.count().filter(facts.c.workforce_total.is_(None)).label("workforce_unknown"),
        *_cells(facts.c.enterprise_id, cells),
    ).group_by(*groups)


TRAINER_DIMENSIONS = {
    Dimension.module: DimensionSql(column_of(RmTrainerCertification.module_code)),
    Dimension.country: DimensionSql(column_of(RmTrainerCertification.country)),
    Dimension.partner: DimensionSql(column_of(RmTrainerCertification.organisation_id)),
    # The day certified; certifications recorded before events carried it: the day recorded.
    Dimension.period: DimensionSql(
        func.coalesce(
            col(RmTrainerCertification.certified_on),
            cast(RmTrainerCertification.certified_at, Date),
        )
    ),
    Dimension.sex: DimensionSql(column_of(RmTrainerCertification.sex)),
}


def _trainers(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    # Trainer counts are not enterprise data: never suppressed, so no cells.
    del cells
    plan = breakdown(params, TRAINER_DIMENSIONS, report=REPORT)
    trainer = col(RmTrainerCertification.trainer_id)
    sex = col(RmTrainerCertification.sex)
    return (
        select(
            *plan.groups,
            func.count(trainer.distinct()).label("trainers_certified"),
            func.count(trainer.distinct()).filter(sex == "female").label("trainers_female"),
            func.count(trainer.distinct()).filter(sex == "male").label("trainers_male"),
            func.count(trainer.distinct()).filter(sex == "other").label("trainers_other_sex"),
            func.count(trainer.distinct())
            .filter(sex == "not_disclosed")
            .label("trainers_sex_not_disclosed"),
        )
        .select_from(RmTrainerCertification)
        .where(
            col(RmTrainerCertification.level).in_(CERTIFIED_LEVELS),
            trainer_certification_visible(principal),
            *plan.conditions,
        )
        .group_by(*plan.groups)
    )


SATISFACTION_DIMENSIONS = _enterprise_dimensions(
    module=RmSatisfaction.module_code,
    project=RmCohort.project_id,
    partner=RmCohort.partner_id,
    # The day the rating was given; ratings recorded before ratings were dated: the day
    # they were recorded.
    period=func.coalesce(col(RmSatisfaction.rated_on), cast(RmSatisfaction.recorded_at, Date)),
    sex=RmSatisfaction.sex,
)


def _satisfaction(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    plan = breakdown(params, SATISFACTION_DIMENSIONS, report=REPORT)
    enterprise = col(RmSatisfaction.enterprise_id)
    rating = col(RmSatisfaction.rating)
    statement = select(
        *plan.groups,
        func.count().label("ratings"),
        func.count().filter(rating >= SATISFIED_RATING).label("satisfied"),
        func.count(enterprise.distinct()).label("rated_enterprises"),
        *_cells(enterprise, cells),
    ).select_from(RmSatisfaction)
    statement = statement.outerjoin(RmCohort, col(RmCohort.id) == col(RmSatisfaction.cohort_id))
    statement = _with_context(statement, enterprise, col(RmCohort.project_id), params)
    return statement.where(
        enterprise_visible(enterprise, principal),
        # For a programme manager a rating without a cohort is in no project, so not theirs.
        project_visible(RmCohort.project_id, principal),
        *plan.conditions,
    ).group_by(*plan.groups)


# Programme event kinds, each counted in a column of its own (enrolment's EventKind).
EVENT_KINDS = ("mobilisation", "alumni_meeting", "buyer_supplier_meeting", "other")

EVENT_DIMENSIONS = {
    Dimension.project: DimensionSql(column_of(RmProgrammeEvent.project_id)),
    Dimension.country: DimensionSql(column_of(RmProject.country)),
    Dimension.period: DimensionSql(column_of(RmProgrammeEvent.held_on)),
}


def _held() -> list[Any]:
    """An event counts once held: not cancelled, and its day has come."""
    return [
        col(RmProgrammeEvent.cancelled).is_(False),
        col(RmProgrammeEvent.held_on) <= func.current_date(),
    ]


def _events(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    # Events are project records, not enterprise data: never suppressed, so no cells.
    del cells
    plan = breakdown(params, EVENT_DIMENSIONS, report=REPORT)
    kind = col(RmProgrammeEvent.kind)
    statement = select(
        *plan.groups,
        func.count().label("events_held"),
        *(func.count().filter(kind == value).label(f"events_{value}") for value in EVENT_KINDS),
    ).select_from(RmProgrammeEvent)
    if params.uses(Dimension.country):
        statement = statement.outerjoin(
            RmProject, col(RmProject.id) == col(RmProgrammeEvent.project_id)
        )
    return statement.where(
        *_held(),
        project_records_visible(RmProgrammeEvent.project_id, principal),
        *plan.conditions,
    ).group_by(*plan.groups)


ATTENDANCE_DIMENSIONS = _enterprise_dimensions(
    module=None,
    project=RmProgrammeEvent.project_id,
    partner=RmEnterprise.partner_id,
    period=RmProgrammeEvent.held_on,
    sex=RmEventAttendee.sex,
)


def _event_attendance(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    plan = breakdown(params, ATTENDANCE_DIMENSIONS, report=REPORT)
    sex = col(RmEventAttendee.sex)
    enterprise = col(RmEventAttendee.enterprise_id)
    statement = select(
        *plan.groups,
        func.count().label("event_attendees"),
        func.count().filter(sex == "female").label("event_attendees_female"),
        func.count().filter(sex == "male").label("event_attendees_male"),
        func.count().filter(sex == "other").label("event_attendees_other_sex"),
        func.count().filter(sex == "not_disclosed").label("event_attendees_sex_not_disclosed"),
        func.count(enterprise.distinct()).label("event_enterprises"),
        *_cells(enterprise, cells),
    ).select_from(RmEventAttendee)
    statement = statement.join(
        RmProgrammeEvent, col(RmProgrammeEvent.id) == col(RmEventAttendee.event_id)
    )
    if params.uses(Dimension.partner) and not (
        params.uses(Dimension.country) or params.uses(Dimension.sector)
    ):
        statement = statement.outerjoin(RmEnterprise, col(RmEnterprise.id) == enterprise)
    statement = _with_context(statement, enterprise, col(RmProgrammeEvent.project_id), params)
    return statement.where(
        *_held(),
        enterprise_visible(enterprise, principal),
        project_visible(RmProgrammeEvent.project_id, principal),
        *plan.conditions,
    ).group_by(*plan.groups)


def _enrolled_dimensions(
    *, module: Any, period: Any, sex: Any = None
) -> dict[Dimension, DimensionSql]:
    """Facts of an enterprise with no project of their own (its improvement plans and
    suggestions) count in each project the enterprise is enrolled in, with that
    enrolment's partner and stage."""
    return _enterprise_dimensions(
        module=module,
        project=RmEnrolment.project_id,
        partner=RmEnrolment.partner_id,
        period=period,
        sex=sex,
    )


def _enrolled_facts(
    statement: Statement, enterprise: Any, params: ReportParams, principal: Principal
) -> Statement:
    statement = statement.join(RmEnrolment, col(RmEnrolment.enterprise_id) == enterprise)
    if params.uses(Dimension.country) or params.uses(Dimension.sector):
        statement = statement.outerjoin(RmEnterprise, col(RmEnterprise.id) == enterprise)
    return statement.where(
        enterprise_visible(enterprise, principal),
        project_visible(RmEnrolment.project_id, principal),
    )


PLAN_DIMENSIONS = _enrolled_dimensions(
    module=RmImprovementPlan.module_code, period=RmImprovementPlan.completed_on
)


def _plans(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    plan = breakdown(params, PLAN_DIMENSIONS, report=REPORT)
    enterprise = col(RmImprovementPlan.enterprise_id)
    # An enterprise enrolled in two projects joins twice: count plans, not join rows.
    statement = select(
        *plan.groups,
        func.count(col(RmImprovementPlan.id).distinct()).label("improvement_plans_completed"),
        func.count(enterprise.distinct()).label("plan_enterprises"),
        *_cells(enterprise, cells),
    ).select_from(RmImprovementPlan)
    statement = _enrolled_facts(statement, enterprise, params, principal)
    return statement.where(col(RmImprovementPlan.status) == "completed", *plan.conditions).group_by(
        *plan.groups
    )


SUGGESTION_DIMENSIONS = _enrolled_dimensions(
    module=None, period=RmSuggestion.decided_on, sex=RmSuggestion.sex
)


def _suggestions(params: ReportParams, principal: Principal, cells: bool = False) -> Statement:
    plan = breakdown(params, SUGGESTION_DIMENSIONS, report=REPORT)
    enterprise = col(RmSuggestion.enterprise_id)
    statement = select(
        *plan.groups,
        func.count(col(RmSuggestion.id).distinct()).label("suggestions_adopted"),
        func.count(enterprise.distinct()).label("suggestion_enterprises"),
        *_cells(enterprise, cells),
    ).select_from(RmSuggestion)
    statement = _enrolled_facts(statement, enterprise, params, principal)
    return statement.where(col(RmSuggestion.status) == "adopted", *plan.conditions).group_by(
        *plan.groups
    )


BLOCKS = (
    Block(
        "trained",
        ("enterprises_trained",),
        "enterprises_trained",
        _trained,
        frozenset(TRAINED_DIMENSIONS),
    ),
    Block(
        "participants",
        (
            "participants",
            "participants_female",
            "participants_male",
            "participants_other_sex",
            "participants_sex_not_disclosed",
            "managers_female",
            "managers_male",
            "workers_female",
            "workers_male",
            "participant_enterprises",
        ),
        "participant_enterprises",
        _participants,
        frozenset(PARTICIPANT_DIMENSIONS),
    ),
    Block(
        "participating",
        ("enterprises_participating", "workers_benefiting", "workforce_unknown"),
        "enterprises_participating",
        _participating,
        frozenset(Dimension) - {Dimension.sex},
    ),
    Block(
        "trainers",
        (
            "trainers_certified",
            "trainers_female",
            "trainers_male",
            "trainers_other_sex",
            "trainers_sex_not_disclosed",
        ),
        None,
        _trainers,
        frozenset(TRAINER_DIMENSIONS),
    ),
    Block(
        "satisfaction",
        ("ratings", "satisfied", "rated_enterprises"),
        "rated_enterprises",
        _satisfaction,
        frozenset(SATISFACTION_DIMENSIONS),
    ),
    Block(
        "events",
        ("events_held", *(f"events_{kind}" for kind in EVENT_KINDS)),
        None,
        _events,
        frozenset(EVENT_DIMENSIONS),
    ),
    Block(
        "event_attendance",
        (
            "event_attendees",
            "event_attendees_female",
            "event_attendees_male",
            "event_attendees_other_sex",
            "event_attendees_sex_not_disclosed",
            "event_enterprises",
        ),
        "event_enterprises",
        _event_attendance,
        frozenset(ATTENDANCE_DIMENSIONS),
    ),
    Block(
        "improvement_plans",
        ("improvement_plans_completed", "plan_enterprises"),
        "plan_enterprises",
        _plans,
        frozenset(PLAN_DIMENSIONS),
    ),
    Block(
        "suggestions",
        ("suggestions_adopted", "suggestion_enterprises"),
        "suggestion_enterprises",
        _suggestions,
        frozenset(SUGGESTION_DIMENSIONS),
    ),
)


def applicable(block: Block, params: ReportParams) -> bool:
    return all(d in block.dimensions for d in Dimension if params.uses(d))


COST_DIMENSIONS = {
    Dimension.project: DimensionSql(column_of(TrainingCost.project_id)),
    Dimension.country: DimensionSql(column_of(RmProject.country)),
    Dimension.period: DimensionSql(column_of(TrainingCost.period_start)),
    Dimension.module: DimensionSql(column_of(RmCohort.module_code)),
    Dimension.partner: DimensionSql(column_of(RmCohort.partner_id)),
}


class ReachRepository:
    async def block_rows(
        self,
        session: AsyncSession,
        block: Block,
        params: ReportParams,
        principal: Principal,
        *,
        cells: bool = False,
    ) -> Sequence[RowMapping]:
        """One measure family's grouped counts (``cells``: with the enterprises behind them)."""
        return (await session.execute(block.build(params, principal, cells))).mappings().all()

    async def cost_rows(
        self, session: AsyncSession, principal: Principal, params: ReportParams
    ) -> Sequence[RowMapping]:
        """Training cost entries per group and currency: entries and the two sums."""
        plan = breakdown(params, COST_DIMENSIONS, report=COST_REPORT)
        currency = col(TrainingCost.currency)
        groups = [*plan.groups, currency.label("currency")]
        statement = (
            select(
                *groups,
                func.count().label("entries"),
                func.sum(col(TrainingCost.total_cost)).label("total_cost"),
                func.sum(col(TrainingCost.non_ilo_contribution)).label("non_ilo_contribution"),
            )
            .select_from(TrainingCost)
            .where(project_records_visible(TrainingCost.project_id, principal), *plan.conditions)
            .group_by(*groups)
            .order_by(*groups)
        )
        if params.uses(Dimension.country):
            statement = statement.outerjoin(
                RmProject, col(RmProject.id) == col(TrainingCost.project_id)
            )
        if params.uses(Dimension.module) or params.uses(Dimension.partner):
            statement = statement.outerjoin(
                RmCohort, col(RmCohort.id) == col(TrainingCost.cohort_id)
            )
        return (await session.execute(statement)).mappings().all()


reach_repository = ReachRepository()
