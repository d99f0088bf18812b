"""The impact report (matched-pair figures per indicator as a ReportTable) and the
explanation of one of its figures (the pairs behind it, with their value ids)."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.disclosure import Blocks, Fact, fact, partition
from services.reporting.disclosure import method as disclosure_method
from services.reporting.impact.repository import QUARTILES, REPORT, YES_NO, impact_repository
from services.reporting.impact.schemas import (
    ImpactExplanation,
    ImpactParams,
    MatchedPair,
    PairSide,
    PairsParams,
)
from services.reporting.params import Dimension, ReportParams, group_key
from services.reporting.readmodels.models import RmIndicator
from services.reporting.readmodels.service import read_model_service
from services.reporting.report import (
    REPORTS,
    ColumnKind,
    Report,
    ReportColumn,
    ReportTable,
    dimension_columns,
)
from services.reporting.repository import name_groups
from services.reporting.suppliers.service import change_of
from services.reporting.tenancy import sees_every_pair, suppression_applies
from shared.collector import collector_paused
from shared.columns import utcnow
from shared.decimals import rounded
from shared.enums import Role
from shared.identity import Principal
from shared.problems import Forbidden, InvalidInput, field_error
from shared.schemas import SummedPart

INDICATOR_PARAM = "indicator"

METHOD = (
    "Validated values only, each in its latest validated version: a correction counts once "
    "it is validated, and until then the version it corrects keeps counting; a withdrawn "
    "value no longer counts. Derived indicators (defect rate, accident rate, absenteeism "
    "rate ...) are computed by the indicators service from the validated values of their "
    "inputs (same enterprise, round, sex and role; for a total, a count or amount input "
    "recorded only as its parts is their sum, by the rule below) and count like any "
    "validated value. "
    "Matched pairs: an enterprise counts for an indicator when it has a validated baseline "
    "value and a validated endline value of that indicator in the same project, both the "
    "total (not a value by sex or role; with group_by=sex, the female and male parts of "
    "sex-disaggregated indicators instead, each part paired with itself); of each kind the "
    "latest round (highest sequence) holding a validated value is used. A count or amount "
    "recorded in a round only as its parts (no validated total) has the sum of its validated "
    "parts as its total: female and male (with other and not_disclosed where validated), or "
    "every role of an indicator given by role only, in one currency; a recorded total always "
    "wins, and rates, percentages, durations and yes/no values are never summed. An enterprise "
    "with a baseline but no endline (or the reverse) is not a pair and is left out; an "
    "enterprise enrolled in two projects is one pair per project. n is the number of "
    "pairs. "
    "Improved: the endline is better than the baseline in the indicator's desired direction "
    "(higher for 'up', lower for 'down'; for yes/no indicators, adopted at endline but not "
    "at baseline for 'up'); indicators without a desired direction have no % improved. "
    "Relative change: (endline - baseline) / |baseline| x 100, over pairs whose baseline is "
    "not 0 (base_zero_excluded says how many were left out); the median and quartiles are "
    "percentile_cont (linear interpolation); a baseline of 0 has no relative change but "
    "still counts in n and in % improved. Absolute change: median of endline - baseline "
    "in the indicator's unit, given only when the group's amounts share one currency (a "
    "pair whose two values are in different currencies is not a pair). Adoption (yes/no "
    "indicators): % of pairs with the practice at baseline and at endline. Percentages "
    "and relative changes are rounded to 1 decimal, absolute changes to 4. "
    "Breakdowns: country and sector of the enterprise; project of the pair; partner of the "
    "enrolment (else the enterprise's); stage of the enrolment now; period of the endline "
    "round's end date; module: the modules of the project's cohorts the enterprise was in "
    "(grouped by module, a pair counts in each of its modules). "
    "Only enterprises the caller may see are counted."
)


# The rules as integrators read them in the OpenAPI and GraphQL descriptions.
RULES = (
    " Rules: validated values only, each slot in its latest validated version (a "
    "correction counts once validated, the corrected version until then; a withdrawn value "
    "no longer counts); derived rates (defect, accident, absenteeism rate ...) are computed "
    "from their validated inputs and count like any value. A pair is an enterprise's "
    "validated baseline and endline total in one project (of a count or amount given only "
    "as parts: the sum of its validated sex parts, or role parts when given by role only; a "
    "recorded total wins) (group_by=sex: each sex part of a "
    "sex-disaggregated indicator; 422 for an indicator given in totals only). A baseline "
    "of 0 counts in n and % improved but has no relative change (base_zero_excluded). "
    "Percentages and relative changes are rounded to 1 decimal (half to even), absolute "
    "changes to 4. Suppression, for callers outside the owning partner and the ILO: a "
    "figure is shown only over whole blocks of at least SCORE_REPORTING_MIN_GROUP_SIZE "
    "enterprises, so a small group cannot be recovered by subtracting the groups shown "
    "from a total (complementary suppression); suppressed rows keep their dimensions and "
    "say why."
)


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


def _suppression_method(principal: Principal, min_group_size: int) -> str:
    if not suppression_applies(principal):
        return " Small groups are shown: the caller is the owning partner or the ILO."
    return disclosure_method(min_group_size)


COLUMNS = [
    ReportColumn(key="indicator", label="Indicator code", kind=ColumnKind.dimension),
    ReportColumn(key="indicator_name", label="Indicator", kind=ColumnKind.text),
    ReportColumn(key="unit", label="Unit", kind=ColumnKind.text),
    ReportColumn(
        key="direction",
        label="Desired direction",
        kind=ColumnKind.text,
        description="up: higher is better; down: lower is better",
    ),
    ReportColumn(
        key="n",
        label="n (matched pairs)",
        kind=ColumnKind.integer,
        description="Enterprises with both a validated baseline and endline",
    ),
    ReportColumn(key="improved", label="Improved", kind=ColumnKind.integer),
    ReportColumn(
        key="improved_pct",
        label="% improved",
        kind=ColumnKind.percent,
        description="Share of the n pairs that improved in the desired direction",
    ),
    ReportColumn(
        key="base_zero_excluded",
        label="Excluded from relative change (baseline 0)",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="q1_change_pct",
        label=f"Relative change, P{int(QUARTILES[0] * 100)} (%)",
        kind=ColumnKind.number,
    ),
    ReportColumn(
        key="median_change_pct", label="Median relative change (%)", kind=ColumnKind.number
    ),
    ReportColumn(
        key="q3_change_pct",
        label=f"Relative change, P{int(QUARTILES[2] * 100)} (%)",
        kind=ColumnKind.number,
    ),
    ReportColumn(
        key="median_abs_change",
        label="Median absolute change",
        kind=ColumnKind.number,
        description="In the indicator's unit (and currency)",
    ),
    ReportColumn(key="currency", label="Currency", kind=ColumnKind.text),
    ReportColumn(
        key="adoption_before_pct", label="Adoption at baseline (%)", kind=ColumnKind.percent
    ),
    ReportColumn(
        key="adoption_after_pct", label="Adoption at endline (%)", kind=ColumnKind.percent
    ),
    ReportColumn(key="suppression_reason", label="Suppressed", kind=ColumnKind.text),
]


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
    # Unfiltered, a row's enterprises are all its measure's, known from the blocks.
    whole = _unfiltered(params, enterprise_ids)
    rows: Sequence[Mapping[Any, Any]]
    if not controlled and whole and sees_every_pair(principal):
        rows = await impact_repository.unfiltered_figures(session, indicator_codes=indicator_codes)
    else:
        rows = await impact_repository.figures(
            session,
            principal,
            params,
            indicator_codes=indicator_codes,
            enterprise_ids=enterprise_ids,
            cells=controlled and not whole,
        )
    keys = [group_key(dimension) for dimension in params.group_by]
    catalogue = await impact_repository.indicators_by_id(
        session, {row["indicator_id"] for row in rows}
    )
    blocks: dict[tuple[UUID, str | None], _Measure] = {}
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
            measure = blocks.get((row["indicator_id"], row.get("sex")))
            if measure is None:
                measure = _Measure(Blocks(k=min_group_size), ())
            if whole:
                reason = measure.whole_reason
            else:
                cell = row["cell_enterprises"] or []
                if not measure.blocks.shows(cell):
                    reason = measure.blocks.reason(cell)
        indicator = catalogue.get(row["indicator_id"])
        kind = (indicator.kind, indicator.direction) if indicator is not None else None
        figures.append(_figures(row, keys, kind, reason))
    return figures


def _unfiltered(params: ReportParams, enterprise_ids: Collection[UUID] | None) -> bool:
    """No filter nor breakdown: the figures the repository keeps between changes."""
    return enterprise_ids is None and not any(params.uses(d) for d in Dimension)


class _Measure:
    """A measure's blocks and the enterprises they cover: every pair the caller may see."""

    def __init__(self, blocks: Blocks, enterprises: Collection[UUID]) -> None:
        self.blocks = blocks
        self.enterprises = enterprises

    @cached_property
    def whole_reason(self) -> str | None:
        """Why the figure over all the measure's pairs is suppressed (None: it is shown).
        Indicators recorded for the same enterprises share one measure: judged once."""
        if self.blocks.shows(self.enterprises):
            return None
        return self.blocks.reason(self.enterprises)


