"""Matched-pair impact per indicator, computed in one SQL statement on the read models.

A matched pair is an enterprise with a validated baseline and a validated endline total
(sex and role null; for a count or amount recorded only as its parts, their sum) of the
same indicator in the same project; its figures are aggregated in Postgres (FILTER,
percentile_cont) so no value is loaded into Python.
"""

import functools
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CTE,
    BindParameter,
    Boolean,
    ColumnElement,
    Float,
    Insert,
    Integer,
    String,
    Subquery,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by, array, distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.impact.models import ImpactFigures, PairGeneration
from services.reporting.params import Dimension, PeriodGrain, ReportParams
from services.reporting.readmodels.models import (
    RmCohort,
    RmEnrolment,
    RmEnterprise,
    RmIndicator,
    RmPair,
    RmProject,
    RmRound,
    RmValue,
)
from services.reporting.repository import Breakdown, DimensionSql, breakdown, period_label
from services.reporting.tenancy import row_visible
from shared.enums import ParticipantRole, Role, Sex
from shared.identity import Principal
from shared.sql import column_of, execute_for_each

REPORT = "impact"
VALIDATED = "validated"
BASELINE = "baseline"
ENDLINE = "endline"
YES_NO = "yes_no"
QUARTILES = (0.25, 0.5, 0.75)
# Only counts and amounts add up to their total (the indicators service's ADDITIVE_KINDS):
# a defect rate or a 5S score of women and of men does not sum to everyone's.
ADDITIVE_KINDS = ("count", "amount")
SEX = "sex"
ROLE = "role"
# The parts the indicators service requires of a group (its _group_errors): female and
# male of a sex-disaggregated value (other and not_disclosed only where the enterprise has
# such people), every role of a role-disaggregated one.
REQUIRED_SEX_PARTS = (Sex.female.value, Sex.male.value)
ROLE_PARTS = tuple(role.value for role in ParticipantRole)


# The indicator codes or enterprises a statement is about: the values themselves, or a
# parameter given when a statement built once is run (``refresh_pairs``).
Among = Collection[Any] | BindParameter[Any]


def _latest_totals(
    principal: Principal,
    *,
    indicator_codes: Among | None,
    enterprise_ids: Among | None,
    by_sex: bool = False,
    with_values: bool = False,
) -> Subquery:
    """Per enterprise, project, indicator and round kind: the validated total of the
    latest round (highest sequence) of that kind that has one, recorded or, for an
    additive indicator recorded only as its parts, their sum (``_totals_from_parts``; a
    recorded total wins in its round). ``by_sex``: the female and male parts instead of the
    total, each its own series."""
    conditions: list[ColumnElement[bool]] = [
        col(RmValue.status) == VALIDATED,
        col(RmValue.round_kind).in_((BASELINE, ENDLINE)),
        col(RmValue.sex).is_not(None) if by_sex else col(RmValue.sex).is_(None),
        col(RmValue.role).is_(None),
        or_(col(RmValue.value).is_not(None), col(RmValue.value_bool).is_not(None)),
        *_scope(principal, indicator_codes=indicator_codes, enterprise_ids=enterprise_ids),
    ]
    series = [
        col(RmValue.enterprise_id),
        col(RmValue.project_id),
        col(RmValue.indicator_id),
        # Follows from the id; carried for the stored pairs, which are filtered by code.
        col(RmValue.indicator_code),
        *([col(RmValue.sex)] if by_sex else []),
        col(RmValue.round_kind),
    ]
    recorded = select(
        *series,
        col(RmValue.round_id),
        col(RmValue.value),
        col(RmValue.value_bool),
        col(RmValue.currency),
        # Only to explain a figure: the report's own scan reads the index alone.
        *(
            [
                col(RmValue.value_id),
                col(RmValue.value_version),
                cast(null(), JSONB).label("parts"),
            ]
            if with_values
            else []
        ),
    ).where(*conditions)
    if by_sex:
        return (
            recorded.ext(distinct_on(*series))
            .order_by(*series, col(RmValue.round_sequence).desc())
            .subquery("latest")
        )
    derived = _totals_from_parts(
        principal,
        indicator_codes=indicator_codes,
        enterprise_ids=enterprise_ids,
        with_values=with_values,
    )
    candidates = union_all(
        recorded.add_columns(col(RmValue.round_sequence), literal(False).label("from_parts")),
        derived,
    ).subquery("candidates")
    keys = list(candidates.c)[: len(series)]  # the series' columns come first
    return (
        select(*(c for c in candidates.c if c.key not in ("round_sequence", "from_parts")))
        .ext(distinct_on(*keys))
        .order_by(*keys, candidates.c.round_sequence.desc(), candidates.c.from_parts)
        .subquery("latest")
    )


