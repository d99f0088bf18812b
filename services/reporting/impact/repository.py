"""Matched-pair impact per indicator, computed in one SQL statement on the read models.

A matched pair is an enterprise with a validated baseline and a validated endline total
(sex and role null) of the same indicator in the same project; its figures are aggregated
in Postgres (FILTER, percentile_cont) so no value is loaded into Python.
"""

from collections.abc import Collection, Sequence
from decimal import Decimal
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
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.params import Dimension, PeriodGrain, ReportParams
from services.reporting.readmodels.models import (
    RmCohort,
    RmEnrolment,
    RmEnterprise,
    RmIndicator,
    RmProject,
    RmRound,
    RmValue,
)
from services.reporting.repository import Breakdown, DimensionSql, breakdown
from services.reporting.tenancy import row_visible
from shared.identity import Principal
from shared.sql import column_of

REPORT = "impact"
VALIDATED = "validated"
BASELINE = "baseline"
ENDLINE = "endline"
YES_NO = "yes_no"
QUARTILES = (0.25, 0.5, 0.75)


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


UNIVERSE = (
    Dimension.country,
    Dimension.project,
    Dimension.partner,
    Dimension.sector,
    Dimension.module,
    Dimension.period,
    Dimension.stage,
)


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


class ImpactRepository:
    async def figures(
        self,
        session: AsyncSession,
        principal: Principal,
        params: ReportParams,
        *,
        indicator_codes: Collection[str] | None,
        enterprise_ids: Collection[UUID] | None,
        cells: bool,
    ) -> Sequence[RowMapping]:
        """One row per indicator and group of ``params.group_by`` with the pairs' tallies;
        ``cells``: with the enterprises behind each row, for disclosure control."""
        pairs = matched_pairs(
            principal,
            indicator_codes=indicator_codes,
            enterprise_ids=enterprise_ids,
            by_sex=Dimension.sex in params.group_by,
        )
        modules = pair_modules()
        plan = breakdown(params, impact_dimensions(pairs, modules), report=REPORT)
        statement = _aggregate(pairs, modules, params, plan, cells=cells)
        return (await session.execute(statement)).mappings().all()

    async def enterprises_by_fact(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        indicator_codes: Collection[str] | None,
        enterprise_ids: Collection[UUID] | None,
        by_sex: bool,
    ) -> Sequence[RowMapping]:
        """Every pair the caller may see, whatever the request's filters: per indicator and
        combination of dimension values (``UNIVERSE``, by month), the enterprises (``cells``)."""
        universe = ReportParams(
            group_by=(*UNIVERSE, *((Dimension.sex,) if by_sex else ())),
            period_grain=PeriodGrain.month,
        )
        pairs = matched_pairs(
            principal,
            indicator_codes=indicator_codes,
            enterprise_ids=enterprise_ids,
            by_sex=by_sex,
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
        return (await session.execute(statement)).mappings().all()

    async def pairs(
        self,
        session: AsyncSession,
        principal: Principal,
        params: ReportParams,
        *,
        indicator_code: str,
        sex: str | None,
    ) -> Sequence[RowMapping]:
        """The pairs behind one figure, with both sides' value ids and versions."""
        pairs = matched_pairs(
            principal, indicator_codes=[indicator_code], by_sex=sex is not None, with_values=True
        )
        modules = pair_modules()
        plan = breakdown(params, impact_dimensions(pairs, modules), report=REPORT)
        statement = with_joins(
            select(
                pairs.c.enterprise_id,
                pairs.c.project_id,
                pairs.c.sex,
                pairs.c.base_value_id,
                pairs.c.end_value_id,
                pairs.c.base_version,
                pairs.c.end_version,
                pairs.c.base,
                pairs.c.end,
                pairs.c.base_bool,
                pairs.c.end_bool,
            ).select_from(pairs),
            pairs,
            modules,
            params,
        )
        if sex is not None:
            statement = statement.where(pairs.c.sex == sex)
        statement = statement.where(*plan.conditions).order_by(
            pairs.c.enterprise_id, pairs.c.project_id
        )
        return (await session.execute(statement)).mappings().all()

    async def pairs_of_enterprises(
        self, session: AsyncSession, principal: Principal, enterprise_ids: Sequence[UUID]
    ) -> list[
        tuple[
            UUID,
            UUID,
            RmIndicator,
            str | None,
            str | None,
            Decimal | None,
            Decimal | None,
            bool | None,
            bool | None,
        ]
    ]:
        """Per enterprise, its pairs with their indicator, project name and endline round
        name; one statement for the whole batch, under the caller's tenancy."""
        pairs = matched_pairs(principal, enterprise_ids=list(enterprise_ids))
        endline_round = aliased(RmRound)
        statement = (
            select(
                pairs.c.enterprise_id,
                pairs.c.project_id,
                RmIndicator,
                col(RmProject.name),
                col(endline_round.name),
                pairs.c.base,
                pairs.c.end,
                pairs.c.base_bool,
                pairs.c.end_bool,
            )
            .select_from(pairs)
            .join(RmIndicator, col(RmIndicator.id) == pairs.c.indicator_id)
            .outerjoin(RmProject, col(RmProject.id) == pairs.c.project_id)
            .outerjoin(endline_round, col(endline_round.id) == pairs.c.end_round_id)
            .order_by(pairs.c.enterprise_id, col(RmIndicator.code), col(RmProject.name))
        )
        return [tuple(row) for row in await session.execute(statement)]

    async def indicators_by_code(
        self, session: AsyncSession, codes: Collection[str]
    ) -> dict[str, RmIndicator]:
        rows = await session.execute(select(RmIndicator).where(col(RmIndicator.code).in_(codes)))
        return {indicator.code: indicator for indicator in rows.scalars().all()}

    async def indicators_by_id(
        self, session: AsyncSession, ids: Collection[UUID]
    ) -> dict[UUID, RmIndicator]:
        if not ids:
            return {}
        rows = await session.execute(select(RmIndicator).where(col(RmIndicator.id).in_(ids)))
        return {indicator.id: indicator for indicator in rows.scalars().all()}

    async def enterprise_names(self, session: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
        if not ids:
            return {}
        rows = await session.execute(
            select(col(RmEnterprise.id), col(RmEnterprise.name)).where(
                col(RmEnterprise.id).in_(ids)
            )
        )
        return {enterprise_id: name for enterprise_id, name in rows.all()}


impact_repository = ImpactRepository()