# An enterprise's dimension values in a project (pair_owners' columns but enterprise_id),
# as (name, value) pairs: hashable, so each combination's facts are made once.
Owner = tuple[tuple[str, Any], ...]


async def _blocks(
    session: AsyncSession,
    principal: Principal,
    *,
    indicator_codes: Collection[str] | None,
    enterprise_ids: Collection[UUID] | None,
    by_sex: bool,
    k: int,
) -> dict[tuple[UUID, str | None], _Measure]:
    """Per indicator (and sex part), the blocks of every pair the caller may see, whatever
    the request's filters (each enterprise with the dimension values of its pairs), and
    those enterprises."""
    scope: dict[str, Any] = {
        "indicator_codes": indicator_codes,
        "enterprise_ids": enterprise_ids,
        "by_sex": by_sex,
    }
    # A measure's facts follow from its cells per project, round (its month) and sex part:
    # measures with the same cells (indicators recorded for the same enterprises alike)
    # have the same blocks, worked out once. Cells are sets: the database lists them in
    # no particular order.
    measures: dict[frozenset[tuple[Any, ...]], list[tuple[UUID, str | None]]] = {}
    cells: dict[tuple[UUID, str | None], list[tuple[Any, ...]]] = {}
    for row in await impact_repository.cells_by_round(session, principal, **scope):
        groups = cells.setdefault((row["indicator_id"], row["sex"]), [])
        groups.append((row["project_id"], row["period"], row["sex"], frozenset(row["cells"])))
    for measure, of_measure in cells.items():
        measures.setdefault(frozenset(of_measure), []).append(measure)
    keys = {
        (enterprise, project)
        for alike in measures
        for project, _, _, enterprises in alike
        for enterprise in enterprises
    }
    owners: dict[tuple[UUID, UUID], list[Owner]] = {}
    # Thousands of enterprises share a few dozen combinations: one tuple each.
    combinations: dict[Owner, Owner] = {}
    if keys:
        for row in await impact_repository.pair_owners(session, keys):
            owner = tuple(item for item in row.items() if item[0] != "enterprise_id")
            owner = combinations.setdefault(owner, owner)
            owners.setdefault((row["enterprise_id"], row["project_id"]), []).append(owner)
    blocks: dict[tuple[UUID, str | None], _Measure] = {}
    for facts_of, alike in measures.items():
        facts = _facts(facts_of, owners)
        blocks.update(dict.fromkeys(alike, _Measure(partition(facts, k), facts.keys())))
    return blocks