def _scope(
    principal: Principal,
    *,
    indicator_codes: Among | None,
    enterprise_ids: Among | None,
) -> list[ColumnElement[bool]]:
    """The values the caller may see, of the indicators and enterprises asked for."""
    conditions = [row_visible(RmValue.enterprise_id, RmValue.project_id, principal)]
    if indicator_codes is not None:
        conditions.append(col(RmValue.indicator_code).in_(indicator_codes))
    if enterprise_ids is not None:
        conditions.append(col(RmValue.enterprise_id).in_(enterprise_ids))
    return conditions


def _totals_from_parts(
    principal: Principal,
    *,
    indicator_codes: Among | None,
    enterprise_ids: Among | None,
    with_values: bool,
) -> Any:
    """Per round slot of an additive indicator with validated parts (its sex parts, or the
    role parts of an indicator disaggregated by role only) that the indicators service
    would accept without a total (every required part, one currency): their sum, the
    total they add up to (its rule ``parts_add_up``). Columns as ``_latest_totals``'
    candidates, with the parts summed (as JSON) to explain a figure.

    A batch of parts without totals is normal input there, so without this such an
    enterprise would silently be left out of every figure."""
    by_sex = and_(
        col(RmValue.sex).is_not(None),
        col(RmValue.role).is_(None),
        col(RmIndicator.disaggregations).contains([SEX]),
    )
    by_role = and_(
        col(RmValue.role).is_not(None),
        col(RmValue.sex).is_(None),
        col(RmIndicator.disaggregations) == cast(array([literal(ROLE)]), ARRAY(String)),
    )
    part = func.coalesce(col(RmValue.sex), col(RmValue.role))
    every_part = or_(
        and_(*(func.bool_or(col(RmValue.sex) == one) for one in REQUIRED_SEX_PARTS)),
        and_(*(func.bool_or(col(RmValue.role) == one) for one in ROLE_PARTS)),
    )
    currency = func.coalesce(col(RmValue.currency), "")
    slot = [
        col(RmValue.enterprise_id),
        col(RmValue.project_id),
        col(RmValue.indicator_id),
        col(RmValue.indicator_code),
        col(RmValue.round_kind),
        col(RmValue.round_id),
        col(RmValue.round_sequence),
    ]
    parts = func.jsonb_agg(
        aggregate_order_by(
            func.jsonb_build_object(
                "value_id",
                col(RmValue.value_id),
                "version",
                col(RmValue.value_version),
                "part",
                part,
                "value",
                cast(col(RmValue.value), String),
            ),
            part,
        )
    )
    return (
        select(
            *slot[:5],
            col(RmValue.round_id),
            func.sum(col(RmValue.value)).label("value"),
            cast(null(), Boolean).label("value_bool"),
            func.max(col(RmValue.currency)).label("currency"),
            *(
                [
                    cast(null(), Uuid).label("value_id"),
                    cast(null(), Integer).label("value_version"),
                    parts.label("parts"),
                ]
                if with_values
                else []
            ),
            col(RmValue.round_sequence),
            literal(True).label("from_parts"),
        )
        .join(RmIndicator, col(RmIndicator.id) == col(RmValue.indicator_id))
        .where(
            col(RmIndicator.kind).in_(ADDITIVE_KINDS),
            col(RmValue.status) == VALIDATED,
            col(RmValue.round_kind).in_((BASELINE, ENDLINE)),
            col(RmValue.value).is_not(None),
            or_(by_sex, by_role),
            *_scope(principal, indicator_codes=indicator_codes, enterprise_ids=enterprise_ids),
        )
        .group_by(*slot)
        .having(every_part, func.min(currency) == func.max(currency))
    )


def _value_columns(
    latest: Subquery, is_base: ColumnElement[bool], is_end: ColumnElement[bool], wanted: bool
) -> list[ColumnElement[Any]]:
    """The value ids and versions behind a pair, to explain a figure; a side that is the
    sum of its parts has none, its parts (ids, versions, part, value) instead."""
    if not wanted:
        return []
    return [
        func.array_agg(latest.c.value_id).filter(is_base)[1].label("base_value_id"),
        func.array_agg(latest.c.value_id).filter(is_end)[1].label("end_value_id"),
        func.max(latest.c.value_version).filter(is_base).label("base_version"),
        func.max(latest.c.value_version).filter(is_end).label("end_version"),
        func.array_agg(latest.c.parts).filter(is_base)[1].label("base_parts"),
        func.array_agg(latest.c.parts).filter(is_end)[1].label("end_parts"),
    ]


