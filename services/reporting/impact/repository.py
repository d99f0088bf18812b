"""Matched-pair impact per indicator, computed in one SQL statement on the read models.

A matched pair is an enterprise with a validated baseline and a validated endline total
(sex and role null) of the same indicator in the same project; its figures are aggregated
in Postgres (FILTER, percentile_cont) so no value is loaded into Python.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, array, distinct_on
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.disclosure import Blocks, Fact, fact, partitions
from services.reporting.filters import (
    Breakdown,
    Dimension,
    DimensionSql,
    PeriodGrain,
    ReportParams,
    breakdown,
    column_of,
    group_key,
)
from services.reporting.readmodels.models import (
    RmCohort,
    RmEnrolment,
    RmEnterprise,
    RmIndicator,
    RmRound,
    RmValue,
)
from services.reporting.tenancy import row_visible, suppression_applies
from shared.identity import Principal

REPORT = "impact"
VALIDATED = "validated"
BASELINE = "baseline"
ENDLINE = "endline"
YES_NO = "yes_no"
QUARTILES = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class IndicatorImpact:
    """One indicator's matched-pair figures in one group (all None when suppressed).

    Percentages are 0-100. ``median_abs_change`` is in the indicator's unit (and
    ``currency`` for amounts; None when the group mixes currencies).
    """

    indicator_id: UUID
    group: dict[str, Any]
    n: int | None
    enterprises: int | None
    improved: int | None
    improved_pct: float | None
    base_zero_excluded: int | None
    q1_change_pct: float | None
    median_change_pct: float | None
    q3_change_pct: float | None
    median_abs_change: float | None
    currency: str | None
    adoption_before_pct: float | None
    adoption_after_pct: float | None
    suppressed: bool
    suppression_reason: str | None = None


def _latest_totals(
    principal: Principal,
    *,
    indicator_codes: Collection[str] | None,
    enterprise_ids: Collection[UUID] | None,
    by_sex: bool = False,
    with_values: bool = False,
) -> Subquery:
    """Per enterprise, project, indicator and round kind: the validated total of the
    latest round (highest sequence) of that kind that has one. ``by_sex``: the female and
    male parts instead of the total, each its own series."""
    conditions: list[ColumnElement[bool]] = [
        col(RmValue.status) == VALIDATED,
        col(RmValue.round_kind).in_((BASELINE, ENDLINE)),
        col(RmValue.sex).is_not(None) if by_sex else col(RmValue.sex).is_(None),
        col(RmValue.role).is_(None),
        or_(col(RmValue.value).is_not(None), col(RmValue.value_bool).is_not(None)),
        row_visible(RmValue.enterprise_id, RmValue.project_id, principal),
    ]
    if indicator_codes is not None:
        conditions.append(col(RmValue.indicator_code).in_(indicator_codes))
    if enterprise_ids is not None:
        conditions.append(col(RmValue.enterprise_id).in_(enterprise_ids))
    series = [
        col(RmValue.enterprise_id),
        col(RmValue.project_id),
        col(RmValue.indicator_id),
        *([col(RmValue.sex)] if by_sex else []),
        col(RmValue.round_kind),
    ]
    return (
        select(
            *series,
            col(RmValue.round_id),
            col(RmValue.value),
            col(RmValue.value_bool),
            col(RmValue.currency),
            # Only to explain a figure: the report's own scan reads the index alone.
            *([col(RmValue.value_id), col(RmValue.value_version)] if with_values else []),
        )
        .ext(distinct_on(*series))
        .where(*conditions)
        .order_by(*series, col(RmValue.round_sequence).desc())
        .subquery("latest")
    )


def _value_columns(
    latest: Subquery, is_base: ColumnElement[bool], is_end: ColumnElement[bool], wanted: bool
) -> list[ColumnElement[Any]]:
    """The value ids and versions behind a pair, to explain a figure."""
    if not wanted:
        return []
    return [
        func.array_agg(latest.c.value_id).filter(is_base)[1].label("base_value_id"),
        func.array_agg(latest.c.value_id).filter(is_end)[1].label("end_value_id"),
        func.max(latest.c.value_version).filter(is_base).label("base_version"),
        func.max(latest.c.value_version).filter(is_end).label("end_version"),
    ]


def matched_pairs(
    principal: Principal,
    *,
    indicator_codes: Collection[str] | None = None,
    enterprise_ids: Collection[UUID] | None = None,
    by_sex: bool = False,
    with_values: bool = False,
) -> CTE:
    """Pairs (enterprise, project, indicator; and sex part when ``by_sex``) with both
    sides' values and value ids and versions, the endline round and the currency. A pair
    whose two sides are in different currencies is no pair.

    The two sides are put side by side by one grouping pass over the latest values, not a
    self-join: the planner cannot estimate a join of an aggregate with itself and picks
    nested loops that are quadratic in the number of enterprises.
    """
    latest = _latest_totals(
        principal,
        indicator_codes=indicator_codes,
        enterprise_ids=enterprise_ids,
        by_sex=by_sex,
        with_values=with_values,
    )
    is_base = latest.c.round_kind == BASELINE
    is_end = latest.c.round_kind == ENDLINE
    keys = [
        latest.c.enterprise_id,
        latest.c.project_id,
        latest.c.indicator_id,
        *([latest.c.sex] if by_sex else []),
    ]
    sides = (
        select(
            *keys,
            func.max(latest.c.value).filter(is_base).label("base"),
            func.max(latest.c.value).filter(is_end).label("end"),
            func.bool_or(latest.c.value_bool).filter(is_base).label("base_bool"),
            func.bool_or(latest.c.value_bool).filter(is_end).label("end_bool"),
            func.max(latest.c.currency).filter(is_base).label("base_currency"),
            func.max(latest.c.currency).filter(is_end).label("end_currency"),
            # One endline row per group at most: its round (array_agg, as uuid has no max).
            func.array_agg(latest.c.round_id).filter(is_end)[1].label("end_round_id"),
            *_value_columns(latest, is_base, is_end, with_values),
        )
        .group_by(*keys)
        .subquery("sides")
    )
    return (
        select(
            sides.c.enterprise_id,
            sides.c.project_id,
            sides.c.indicator_id,
            (sides.c.sex if by_sex else null()).label("sex"),
            *(
                [
                    sides.c.base_value_id,
                    sides.c.end_value_id,
                    sides.c.base_version,
                    sides.c.end_version,
                ]
                if with_values
                else []
            ),
            sides.c.base,
            sides.c.end,
            sides.c.base_bool,
            sides.c.end_bool,
            sides.c.end_round_id,
            sides.c.base_currency.label("currency"),
        )
        .where(
            sides.c.base_currency.is_not_distinct_from(sides.c.end_currency),
            or_(
                and_(sides.c.base.is_not(None), sides.c.end.is_not(None)),
                and_(sides.c.base_bool.is_not(None), sides.c.end_bool.is_not(None)),
            ),
        )
        .cte("pairs")
    )


def impact_dimensions(pairs: CTE, modules: Subquery) -> dict[Dimension, DimensionSql]:
    def modules_match(values: Sequence[Any]) -> ColumnElement[bool]:
        return exists().where(
            col(RmCohort.project_id) == pairs.c.project_id,
            pairs.c.enterprise_id == func.any(RmCohort.enterprise_ids),
            col(RmCohort.module_code).in_(values),
        )

    return {
        Dimension.country: DimensionSql(column_of(RmEnterprise.country)),
        Dimension.sector: DimensionSql(column_of(RmEnterprise.sector)),
        Dimension.project: DimensionSql(pairs.c.project_id),
        Dimension.partner: DimensionSql(
            func.coalesce(col(RmEnrolment.partner_id), col(RmEnterprise.partner_id))
        ),
        Dimension.stage: DimensionSql(column_of(RmEnrolment.stage)),
        Dimension.period: DimensionSql(column_of(RmRound.ends_on)),
        Dimension.module: DimensionSql(modules.c.module_code, modules_match),
        # The pairs of each sex part, when the breakdown asks for them (matched_pairs).
        Dimension.sex: DimensionSql(pairs.c.sex),
    }


def pair_modules() -> Subquery:
    # The modules an enterprise was trained in within a project: its cohorts'.
    return (
        select(
            col(RmCohort.project_id),
            func.unnest(RmCohort.enterprise_ids).label("enterprise_id"),
            col(RmCohort.module_code),
        )
        .distinct()
        .subquery("pair_module")
    )


async def indicator_impact(
    session: AsyncSession,
    principal: Principal,
    *,
    params: ReportParams | None = None,
    indicator_codes: Collection[str] | None = None,
    enterprise_ids: Collection[UUID] | None = None,
    min_group_size: int,
    suppress: bool = True,
) -> list[IndicatorImpact]:
    """Matched-pair impact per indicator (and per group of ``params.group_by``).

    The caller's visible enterprises by default; ``enterprise_ids`` narrows them further
    (tenancy still applies). ``suppress=False`` is for a view of enterprises the caller
    may see one by one (an enterprise's own scorecard); aggregates keep it True, so anyone
    outside the owning partner and the ILO sees only figures over whole blocks of at least
    ``min_group_size`` enterprises (``services.reporting.disclosure``).
    """
    params = params or ReportParams()
    by_sex = Dimension.sex in params.group_by
    controlled = suppress and suppression_applies(principal)
    pairs = matched_pairs(
        principal, indicator_codes=indicator_codes, enterprise_ids=enterprise_ids, by_sex=by_sex
    )
    modules = pair_modules()
    plan = breakdown(params, impact_dimensions(pairs, modules), report=REPORT)
    statement = _aggregate(pairs, modules, params, plan, cells=controlled)
    rows = (await session.execute(statement)).mappings().all()
    keys = [group_key(dimension) for dimension in params.group_by]
    catalogue = await _kinds_and_directions(session, {row["indicator_id"] for row in rows})
    blocks: dict[tuple[UUID, str | None], Blocks] = {}
    if controlled and rows:
        blocks = await _blocks(
            session,
            principal,
            indicator_codes=indicator_codes,
            enterprise_ids=enterprise_ids,
            by_sex=by_sex,
            k=min_group_size,
        )
    figures = []
    for row in rows:
        reason = None
        if controlled:
            measure = blocks.get((row["indicator_id"], row.get("sex")), Blocks(k=min_group_size))
            cell = row["cell_enterprises"] or []
            if not measure.shows(cell):
                reason = measure.reason(cell)
        figures.append(_figures(row, keys, catalogue.get(row["indicator_id"]), reason))
    return figures


UNIVERSE = (
    Dimension.country,
    Dimension.project,
    Dimension.partner,
    Dimension.sector,
    Dimension.module,
    Dimension.period,
    Dimension.stage,
)


async def _blocks(
    session: AsyncSession,
    principal: Principal,
    *,
    indicator_codes: Collection[str] | None,
    enterprise_ids: Collection[UUID] | None,
    by_sex: bool,
    k: int,
) -> dict[tuple[UUID, str | None], Blocks]:
    """Per indicator (and sex part), the blocks of every pair the caller may see, whatever
    the request's filters: each enterprise with the dimension values of its pairs."""
    universe = ReportParams(
        group_by=(*UNIVERSE, *((Dimension.sex,) if by_sex else ())),
        period_grain=PeriodGrain.month,
    )
    pairs = matched_pairs(
        principal, indicator_codes=indicator_codes, enterprise_ids=enterprise_ids, by_sex=by_sex
    )
    modules = pair_modules()
    plan = breakdown(universe, impact_dimensions(pairs, modules), report=REPORT)
    groups = [pairs.c.indicator_id, *plan.groups]
    statement = with_joins(
        select(
            *groups, func.array_agg(pairs.c.enterprise_id.distinct()).label("cells")
        ).select_from(pairs),
        pairs,
        modules,
        universe,
        outer_modules=True,
    ).group_by(*groups)
    facts: dict[tuple[UUID, str | None], dict[UUID, set[Fact]]] = {}
    for row in (await session.execute(statement)).mappings().all():
        found = fact(dict(row))
        measure = facts.setdefault((row["indicator_id"], row.get("sex")), {})
        for enterprise in row["cells"]:
            measure.setdefault(enterprise, set()).add(found)
    return partitions(facts, k)


async def _kinds_and_directions(
    session: AsyncSession, indicator_ids: Collection[UUID]
) -> dict[UUID, tuple[str, str]]:
    if not indicator_ids:
        return {}
    rows = await session.execute(
        select(col(RmIndicator.id), col(RmIndicator.kind), col(RmIndicator.direction)).where(
            col(RmIndicator.id).in_(indicator_ids)
        )
    )
    return {indicator_id: (kind, direction) for indicator_id, kind, direction in rows.all()}


def _aggregate(
    pairs: CTE, modules: Subquery, params: ReportParams, plan: Breakdown, *, cells: bool = False
) -> Any:
    # Numeric indicators carry value, yes/no ones value_bool, so every measure below is
    # null (and ignored by its aggregate) for the other kind: no join to the catalogue is
    # needed per pair. Which counts make "improved" is decided by the direction afterwards.
    base, end = pairs.c.base, pairs.c.end
    base_bool, end_bool = pairs.c.base_bool, pairs.c.end_bool
    relative = cast((end - base) / func.abs(func.nullif(base, 0)) * 100, Float)
    quartiles = func.percentile_cont(array([literal(q) for q in QUARTILES])).within_group(relative)
    one_currency = or_(
        func.min(pairs.c.currency).is_(None),
        func.min(pairs.c.currency) == func.max(pairs.c.currency),
    )
    statement = select(
        pairs.c.indicator_id,
        *plan.groups,
        func.count().label("n"),
        func.count(pairs.c.enterprise_id.distinct()).label("enterprises"),
        func.count().filter(end > base).label("increased"),
        func.count().filter(end < base).label("decreased"),
        func.count().filter(and_(end_bool, ~base_bool)).label("adopted"),
        func.count().filter(and_(base_bool, ~end_bool)).label("abandoned"),
        func.count().filter(base == 0).label("base_zero"),
        cast(quartiles, ARRAY(Float)).label("quartiles"),
        case(
            (one_currency, func.percentile_cont(0.5).within_group(cast(end - base, Float))),
            else_=null(),
        ).label("median_abs_change"),
        case((one_currency, func.min(pairs.c.currency)), else_=null()).label("currency"),
        func.count(base_bool).label("yes_no_pairs"),
        func.count().filter(base_bool).label("practised_before"),
        func.count().filter(end_bool).label("practised_after"),
        # The enterprises behind each figure, for disclosure control only.
        *(
            [func.array_agg(pairs.c.enterprise_id.distinct()).label("cell_enterprises")]
            if cells
            else []
        ),
    ).select_from(pairs)
    statement = with_joins(statement, pairs, modules, params)
    if plan.conditions:
        statement = statement.where(*plan.conditions)
    group_columns = [pairs.c.indicator_id, *plan.groups]
    return statement.group_by(*group_columns).order_by(*group_columns)


def _enterprises_of(pairs: CTE) -> Any:
    return func.array_agg(pairs.c.enterprise_id.distinct())


def with_joins(
    statement: Any,
    pairs: CTE,
    modules: Subquery,
    params: ReportParams,
    *,
    outer_modules: bool = False,
) -> Any:
    """The joins the request's dimensions need. ``outer_modules`` keeps the pairs of
    enterprises in no cohort (module null) when grouping by module."""
    uses = params.uses
    if any(uses(d) for d in (Dimension.country, Dimension.sector, Dimension.partner)):
        statement = statement.outerjoin(RmEnterprise, col(RmEnterprise.id) == pairs.c.enterprise_id)
    if uses(Dimension.stage) or uses(Dimension.partner):
        statement = statement.outerjoin(
            RmEnrolment,
            and_(
                col(RmEnrolment.enterprise_id) == pairs.c.enterprise_id,
                col(RmEnrolment.project_id) == pairs.c.project_id,
            ),
        )
    if uses(Dimension.period):
        statement = statement.outerjoin(RmRound, col(RmRound.id) == pairs.c.end_round_id)
    if Dimension.module in params.group_by:
        # Grouped by module, a pair counts once in each module its enterprise took there.
        on = and_(
            modules.c.project_id == pairs.c.project_id,
            modules.c.enterprise_id == pairs.c.enterprise_id,
        )
        statement = (
            statement.outerjoin(modules, on) if outer_modules else statement.join(modules, on)
        )
    return statement


def _figures(
    row: Any,
    keys: list[str],
    indicator: tuple[str, str] | None,
    suppression_reason: str | None,
) -> IndicatorImpact:
    group = {key: row[key] for key in keys}
    if suppression_reason is not None:
        return IndicatorImpact(
            indicator_id=row["indicator_id"],
            group=group,
            n=None,
            enterprises=None,
            improved=None,
            improved_pct=None,
            base_zero_excluded=None,
            q1_change_pct=None,
            median_change_pct=None,
            q3_change_pct=None,
            median_abs_change=None,
            currency=None,
            adoption_before_pct=None,
            adoption_after_pct=None,
            suppressed=True,
            suppression_reason=suppression_reason,
        )
    kind, direction = indicator or ("", "")
    yes_no = kind == YES_NO
    n = int(row["n"])
    improved: int | None = {
        "up": row["adopted"] if yes_no else row["increased"],
        "down": row["abandoned"] if yes_no else row["decreased"],
    }.get(direction)
    q1, median, q3 = row["quartiles"] or (None, None, None)
    yes_no_pairs = int(row["yes_no_pairs"])
    return IndicatorImpact(
        indicator_id=row["indicator_id"],
        group=group,
        n=n,
        enterprises=int(row["enterprises"]),
        improved=improved,
        improved_pct=_round(100.0 * improved / n, 1) if improved is not None and n else None,
        base_zero_excluded=None if yes_no else int(row["base_zero"]),
        q1_change_pct=_round(q1, 1),
        median_change_pct=_round(median, 1),
        q3_change_pct=_round(q3, 1),
        median_abs_change=None if yes_no else _round(row["median_abs_change"], 4),
        currency=row["currency"],
        adoption_before_pct=(
            _round(100.0 * row["practised_before"] / yes_no_pairs, 1) if yes_no_pairs else None
        ),
        adoption_after_pct=(
            _round(100.0 * row["practised_after"] / yes_no_pairs, 1) if yes_no_pairs else None
        ),
        suppressed=False,
    )


def _round(value: Any, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)
