"""The impact report: matched-pair figures per indicator as a ReportTable."""

from collections.abc import Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import utcnow
from services.reporting.disclosure import method as disclosure_method
from services.reporting.filters import (
    Dimension,
    RawParams,
    dimension_columns,
    min_group_size_of,
    name_groups,
    parse_report_params,
)
from services.reporting.impact.queries import QUARTILES, REPORT, IndicatorImpact, indicator_impact
from services.reporting.readmodels.models import RmIndicator
from services.reporting.readmodels.service import read_model_service
from services.reporting.report import REPORTS, ColumnKind, ReportColumn, ReportTable
from services.reporting.tenancy import suppression_applies
from shared.identity import Principal
from shared.problems import InvalidInput, field_error

INDICATOR_PARAM = "indicator"

METHOD = (
    "Validated values only, each in its latest validated version: a correction counts once "
    "it is validated, and until then the version it corrects keeps counting; a withdrawn "
    "value no longer counts. Derived indicators (defect rate, accident rate, absenteeism "
    "rate ...) are computed by the indicators service from the validated values of their "
    "inputs (same enterprise, round, sex and role) and count like any validated value. "
    "Matched pairs: an enterprise counts for an indicator when it has a validated baseline "
    "value and a validated endline value of that indicator in the same project, both the "
    "total (not a value by sex or role; with group_by=sex, the female and male parts of "
    "sex-disaggregated indicators instead, each part paired with itself); of each kind the "
    "latest round (highest sequence) holding a validated value is used. An enterprise "
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
    "validated baseline and endline total in one project (group_by=sex: each sex part of a "
    "sex-disaggregated indicator; 422 for an indicator given in totals only). A baseline "
    "of 0 counts in n and % improved but has no relative change (base_zero_excluded). "
    "Percentages and relative changes are rounded to 1 decimal (half to even), absolute "
    "changes to 4. Suppression, for callers outside the owning partner and the ILO: a "
    "figure is shown only over whole blocks of at least SCORE_REPORTING_MIN_GROUP_SIZE "
    "enterprises, so a small group cannot be recovered by subtracting the groups shown "
    "from a total (complementary suppression); suppressed rows keep their dimensions and "
    "say why."
)


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


async def indicator_codes(session: AsyncSession, codes: list[str]) -> dict[str, RmIndicator]:
    """The named indicators, refusing unknown codes (422 naming them)."""
    rows = await session.exec(select(RmIndicator).where(col(RmIndicator.code).in_(codes)))
    found = {indicator.code: indicator for indicator in rows.all()}
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
    session: AsyncSession, principal: Principal, params: RawParams
) -> ReportTable:
    parsed, extra = parse_report_params(params, extra=(INDICATOR_PARAM,))
    min_group_size = min_group_size_of(params)
    codes = list(dict.fromkeys(extra.get(INDICATOR_PARAM, [])))
    if codes:
        named = await indicator_codes(session, codes)
        if Dimension.sex in parsed.group_by:
            _require_parts_by_sex(named.values())
    figures = await indicator_impact(
        session,
        principal,
        params=parsed,
        indicator_codes=codes or None,
        min_group_size=min_group_size,
    )
    indicators = {
        indicator.id: indicator
        for indicator in (
            await session.exec(
                select(RmIndicator).where(
                    col(RmIndicator.id).in_({f.indicator_id for f in figures})
                )
            )
        ).all()
    }
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


REPORTS[REPORT] = impact_report