def matched_pairs(
    principal: Principal,
    *,
    indicator_codes: Collection[str] | None = None,
    enterprise_ids: Collection[UUID] | None = None,
    by_sex: bool = False,
    with_values: bool = False,
) -> CTE:
    """The pairs the caller may see (columns as ``paired_values``): read from the stored
    pairs (``rm_pair``), or paired from the values when ``with_values`` asks for the value
    ids and versions behind each pair (to explain a figure)."""
    if with_values:
        return paired_values(
            principal,
            indicator_codes=indicator_codes,
            enterprise_ids=enterprise_ids,
            by_sex=by_sex,
            with_values=True,
        )
    conditions: list[ColumnElement[bool]] = [
        col(RmPair.sex).is_not(None) if by_sex else col(RmPair.sex).is_(None),
        row_visible(RmPair.enterprise_id, RmPair.project_id, principal),
    ]
    if indicator_codes is not None:
        conditions.append(col(RmPair.indicator_code).in_(indicator_codes))
    if enterprise_ids is not None:
        conditions.append(col(RmPair.enterprise_id).in_(enterprise_ids))
    return (
        select(*(column_of(getattr(RmPair, name)) for name in PAIR_COLUMNS))
        .where(*conditions)
        .cte("pairs")
    )


# What a stored pair holds, in paired_values' column names.
PAIR_COLUMNS = (
    "enterprise_id",
    "project_id",
    "indicator_id",
    "indicator_code",
    "sex",
    "base",
    "end",
    "base_bool",
    "end_bool",
    "end_round_id",
    "currency",
    "change",
    "relative_change",
)
# Pairs are kept for every enterprise; tenancy applies when a report reads them.
EVERYONE = Principal(subject="reporting-pairs", role=Role.ilo_global)


async def refresh_pairs(
    session: AsyncSession,
    *,
    enterprise_ids: Collection[UUID] | None,
    indicator_codes: Collection[str] | None,
) -> None:
    """Pair anew the values of ``enterprise_ids`` x ``indicator_codes`` (None: all), totals
    and sex parts, replacing their stored pairs: called by the projector in the transaction
    that changes the values, so the stored pairs never disagree with them."""
    stale = delete(RmPair)
    if enterprise_ids is not None:
        stale = stale.where(col(RmPair.enterprise_id).in_(enterprise_ids))
    if indicator_codes is not None:
        stale = stale.where(col(RmPair.indicator_code).in_(indicator_codes))
    await session.execute(stale)
    given: dict[str, list[Any]] = {}
    if enterprise_ids is not None:
        given["enterprise_ids"] = list(enterprise_ids)
    if indicator_codes is not None:
        given["indicator_codes"] = list(indicator_codes)
    # On the session's connection: the ORM reads parameters given with an INSERT as rows.
    connection = await session.connection()
    for by_sex in (False, True):
        statement = _pairing(by_sex, enterprise_ids is not None, indicator_codes is not None)
        await connection.execute(statement, given)
    await _outdate_figures(session, indicator_codes=indicator_codes)


@functools.cache
def _pairing(by_sex: bool, some_enterprises: bool, some_codes: bool) -> Insert:
    """The statement storing the pairs of the enterprises and indicator codes given as the
    parameters ``enterprise_ids`` and ``indicator_codes`` (all, where not ``some_``): built
    once per kind, since a projector applying an event re-pairs a few values, and building
    the statement anew took as long as running it."""
    pairs = paired_values(
        EVERYONE,
        indicator_codes=bindparam("indicator_codes", expanding=True) if some_codes else None,
        enterprise_ids=bindparam("enterprise_ids", expanding=True) if some_enterprises else None,
        by_sex=by_sex,
    )
    return insert(RmPair).from_select(
        ["id", *PAIR_COLUMNS],
        select(pair_id(pairs), *(pairs.c[name] for name in PAIR_COLUMNS)),
    )


