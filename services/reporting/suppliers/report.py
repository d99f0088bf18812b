"""Supplier status as a report table (one row per supplier), so it exports like any report."""

from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import utcnow
from services.reporting.filters import RawParams, ReportParams, breakdown, parse_report_params
from services.reporting.readmodels.service import read_model_service
from services.reporting.report import REPORTS, ColumnKind, ReportColumn, ReportTable
from services.reporting.suppliers.repository import SUPPLIER_DIMENSIONS
from services.reporting.suppliers.schemas import SupplierStatus
from services.reporting.suppliers.service import supplier_service, viewing_buyer
from shared.identity import Principal
from shared.problems import InvalidInput, field_error

REPORT = "suppliers"

COLUMNS = [
    ReportColumn(key="enterprise_id", label="Enterprise id", kind=ColumnKind.dimension),
    ReportColumn(key="enterprise", label="Enterprise", kind=ColumnKind.dimension),
    ReportColumn(key="country", label="Country", kind=ColumnKind.dimension),
    ReportColumn(key="sector", label="Sector", kind=ColumnKind.dimension),
    ReportColumn(
        key="stages",
        label="Stage",
        kind=ColumnKind.text,
        description="Lifecycle stage in each project: 'project: stage'",
    ),
    ReportColumn(key="modules_completed", label="Modules completed", kind=ColumnKind.integer),
    ReportColumn(
        key="modules",
        label="Modules completed (dates)",
        kind=ColumnKind.text,
        description="Each completed module with its completion date, oldest first",
    ),
    ReportColumn(
        key="last_module_completed_on", label="Last module completed on", kind=ColumnKind.date
    ),
    ReportColumn(
        key="eit_in_place",
        label="EIT in place",
        kind=ColumnKind.text,
        description="Enterprise Improvement Team with at least one manager and one worker",
    ),
    ReportColumn(key="eit_formed_on", label="EIT formed on", kind=ColumnKind.date),
    ReportColumn(
        key="improvement_projects_completed",
        label="Improvement projects completed",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="indicators_measured",
        label="Indicators with baseline and endline",
        kind=ColumnKind.integer,
    ),
    ReportColumn(
        key="indicators_improved",
        label="Indicators improved",
        kind=ColumnKind.integer,
        description="Moved in the desired direction from baseline to endline",
    ),
    ReportColumn(
        key="indicator_changes",
        label="Indicator changes",
        kind=ColumnKind.text,
        description="Each indicator's baseline -> endline (relative change)",
    ),
]

METHOD = (
    "One row per enterprise the caller may see; for a lead buyer (or with buyer_id) only "
    "enterprises whose current consent to share with it is 'given' (the one rule of every "
    "service) - a withdrawal removes the row as soon as its event is applied. "
    "Stage: the enterprise's lifecycle stage in each project. Modules: module progress "
    "recorded as completed, with its date. EIT in place: the latest Enterprise Improvement "
    "Team has at least one manager and one worker. Indicator changes: per indicator, the "
    "validated total value at the first baseline round against the last endline round; "
    "improved means moved in the indicator's desired direction."
)


def _number(value: object) -> str:
    text = f"{value:f}" if value is not None else ""
    return text.rstrip("0").rstrip(".") if "." in text else text


def row_of(status: SupplierStatus) -> dict[str, Any]:
    modules = status.modules_completed
    changes = []
    for change in status.indicator_changes:
        if change.kind == "yes_no":
            before = "yes" if change.baseline_adopted else "no"
            after = "yes" if change.endline_adopted else "no"
            changes.append(f"{change.indicator_code}: {before} -> {after}")
        else:
            relative = change.relative_change_percent
            share = "" if relative is None else f" ({relative:+.1f}%)"
            changes.append(
                f"{change.indicator_code}: {_number(change.baseline)} -> "
                f"{_number(change.endline)}{share}"
            )
    team = status.improvement_team
    return {
        "enterprise_id": status.enterprise_id,
        "enterprise": status.name,
        "country": status.country,
        "sector": status.sector,
        "stages": "; ".join(
            f"{stage.project_name or stage.project_id}: {stage.stage}" for stage in status.projects
        ),
        "modules_completed": len(modules),
        "modules": "; ".join(
            f"{module.module_code} ({module.completed_on.isoformat()})" for module in modules
        ),
        "last_module_completed_on": modules[-1].completed_on if modules else None,
        "eit_in_place": "yes" if status.eit_in_place else "no",
        "eit_formed_on": team.formed_on if team is not None else None,
        "improvement_projects_completed": status.improvement_projects_completed,
        "indicators_measured": len(status.indicator_changes),
        "indicators_improved": sum(1 for c in status.indicator_changes if c.improved),
        "indicator_changes": "; ".join(changes),
    }


def parse_supplier_params(raw: RawParams) -> tuple[ReportParams, UUID | None]:
    """The common report filters (country, project, partner, sector, stage, module) and
    ``buyer_id``; a supplier list is one row per supplier, so it takes no breakdown."""
    params, extras = parse_report_params(raw, extra=("buyer_id",))
    errors = []
    if params.group_by:
        errors.append(
            field_error(
                "query.group_by",
                "unsupported",
                "the supplier report has one row per supplier and no breakdown",
                [dimension.value for dimension in params.group_by],
            )
        )
    buyer_id = None
    buyer_values = extras.get("buyer_id", [])
    if len(buyer_values) > 1:
        errors.append(field_error("query.buyer_id", "single_value", "give one value"))
    elif buyer_values:
        try:
            buyer_id = UUID(buyer_values[0])
        except ValueError:
            errors.append(field_error("query.buyer_id", "uuid", "a UUID", buyer_values[0]))
    if errors:
        raise InvalidInput(
            "The report request has invalid parameter(s): "
            + ", ".join(error["field"] for error in errors),
            errors=errors,
        )
    # Unsupported filters (from/to) are refused here, before any row is read.
    breakdown(params, SUPPLIER_DIMENSIONS, report=REPORT)
    return params, buyer_id


async def suppliers_report(
    session: AsyncSession, principal: Principal, params: dict[str, Any]
) -> ReportTable:
    parsed, buyer_id = parse_supplier_params(params)
    page = await supplier_service.get_all(
        session, principal=principal, page=None, buyer_id=buyer_id, params=parsed
    )
    filters: dict[str, Any] = parsed.echo()
    # A lead buyer's view is always narrowed to its own suppliers: say so in the export.
    buyer = viewing_buyer(principal, buyer_id)
    if buyer is not None:
        filters["buyer_id"] = str(buyer)
    return ReportTable(
        report=REPORT,
        title="Supplier status",
        method=METHOD,
        filters=filters,
        columns=COLUMNS,
        rows=[row_of(status) for status in page.items],
        generated_at=utcnow(),
        data_as_of=await read_model_service.feed_positions(session),
    )


REPORTS[REPORT] = suppliers_report