def _facts(
    groups: Iterable[tuple[Any, ...]], owners: dict[tuple[UUID, UUID], list[Owner]]
) -> dict[UUID, set[Fact]]:
    """Each enterprise's facts: its dimensions in the project, with the pair's month and
    sex part."""
    facts: dict[UUID, set[Fact]] = {}
    # Enterprises with the same dimensions and pair month share a fact: made once.
    made: dict[tuple[Owner, Any, Any], Fact] = {}
    for project_id, period, sex, enterprises in groups:
        for enterprise in enterprises:
            found = facts.setdefault(enterprise, set())
            for owner in owners[(enterprise, project_id)]:
                one = made.get((owner, period, sex))
                if one is None:
                    one = made[owner, period, sex] = fact(
                        {**dict(owner), "period": period, "sex": sex}
                    )
                found.add(one)
    return facts


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
        improved_pct=(
            rounded(Decimal(100 * improved) / n, 1) if improved is not None and n else None
        ),
        base_zero_excluded=None if yes_no else int(row["base_zero"]),
        q1_change_pct=rounded(q1, 1),
        median_change_pct=rounded(median, 1),
        q3_change_pct=rounded(q3, 1),
        median_abs_change=None if yes_no else rounded(row["median_abs_change"], 4),
        currency=row["currency"],
        adoption_before_pct=(
            rounded(Decimal(100 * row["practised_before"]) / yes_no_pairs, 1)
            if yes_no_pairs
            else None
        ),
        adoption_after_pct=(
            rounded(Decimal(100 * row["practised_after"]) / yes_no_pairs, 1)
            if yes_no_pairs
            else None
        ),
        suppressed=False,
    )