async def _outdate_figures(
    session: AsyncSession, *, indicator_codes: Collection[str] | None
) -> None:
    """Raise the generation of the re-paired indicators, so a report computing their
    figures from an older state cannot store them as current, and drop their cached
    figures."""
    generation = col(PairGeneration.generation)
    code = col(PairGeneration.indicator_code)
    if indicator_codes is None:
        await session.execute(update(PairGeneration).values(generation=generation + 1))
        await session.execute(
            pg_insert(PairGeneration)
            .from_select(
                ["indicator_code", "generation"],
                select(col(RmPair.indicator_code), literal(1)).distinct(),
            )
            .on_conflict_do_nothing()
        )
        await session.execute(delete(ImpactFigures))
        return
    if not indicator_codes:
        return
    raised = pg_insert(PairGeneration).on_conflict_do_update(
        index_elements=[code], set_={"generation": generation + 1}
    )
    # In code order, so two transactions raising the same codes cannot deadlock.
    await execute_for_each(
        session,
        raised,
        [{"indicator_code": one, "generation": 1} for one in sorted(indicator_codes)],
    )
    await session.execute(
        delete(ImpactFigures).where(col(ImpactFigures.indicator_code).in_(indicator_codes))
    )


def pair_id(pairs: CTE) -> ColumnElement[UUID]:
    """A stored pair's id, from its key: the same pair gets the same id on every replay."""
    key = func.concat_ws(
        "/",
        pairs.c.enterprise_id,
        pairs.c.project_id,
        pairs.c.indicator_id,
        func.coalesce(pairs.c.sex, ""),
    )
    return cast(func.md5(key), Uuid)


