"""Logframe targets and training cost entries (validated, tenant-checked, audited writes),
and targets versus actuals: each target's actual from the read models, % met and whether
it is on track."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import changes
from services.reporting.impact.service import indicator_impact
from services.reporting.params import ReportParams
from services.reporting.reach.service import cost_recovery_rows, reach_groups
from services.reporting.readmodels.models import RmProject
from services.reporting.readmodels.service import read_model_service
from services.reporting.report import (
    REPORTS,
    ColumnKind,
    Report,
    ReportColumn,
    ReportTable,
)
from services.reporting.targets.models import Target, TrainingCost
from services.reporting.targets.repository import (
    cost_repository,
    project_lookup,
    target_repository,
)
from services.reporting.targets.schemas import (
    CostCreate,
    CostPublic,
    MetricInfo,
    TargetCreate,
    TargetPublic,
    TargetsParams,
    TargetUpdate,
)
from services.reporting.tenancy import partner_delivers, suppression_applies
from shared.columns import utcnow
from shared.decimals import rounded
from shared.enums import Role
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error

REPORT = "targets"
IMPACT_PREFIX = "impact:"


class MetricKind(StrEnum):
    cumulative = "cumulative"  # accumulates over the period: pro-rated to elapsed time
    rate = "rate"  # a percentage: compared with the target as it stands


@dataclass(frozen=True)
class ReachMetric:
    label: str
    kind: MetricKind
    block: str
    measure: str
    # The measure giving the number of units behind the actual.
    n_measure: str
    description: str
    # Trainers belong to no project: their targets are scoped by country.
    by_country_only: bool = False


REACH_METRICS: dict[str, ReachMetric] = {
    "enterprises_trained": ReachMetric(
        "Enterprises trained",
        MetricKind.cumulative,
        "trained",
        "enterprises_trained",
        "enterprises_trained",
        "Distinct enterprises that completed a module in the period",
    ),
    "enterprises_participating": ReachMetric(
        "Enterprises participating",
        MetricKind.cumulative,
        "participating",
        "enterprises_participating",
        "enterprises_participating",
        "Distinct enterprises in cohorts starting in the period",
    ),
    "workers_benefiting": ReachMetric(
        "Workers benefiting",
        MetricKind.cumulative,
        "participating",
        "workers_benefiting",
        "enterprises_participating",
        "Total workforce of the enterprises participating in the period",
    ),
    "participants": ReachMetric(
        "Participants",
        MetricKind.cumulative,
        "participants",
        "participants",
        "participants",
        "People on the participant lists of cohorts starting in the period",
    ),
    "participants_female": ReachMetric(
        "Women participants",
        MetricKind.cumulative,
        "participants",
        "participants_female",
        "participants",
        "Women on the participant lists of cohorts starting in the period",
    ),
    "share_women_pct": ReachMetric(
        "Share of women among participants (%)",
        MetricKind.rate,
        "participants",
        "participants_female",
        "participants",
        "Women participants / participants x 100",
    ),
    "trainers_certified": ReachMetric(
        "Trainers certified",
        MetricKind.cumulative,
        "trainers",
        "trainers_certified",
        "trainers_certified",
        "Trainers certified in the period in the target's (or project's) country",
        by_country_only=True,
    ),
    "trainers_female": ReachMetric(
        "Women trainers certified",
        MetricKind.cumulative,
        "trainers",
        "trainers_female",
        "trainers_certified",
        "Women trainers certified in the period in the target's (or project's) country",
        by_country_only=True,
    ),
    "satisfaction_rate_pct": ReachMetric(
        "Satisfaction rate (%)",
        MetricKind.rate,
        "satisfaction",
        "satisfied",
        "ratings",
        "Ratings of 4 or 5 (of 5) / ratings x 100, recorded in the period",
    ),
}
COST_RECOVERY = "cost_recovery_pct"


def metric_catalogue() -> list[MetricInfo]:
    metrics = [
        MetricInfo(metric=name, label=m.label, kind=m.kind.value, description=m.description)
        for name, m in REACH_METRICS.items()
    ]
    metrics.append(
        MetricInfo(
            metric=COST_RECOVERY,
            label="Cost recovery (%)",
            kind=MetricKind.rate.value,
            description="Non-ILO contributions / training cost x 100, entries in the period "
            "(only when they share one currency)",
        )
    )
    metrics.append(
        MetricInfo(
            metric=f"{IMPACT_PREFIX}<indicator code>",
            label="% of enterprises improving an indicator",
            kind=MetricKind.rate.value,
            description="% of matched pairs that improved in the desired direction, "
            "endline round ending in the period (see GET /impact)",
        )
    )
    return metrics


def metric_kind(metric: str) -> MetricKind:
    if metric in REACH_METRICS:
        return REACH_METRICS[metric].kind
    return MetricKind.rate


async def check_metric(session: AsyncSession, metric: str, *, field: str) -> None:
    """Refuse a metric no actual can be computed for (422 naming the field and the rule)."""
    if metric in REACH_METRICS or metric == COST_RECOVERY:
        return
    if metric.startswith(IMPACT_PREFIX):
        code = metric.removeprefix(IMPACT_PREFIX)
        direction = await target_repository.indicator_direction(session, code)
        if direction is None:
            raise InvalidInput(
                f"No indicator with code '{code}'",
                errors=[field_error(field, "unknown_indicator", "no such indicator code", metric)],
            )
        if direction not in ("up", "down"):
            raise InvalidInput(
                f"Indicator '{code}' has no desired direction, so no % improved",
                errors=[
                    field_error(field, "no_direction", "the indicator has no desired direction")
                ],
            )
        return
    allowed = [*REACH_METRICS, COST_RECOVERY, f"{IMPACT_PREFIX}<indicator code>"]
    raise InvalidInput(
        f"Unknown metric '{metric}'",
        errors=[field_error(field, "unknown_metric", f"allowed: {', '.join(allowed)}", metric)],
    )


class Status(StrEnum):
    met = "met"
    on_track = "on_track"
    behind = "behind"
    missed = "missed"
    not_started = "not_started"
    no_data = "no_data"
    suppressed = "suppressed"
    not_comparable = "not_comparable"


@dataclass(frozen=True)
class Actual:
    value: float | None
    n: int | None
    status: Status | None = None  # set when the actual itself decides (suppressed...)
    note: str | None = None


def elapsed_share(start: date, end: date, today: date) -> float:
    """How much of the period has passed, counting both end days: 0 before, 1 after."""
    days = (end - start).days + 1
    return min(max(((today - start).days + 1) / days, 0.0), 1.0)


def assess(
    target: Decimal, actual: Actual, kind: MetricKind, start: date, end: date, today: date
) -> tuple[Status, float | None, float | None]:
    """The status, % met and the value expected by today (counts only)."""
    target_value = float(target)
    expected = (
        target_value * elapsed_share(start, end, today) if kind is MetricKind.cumulative else None
    )
    if actual.status is not None:
        return actual.status, None, expected
    if actual.value is None:
        return Status.no_data, None, expected
    pct_met = rounded(100 * Decimal(repr(actual.value)) / target, 1) if target else None
    if actual.value >= target_value:
        return Status.met, pct_met, expected
    if today < start:
        return Status.not_started, pct_met, expected
    if today > end:
        return Status.missed, pct_met, expected
    bar = expected if expected is not None else target_value
    return (Status.on_track if actual.value >= bar else Status.behind), pct_met, expected


async def actual_of(
    session: AsyncSession,
    principal: Principal,
    target: Target,
    *,
    project_country: str | None,
    min_group_size: int,
) -> Actual:
    country = target.country
    scope = ReportParams(
        projects=(target.project_id,),
        countries=(country,) if country else (),
        date_from=target.period_start,
        date_to=target.period_end,
    )
    metric = target.metric
    if metric in REACH_METRICS:
        definition = REACH_METRICS[metric]
        if definition.by_country_only:
            countries = (country or project_country,)
            scope = scope.model_copy(update={"projects": (), "countries": countries})
        groups, _ = await reach_groups(session, principal, scope, only=(definition.block,))
        measures = groups[0].blocks.get(definition.block) if groups else None
        if not measures:
            return Actual(0.0, 0)
        n = measures[definition.n_measure]
        value = measures[definition.measure]
        if definition.kind is MetricKind.rate:
            return Actual(rounded(Decimal(100 * value) / n, 1) if n else None, n)
        return Actual(float(value), n)
    if metric == COST_RECOVERY:
        rows = await cost_recovery_rows(session, principal, scope)
        if not rows:
            return Actual(None, 0)
        if len(rows) > 1:
            currencies = ", ".join(sorted(str(row["currency"]) for row in rows))
            return Actual(
                None,
                sum(int(row["entries"]) for row in rows),
                Status.not_comparable,
                f"Costs are recorded in several currencies ({currencies}); they are not added",
            )
        return Actual(rows[0]["cost_recovery_pct"], int(rows[0]["entries"]))
    code = metric.removeprefix(IMPACT_PREFIX)
    figures = await indicator_impact(
        session, principal, params=scope, indicator_codes=(code,), min_group_size=min_group_size
    )
    if not figures:
        return Actual(None, 0)
    if figures[0].suppressed:
        return Actual(None, None, Status.suppressed, figures[0].suppression_reason)
    return Actual(figures[0].improved_pct, figures[0].n)


METHOD = (
    "Each target's actual is computed from the read models over the target's project (and "
    "country, when the target names one) and period, with the reach and impact reports' "
    "rules: counts (enterprises trained, participants...) are what happened in the period; "
    "rates (share of women, satisfaction, cost recovery, % of enterprises improving an "
    "indicator) are the rate over the period. Trainers certified have no project: their "
    "targets count certifications in the target's (else the project's) country. "
    "% met = actual / target x 100. Status: met when the actual reaches the target; after "
    "the period, missed otherwise; before it, not started. During the period a count is "
    "on track when it reaches the target pro-rated to the elapsed share of the period "
    "(target x days elapsed / days in the period, both ends counted; expected_to_date), "
    "a rate when it reaches the target itself; otherwise behind. no_data: nothing to "
    "compute from; suppressed: an impact figure that is not over whole blocks of at least "
    "the minimum group size of enterprises (too few, or it would give a smaller group away "
    "by subtraction; see the impact report's method), for callers outside the owning "
    "partner and the ILO; "
    "not_comparable: cost entries in several currencies. Counts are not suppressed here: "
    "they are the project's own delivery figures."
)

COLUMNS = [
    ReportColumn(key="target_id", label="Target id", kind=ColumnKind.dimension),
    ReportColumn(key="project_id", label="Project id", kind=ColumnKind.dimension),
    ReportColumn(key="project", label="Project", kind=ColumnKind.text),
    ReportColumn(key="country", label="Country", kind=ColumnKind.dimension),
    ReportColumn(key="metric", label="Metric", kind=ColumnKind.dimension),
    ReportColumn(key="period_start", label="Period start", kind=ColumnKind.date),
    ReportColumn(key="period_end", label="Period end", kind=ColumnKind.date),
    ReportColumn(key="target_value", label="Target", kind=ColumnKind.number),
    ReportColumn(key="actual", label="Actual", kind=ColumnKind.number),
    ReportColumn(
        key="n",
        label="n",
        kind=ColumnKind.integer,
        description="Units behind the actual: enterprises, participants, ratings, pairs...",
    ),
    ReportColumn(key="pct_met", label="% met", kind=ColumnKind.percent),
    ReportColumn(
        key="expected_to_date",
        label="Expected by today",
        kind=ColumnKind.number,
        description="Counts: the target pro-rated to the elapsed share of the period",
    ),
    ReportColumn(key="status", label="Status", kind=ColumnKind.text),
    ReportColumn(key="note", label="Note", kind=ColumnKind.text),
]


async def progress_report(
    session: AsyncSession,
    principal: Principal,
    params: TargetsParams,
    *,
    min_group_size: int,
    today: date | None = None,
) -> ReportTable:
    parsed = params
    today = today or utcnow().date()
    rows: list[dict[str, Any]] = []
    targets = await target_repository.visible_with_projects(
        session, principal, parsed, metrics=params.metric
    )
    for target, project_name, project_country in targets:
        actual = await actual_of(
            session,
            principal,
            target,
            project_country=project_country,
            min_group_size=min_group_size,
        )
        kind = metric_kind(target.metric)
        status, pct_met, expected = assess(
            target.target_value,
            actual,
            kind,
            target.period_start,
            target.period_end,
            today,
        )
        rows.append(
            {
                "target_id": target.id,
                "project_id": target.project_id,
                "project": project_name,
                "country": target.country,
                "metric": target.metric,
                "period_start": target.period_start,
                "period_end": target.period_end,
                "target_value": float(target.target_value),
                "actual": actual.value,
                "n": actual.n,
                "pct_met": pct_met,
                "expected_to_date": rounded(expected, 1),
                "status": status.value,
                "note": actual.note,
                "suppressed": status is Status.suppressed,
            }
        )
    filters = parsed.echo()
    if params.metric:
        filters["metric"] = list(params.metric)
    return ReportTable(
        report=REPORT,
        title="Targets versus actuals",
        method=METHOD + f" Today is taken as {today.isoformat()}.",
        filters=filters,
        columns=COLUMNS,
        rows=rows,
        min_group_size=min_group_size if suppression_applies(principal) else None,
        suppressed_rows=sum(1 for row in rows if row["suppressed"]),
        generated_at=utcnow(),
        data_as_of=await read_model_service.feed_positions(session),
    )


REPORTS[REPORT] = Report(TargetsParams, progress_report)


HUNDRED = Decimal(100)


def _may_set_targets(principal: Principal, project_id: UUID) -> bool:
    """The ILO for any project, a programme manager for their own."""
    if principal.role is Role.ilo_global:
        return True
    return principal.role is Role.programme_manager and principal.project_id == project_id


async def _may_record_costs(session: AsyncSession, principal: Principal, project_id: UUID) -> bool:
    """Besides who sets targets, the partners delivering the project (they bill the fees)."""
    if _may_set_targets(principal, project_id):
        return True
    return principal.role is Role.partner_staff and await partner_delivers(
        session, principal.organisation_id, project_id
    )


async def _project_or_422(session: AsyncSession, project_id: UUID) -> RmProject:
    project = await project_lookup.project(session, project_id)
    if project is None:
        raise InvalidInput(
            f"Project {project_id} is not known to reporting",
            errors=[
                field_error(
                    "body.project_id", "unknown_project", "no such project", str(project_id)
                )
            ],
        )
    return project


def _check_country(project: RmProject, country: str | None) -> None:
    if country is not None and country != project.country:
        raise InvalidInput(
            f"The project runs in {project.country}, not {country}",
            errors=[
                field_error(
                    "body.country",
                    "country_not_in_project",
                    f"the project's country is {project.country}",
                    country,
                )
            ],
        )


def _check_value(metric: str, value: Decimal) -> None:
    if metric_kind(metric) is MetricKind.rate and value > HUNDRED:
        raise InvalidInput(
            f"{metric} is a percentage: the target cannot exceed 100",
            errors=[field_error("body.target_value", "max_100", "at most 100", str(value))],
        )


class TargetService:
    async def get_or_404(
        self, session: AsyncSession, target_id: UUID, *, principal: Principal
    ) -> Target:
        target = await target_repository.get(session, target_id, principal=principal)
        if target is None:
            raise NotFound(f"Target {target_id} not found")
        return target

    async def get(
        self, session: AsyncSession, target_id: UUID, *, principal: Principal
    ) -> TargetPublic:
        return TargetPublic.build(await self.get_or_404(session, target_id, principal=principal))

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_ids: Sequence[UUID] = (),
        metric: str | None = None,
    ) -> Page[TargetPublic]:
        rows = await target_repository.get_all(
            session, principal=principal, page=page, project_ids=project_ids, metric=metric
        )
        return make_page([TargetPublic.build(t) for t in rows], page.limit, lambda t: t.id)

    async def _check_unique(
        self, session: AsyncSession, target: Target, *, excluding: UUID | None
    ) -> None:
        duplicate = await target_repository.find_scope(
            session,
            project_id=target.project_id,
            country=target.country,
            metric=target.metric,
            period_start=target.period_start,
            period_end=target.period_end,
            excluding=excluding,
        )
        if duplicate is not None:
            raise Conflict(
                "The project already has a target for this metric, country and period",
                errors=[
                    field_error(
                        "body.metric",
                        "duplicate_target",
                        f"target {duplicate.id} has the same scope; update it instead",
                        target.metric,
                    )
                ],
                existing_id=str(duplicate.id),
            )

    async def create(
        self, session: AsyncSession, body: TargetCreate, *, principal: Principal
    ) -> TargetPublic:
        if not _may_set_targets(principal, body.project_id):
            raise Forbidden("Targets are set by the ILO and the project's programme manager")
        project = await _project_or_422(session, body.project_id)
        _check_country(project, body.country)
        await check_metric(session, body.metric, field="body.metric")
        _check_value(body.metric, body.target_value)
        target = Target(**body.model_dump(), created_by=principal.actor)
        await self._check_unique(session, target, excluding=None)
        try:
            # A concurrent request may have set a target of the same scope since the check.
            async with session.begin_nested():
                session.add(target)
        except IntegrityError:
            await self._check_unique(session, target, excluding=None)
            raise
        public = TargetPublic.build(target)
        await changes.audit(
            session,
            principal=principal,
            action="target.created",
            entity_type="target",
            entity_id=target.id,
            after=public,
        )
        return public

    async def update(
        self, session: AsyncSession, target_id: UUID, body: TargetUpdate, *, principal: Principal
    ) -> TargetPublic:
        target = await self.get_or_404(session, target_id, principal=principal)
        if not _may_set_targets(principal, target.project_id):
            raise Forbidden("Targets are changed by the ILO and the project's programme manager")
        before = TargetPublic.build(target)
        changed = body.model_dump(exclude_unset=True)
        for name in ("metric", "period_start", "period_end", "target_value"):
            if name in changed and changed[name] is None:
                raise InvalidInput(
                    f"{name} cannot be emptied",
                    errors=[field_error(f"body.{name}", "required", "give a value or omit it")],
                )
        if "metric" in changed:
            await check_metric(session, changed["metric"], field="body.metric")
        for name, value in changed.items():
            setattr(target, name, value)
        if target.period_end < target.period_start:
            raise InvalidInput(
                "period_end is before period_start",
                errors=[
                    field_error(
                        "body.period_end",
                        "period_order",
                        f"must not be before period_start ({target.period_start})",
                        target.period_end.isoformat(),
                    )
                ],
            )
        _check_value(target.metric, target.target_value)
        await self._check_unique(session, target, excluding=target.id)
        target.updated_at = utcnow()
        session.add(target)
        await session.flush()
        after = TargetPublic.build(target)
        await changes.audit(
            session,
            principal=principal,
            action="target.updated",
            entity_type="target",
            entity_id=target.id,
            before=before,
            after=after,
        )
        return after

    async def delete(self, session: AsyncSession, target_id: UUID, *, principal: Principal) -> None:
        target = await self.get_or_404(session, target_id, principal=principal)
        if not _may_set_targets(principal, target.project_id):
            raise Forbidden("Targets are removed by the ILO and the project's programme manager")
        before = TargetPublic.build(target)
        await session.delete(target)
        await session.flush()
        await changes.audit(
            session,
            principal=principal,
            action="target.deleted",
            entity_type="target",
            entity_id=target_id,
            before=before,
        )


class CostService:
    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_ids: Sequence[UUID] = (),
    ) -> Page[CostPublic]:
        rows = await cost_repository.get_all(
            session, principal=principal, page=page, project_ids=project_ids
        )
        return make_page([CostPublic.build(c) for c in rows], page.limit, lambda c: c.id)

    async def create(
        self, session: AsyncSession, body: CostCreate, *, principal: Principal
    ) -> CostPublic:
        if not await _may_record_costs(session, principal, body.project_id):
            raise Forbidden(
                "Training costs are recorded by the ILO, the project's programme manager and "
                "its delivering partners"
            )
        await _project_or_422(session, body.project_id)
        if body.cohort_id is not None:
            cohort = await project_lookup.cohort(session, body.cohort_id)
            if cohort is None or cohort.project_id != body.project_id:
                raise InvalidInput(
                    "The cohort is not one of the project's",
                    errors=[
                        field_error(
                            "body.cohort_id",
                            "cohort_not_in_project",
                            "a cohort of the project",
                            str(body.cohort_id),
                        )
                    ],
                )
        cost = TrainingCost(**body.model_dump(), created_by=principal.actor)
        session.add(cost)
        await session.flush()
        public = CostPublic.build(cost)
        await changes.audit(
            session,
            principal=principal,
            action="training_cost.created",
            entity_type="training_cost",
            entity_id=cost.id,
            after=public,
        )
        return public


target_service = TargetService()
cost_service = CostService()