async def indicator_codes(session: AsyncSession, codes: list[str]) -> dict[str, RmIndicator]:
    """The named indicators, refusing unknown codes (422 naming them)."""
    found = await impact_repository.indicators_by_code(session, codes)
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise InvalidInput(
            f"Unknown indicator code(s): {', '.join(unknown)}",
            errors=[
                field_error(f"query.{INDICATOR_PARAM}", "unknown_indicator", "no such code", c)
                for c in unknown
            ],
        )
    return found


def _row(figures: IndicatorImpact, indicator: RmIndicator | None) -> dict[str, Any]:
    row: dict[str, Any] = dict(figures.group)
    row.update(
        indicator=indicator.code if indicator else None,
        indicator_name=indicator.name_en if indicator else None,
        unit=indicator.unit if indicator else None,
        direction=indicator.direction if indicator else None,
        n=figures.n,
        improved=figures.improved,
        improved_pct=figures.improved_pct,
        base_zero_excluded=figures.base_zero_excluded,
        q1_change_pct=figures.q1_change_pct,
        median_change_pct=figures.median_change_pct,
        q3_change_pct=figures.q3_change_pct,
        median_abs_change=figures.median_abs_change,
        currency=figures.currency,
        adoption_before_pct=figures.adoption_before_pct,
        adoption_after_pct=figures.adoption_after_pct,
        suppressed=figures.suppressed,
        suppression_reason=figures.suppression_reason,
    )
    return row


def _require_parts_by_sex(indicators: Iterable[RmIndicator]) -> None:
    """group_by=sex answers only for indicators whose values are given by sex."""
    whole = [i.code for i in indicators if "sex" not in (i.disaggregations or [])]
    if whole:
        raise InvalidInput(
            f"Not disaggregated by sex: {', '.join(whole)} (their values are totals only); "
            "leave out group_by=sex or name sex-disaggregated indicators",
            errors=[
                field_error(
                    "query.group_by",
                    "not_disaggregated_by_sex",
                    f"'{code}' values are totals only",
                    code,
                )
                for code in whole
            ],
        )


async def impact_report(
    session: AsyncSession, principal: Principal, params: ImpactParams, *, min_group_size: int
) -> ReportTable:
    parsed = params
    codes = list(params.indicator)
    if codes:
        named = await indicator_codes(session, codes)
        if Dimension.sex in parsed.group_by:
            _require_parts_by_sex(named.values())
    # Disclosure control works per enterprise the caller may see (thousands of small
    # objects, all alive until the figures are out): no collections meanwhile.
    with collector_paused(suppression_applies(principal)):
        figures = await indicator_impact(
            session,
            principal,
            params=parsed,
            indicator_codes=codes or None,
            min_group_size=min_group_size,
        )
    indicators = await impact_repository.indicators_by_id(
        session, {f.indicator_id for f in figures}
    )
    rows = [_row(f, indicators.get(f.indicator_id)) for f in figures]
    # Indicator first, then the groups: how a reader scans a brochure's table.
    rows.sort(key=lambda row: str(row["indicator"]))
    await name_groups(session, rows, parsed.group_by)
    filters = parsed.echo()
    if codes:
        filters[INDICATOR_PARAM] = codes
    applies = suppression_applies(principal)
    return ReportTable(
        report=REPORT,
        title="Impact: baseline versus endline per indicator",
        method=METHOD + _suppression_method(principal, min_group_size),
        filters=filters,
        group_by=[d.value for d in parsed.group_by],
        columns=dimension_columns(parsed.group_by) + COLUMNS,
        rows=rows,
        min_group_size=min_group_size if applies else None,
        suppressed_rows=sum(1 for f in figures if f.suppressed),
        generated_at=utcnow(),
        data_as_of=await read_model_service.feed_positions(session),
    )