def paired_values(
    principal: Principal,
    *,
    indicator_codes: Among | None = None,
    enterprise_ids: Among | None = None,
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
        latest.c.indicator_code,
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
            sides.c.indicator_code,
            (sides.c.sex if by_sex else null()).label("sex"),
            *(
                [
                    sides.c.base_value_id,
                    sides.c.end_value_id,
                    sides.c.base_version,
                    sides.c.end_version,
                    sides.c.base_parts,
                    sides.c.end_parts,
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
            *changes(sides.c.base, sides.c.end),
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


def changes(base: ColumnElement[Any], end: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """A pair's change and relative change (% of |baseline|; null for a baseline of 0),
    computed in numeric and only then made float, as the report's medians take them:
    worked out once per pair when it is stored, not on every report."""
    return [
        cast(end - base, Float).label("change"),
        cast((end - base) / func.abs(func.nullif(base, 0)) * 100, Float).label("relative_change"),
    ]


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
    relative = pairs.c.relative_change
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
            (one_currency, func.percentile_cont(0.5).within_group(pairs.c.change)),
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


# The columns of a row of ``figures`` (``_aggregate``), as ImpactFigures stores them.
FIGURE_COLUMNS = tuple(
    name for name in ImpactFigures.model_fields if name not in ("indicator_code", "generation")
)


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

    async def unfiltered_figures(
        self, session: AsyncSession, *, indicator_codes: Collection[str] | None
    ) -> list[Mapping[str, Any]]:
        """``figures`` over every pair, no filter nor breakdown (the ILO's report), per
        indicator (``indicator_codes``, else every catalogued or paired one): cached figures
        while their generation is current; the others computed, and stored in the same
        statement (one snapshot of pairs and generations)."""
        codes = await self._report_codes(session, indicator_codes)
        cached = await session.execute(
            select(ImpactFigures)
            .join(
                PairGeneration,
                and_(
                    col(PairGeneration.indicator_code) == col(ImpactFigures.indicator_code),
                    col(PairGeneration.generation) == col(ImpactFigures.generation),
                ),
            )
            .where(col(ImpactFigures.indicator_code).in_(codes))
        )
        rows: list[Mapping[str, Any]] = []
        for figures in cached.scalars().all():
            codes.discard(figures.indicator_code)
            if figures.indicator_id is not None:
                rows.append({name: getattr(figures, name) for name in FIGURE_COLUMNS})
        if codes:
            rows += [dict(row) for row in await self._store_figures(session, codes) if row["n"]]
        return sorted(rows, key=lambda row: row["indicator_id"])

    async def _report_codes(
        self, session: AsyncSession, indicator_codes: Collection[str] | None
    ) -> set[str]:
        if indicator_codes is not None:
            return set(indicator_codes)
        catalogued = select(col(RmIndicator.code)).union(select(col(PairGeneration.indicator_code)))
        return set((await session.execute(catalogued)).scalars().all())

    async def _store_figures(
        self, session: AsyncSession, indicator_codes: Collection[str]
    ) -> Sequence[RowMapping]:
        ordered = sorted(indicator_codes)
        pairs = matched_pairs(EVERYONE, indicator_codes=ordered)
        per_code = Breakdown(groups=[pairs.c.indicator_code.label("code")])
        figures = _aggregate(pairs, pair_modules(), ReportParams(), per_code).subquery("figures")
        wanted = select(
            func.unnest(cast(array([literal(one) for one in ordered]), ARRAY(String))).label("code")
        ).subquery("wanted")
        current = (
            select(
                wanted.c.code.label("indicator_code"),
                col(PairGeneration.generation),
                *(figures.c[name] for name in FIGURE_COLUMNS),
            )
            .select_from(wanted)
            .outerjoin(PairGeneration, col(PairGeneration.indicator_code) == wanted.c.code)
            .outerjoin(figures, figures.c.code == wanted.c.code)
            .cte("current")
        )
        # Only figures of a known generation are kept (an indicator never re-paired has
        # none yet); a report that read an older state never overwrites a newer one's.
        stored = pg_insert(ImpactFigures).from_select(
            ["indicator_code", "generation", *FIGURE_COLUMNS],
            select(current)
            .where(current.c.generation.is_not(None))
            .order_by(current.c.indicator_code),
        )
        stored = stored.on_conflict_do_update(
            index_elements=[col(ImpactFigures.indicator_code)],
            set_={name: stored.excluded[name] for name in ("generation", *FIGURE_COLUMNS)},
            where=col(ImpactFigures.generation) < stored.excluded.generation,
        )
        statement = select(current).add_cte(stored.cte("stored"))
        return (await session.execute(statement)).mappings().all()

    async def cells_by_round(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        indicator_codes: Collection[str] | None,
        enterprise_ids: Collection[UUID] | None,
        by_sex: bool,
    ) -> Sequence[RowMapping]:
        """Every pair the caller may see, whatever the request's filters, as the enterprises
        (``cells``, in no particular order) per indicator, sex part, project and endline
        round, with the round's month (``period``): the facts that vary by pair. What
        varies by enterprise and project is ``pair_owners``'."""
        pairs = matched_pairs(
            principal,
            indicator_codes=indicator_codes,
            enterprise_ids=enterprise_ids,
            by_sex=by_sex,
        )
        # Grouped by the endline round's id, not its month: no join nor date formatting per
        # pair, and a hash aggregate instead of sorting every pair. Each group's month is
        # looked up afterwards (two rounds ending in one month give two rows, their
        # enterprises then have the same facts).
        keys = [pairs.c.indicator_id, pairs.c.project_id, pairs.c.end_round_id, pairs.c.sex]
        cells = (
            select(*keys, func.array_agg(pairs.c.enterprise_id).label("cells"))
            .group_by(*keys)
            .subquery("cells")
        )
        statement = select(
            cells.c.indicator_id,
            cells.c.project_id,
            period_label(column_of(RmRound.ends_on), PeriodGrain.month).label("period"),
            cells.c.sex,
            cells.c.cells,
        ).outerjoin_from(cells, RmRound, col(RmRound.id) == cells.c.end_round_id)
        return (await session.execute(statement)).mappings().all()

    async def pair_owners(
        self, session: AsyncSession, owners: Collection[tuple[UUID, UUID]]
    ) -> Sequence[RowMapping]:
        """Per enterprise and project of ``owners``: the dimension values (``UNIVERSE`` but
        period) of its pairs there, a row per module it took."""
        enterprises = [enterprise for enterprise, _ in owners]
        projects = [project for _, project in owners]
        # Looked up for these enterprises only (with the pairs' own tenancy already applied
        # by cells_by_round), not joined to every pair again.
        keys = select(
            func.unnest(literal(enterprises, ARRAY(Uuid))).label("enterprise_id"),
            func.unnest(literal(projects, ARRAY(Uuid))).label("project_id"),
            null().label("sex"),
        ).cte("owners")
        modules = pair_modules()
        universe = ReportParams(group_by=tuple(d for d in UNIVERSE if d is not Dimension.period))
        plan = breakdown(universe, impact_dimensions(keys, modules), report=REPORT)
        statement = with_joins(
            select(keys.c.enterprise_id, *plan.groups).select_from(keys),
            keys,
            modules,
            universe,
            outer_modules=True,
        ).distinct()
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
                pairs.c.base_parts,
                pairs.c.end_parts,
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
