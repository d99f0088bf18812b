"""Exports of any registered report, and the improvement chart drawn from the impact report."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.exports.chart import Bar, Chart
from services.reporting.params import Dimension, group_key, parse_query
from services.reporting.report import REPORTS, ReportTable
from shared.identity import Principal
from shared.problems import InvalidInput, NotFound

IMPACT_REPORT = "impact"

# The impact report's columns the chart reads.
INDICATOR_NAME = "indicator_name"
INDICATOR_CODE = "indicator"
N = "n"
PERCENT_IMPROVED = "improved_pct"
DIMENSIONS = frozenset(dimension.value for dimension in Dimension)


def filename(report: str, extension: str) -> str:
    return f"score-{report}-{date.today().isoformat()}.{extension}"


class ExportService:
    def available(self) -> list[str]:
        return sorted(REPORTS)

    async def run(
        self,
        session: AsyncSession,
        report: str,
        query: Sequence[tuple[str, str]],
        *,
        principal: Principal,
        min_group_size: int,
    ) -> ReportTable:
        """The report computed for the caller from the request's own query string, checked
        against that report's parameters as its own route checks them."""
        found = REPORTS.get(report)
        if found is None:
            available = self.available()
            raise NotFound(
                f"There is no report '{report}'; available: {', '.join(available)}",
                available=available,
            )
        params = parse_query(found.params, query)
        return await found.run(session, principal, params, min_group_size=min_group_size)

    async def improvement_chart(
        self,
        session: AsyncSession,
        query: Sequence[tuple[str, str]],
        *,
        principal: Principal,
        min_group_size: int,
    ) -> Chart:
        table = await self.run(
            session, IMPACT_REPORT, query, principal=principal, min_group_size=min_group_size
        )
        return improvement_chart(table)


def _dimension_labels(table: ReportTable, row: dict[str, Any]) -> list[str]:
    # Grouped impact reports have one bar per indicator and group: name the group too.
    keys = {group_key(Dimension(name)) for name in table.group_by if name in DIMENSIONS}
    return [
        str(row[column.key])
        for column in table.columns
        if column.key in keys and row.get(column.key) is not None
    ]


def improvement_chart(table: ReportTable) -> Chart:
    """One bar per indicator (and group) with its n; suppressed groups left out and counted
    in a footnote, as are indicators without a desired direction."""
    keys = {column.key for column in table.columns}
    missing = [key for key in (N, PERCENT_IMPROVED) if key not in keys]
    if missing:
        raise InvalidInput(
            f"The {table.report} report has no {', '.join(missing)} column to chart",
        )
    bars: list[Bar] = []
    suppressed = 0
    for row in table.rows:
        if row.get("suppressed"):
            suppressed += 1
            continue
        percent, n = row.get(PERCENT_IMPROVED), row.get(N)
        if percent is None or not n:
            continue
        name = str(row.get(INDICATOR_NAME) or row.get(INDICATOR_CODE) or "")
        label = " - ".join([name, *_dimension_labels(table, row)])
        bars.append(Bar(label=label, percent=float(percent), n=int(n)))
    footnotes = [
        "n: matched pairs - enterprises with both a validated baseline and endline value.",
        f"Method: {table.method}",
    ]
    if suppressed:
        footnotes.insert(
            0,
            f"{suppressed} group(s) with fewer than {table.min_group_size} enterprises are "
            "not shown (confidentiality).",
        )
    if table.filters:
        footnotes.append(
            "Filters: "
            + "; ".join(f"{name} = {_text(value)}" for name, value in table.filters.items())
        )
    footnotes.append(f"Generated {table.generated_at:%Y-%m-%d %H:%M} UTC from SCORE reporting.")
    return Chart(
        title="% of enterprises reporting improvement",
        subtitle="Share of enterprises whose indicator moved in the desired direction "
        "from baseline to endline",
        bars=bars,
        footnotes=footnotes,
    )


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value)
    return str(value)


export_service = ExportService()
