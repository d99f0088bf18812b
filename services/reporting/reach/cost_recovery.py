"""Cost recovery: the share of training cost paid by anyone but the ILO, per currency.

Amounts in different currencies are never added together: currency is always part of the
breakdown, so a project paying in two currencies has a row for each.
"""

from typing import Any

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import utcnow
from services.reporting.filters import (
    Dimension,
    DimensionSql,
    RawParams,
    ReportParams,
    breakdown,
    column_of,
    dimension_columns,
    name_groups,
    parse_report_params,
)
from services.reporting.readmodels.models import RmCohort, RmProject
from services.reporting.readmodels.service import read_model_service
from services.reporting.report import REPORTS, ColumnKind, ReportColumn, ReportTable
from services.reporting.targets.models import TrainingCost
from services.reporting.tenancy import project_records_visible
from shared.identity import Principal

REPORT = "cost_recovery"

METHOD = (
    "Cost recovery = sum of non-ILO contributions / sum of training costs x 100, over the "
    "training cost entries recorded for the projects the caller may see, rounded to 1 "
    "decimal. Amounts in different currencies are never added: every row is one currency. "
    "Period: the entry's period start; country: the project's; module and partner: those "
    "of the entry's cohort (entries without a cohort have none)."
)

DIMENSIONS = {
    Dimension.project: DimensionSql(column_of(TrainingCost.project_id)),
    Dimension.country: DimensionSql(column_of(RmProject.country)),
    Dimension.period: DimensionSql(column_of(TrainingCost.period_start)),
    Dimension.module: DimensionSql(column_of(RmCohort.module_code)),
    Dimension.partner: DimensionSql(column_of(RmCohort.partner_id)),
}

COLUMNS = [
    ReportColumn(key="currency", label="Currency", kind=ColumnKind.dimension),
    ReportColumn(key="entries", label="Cost entries (n)", kind=ColumnKind.integer),
    ReportColumn(key="total_cost", label="Training cost", kind=ColumnKind.number),
    ReportColumn(
        key="non_ilo_contribution", label="Paid by non-ILO sources", kind=ColumnKind.number
    ),
    ReportColumn(key="cost_recovery_pct", label="Cost recovery (%)", kind=ColumnKind.percent),
]


def recovery_pct(non_ilo: Any, total: Any) -> float | None:
    if total is None or not total:
        return None
    return round(float(100 * non_ilo / total), 1)


async def cost_recovery_rows(
    session: AsyncSession, principal: Principal, params: ReportParams
) -> list[dict[str, Any]]:
    """One row per group and currency: entries, the two sums and the recovery %."""
    plan = breakdown(params, DIMENSIONS, report=REPORT)
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
        statement = statement.outerjoin(RmCohort, col(RmCohort.id) == col(TrainingCost.cohort_id))
    rows = []
    for row in (await session.execute(statement)).mappings():
        entry = dict(row)
        # JSON numbers, not strings: report figures are for reading and charting.
        entry["total_cost"] = float(row["total_cost"])
        entry["non_ilo_contribution"] = float(row["non_ilo_contribution"])
        entry["cost_recovery_pct"] = recovery_pct(row["non_ilo_contribution"], row["total_cost"])
        rows.append(entry)
    return rows


async def cost_recovery_report(
    session: AsyncSession, principal: Principal, params: RawParams
) -> ReportTable:
    parsed, _ = parse_report_params(params)
    rows = await cost_recovery_rows(session, principal, parsed)
    await name_groups(session, rows, parsed.group_by)
    return ReportTable(
        report=REPORT,
        title="Cost recovery",
        method=METHOD,
        filters=parsed.echo(),
        group_by=[d.value for d in parsed.group_by],
        columns=dimension_columns(parsed.group_by) + COLUMNS,
        rows=rows,
        generated_at=utcnow(),
        data_as_of=await read_model_service.feed_positions(session),
    )


REPORTS[REPORT] = cost_recovery_report