# --- explaining a figure ------------------------------------------------------------------

# Who may trace a figure to its values: whoever may read the enterprises' values one by
# one in the indicators service. Lead buyers follow consenting suppliers' changes in the
# supplier report instead.
EXPLAINERS = frozenset(Role) - {Role.lead_buyer}

EXPLAIN_METHOD = (
    "The matched pairs the impact figure with the same indicator and filters counts (a row "
    "of a breakdown is explained by filtering on its group: country=PK, module=..., "
    "from/to for a period, sex=female for a sex part): per pair the validated baseline "
    "and endline values, in their latest validated version, with their value ids and "
    "versions; a side with no recorded total, the sum of its parts, says so "
    "(derived_from_parts, value_id null) and lists the parts with their value ids and "
    "versions. Only enterprises whose values you may see are listed."
)


def _side(row: Mapping[Any, Any], side: str, *, yes_no: bool) -> PairSide:
    """One side of an explained pair: its value, or the parts it is the sum of."""
    parts = row[f"{side}_parts"]
    return PairSide(
        value_id=row[f"{side}_value_id"],
        version=row[f"{side}_version"],
        value=row[f"{side}_bool"] if yes_no else row[side],
        derived_from_parts=parts is not None,
        parts=[SummedPart.model_validate(part) for part in parts or ()],
    )


async def explain_impact(
    session: AsyncSession, principal: Principal, params: PairsParams
) -> ImpactExplanation:
    if principal.role not in EXPLAINERS:
        raise Forbidden(
            "Lead buyers see their consenting suppliers' changes in /suppliers, not the "
            "values behind programme figures"
        )
    sex = params.sex
    codes = [params.indicator]
    if params.group_by:
        raise InvalidInput(
            "A figure is explained by filters, not a breakdown: filter on the row's group",
            errors=[field_error("query.group_by", "not_supported", "filter instead")],
        )
    [indicator] = (await indicator_codes(session, codes)).values()
    rows = await impact_repository.pairs(
        session, principal, params, indicator_code=indicator.code, sex=sex
    )
    names = await impact_repository.enterprise_names(
        session, {row["enterprise_id"] for row in rows}
    )
    explained = []
    for row in rows:
        change = change_of(
            indicator,
            project_id=row["project_id"],
            project_name=None,
            endline_round=None,
            baseline=row["base"],
            endline=row["end"],
            baseline_bool=row["base_bool"],
            endline_bool=row["end_bool"],
        )
        yes_no = row["base_bool"] is not None
        explained.append(
            MatchedPair(
                enterprise_id=row["enterprise_id"],
                enterprise_name=names.get(row["enterprise_id"]),
                project_id=row["project_id"],
                sex=row["sex"],
                baseline=_side(row, "base", yes_no=yes_no),
                endline=_side(row, "end", yes_no=yes_no),
                change=change.change if change else None,
                relative_change_pct=change.relative_change_percent if change else None,
                improved=change.improved if change else None,
            )
        )
    filters = params.echo()
    filters[INDICATOR_PARAM] = codes
    if sex is not None:
        filters["sex"] = sex
    return ImpactExplanation(
        indicator=indicator.code,
        filters=filters,
        n=len(explained),
        improved=sum(1 for pair in explained if pair.improved),
        pairs=explained,
        method=EXPLAIN_METHOD,
    )


REPORTS[REPORT] = Report(ImpactParams, impact_report)
