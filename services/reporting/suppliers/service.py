"""Supplier status for lead buyers, the same status as an enterprise's own scorecard, and as
a report table (one row per supplier) that exports like any report.

Each enterprise's indicator changes are its own matched pairs: its validated baseline and
endline value per indicator (the impact report's pairs, enterprise by enterprise) and which
way it moved."""

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.schemas import (
    HeadlineIndicator,
    SupplierModule,
    SupplierStage,
    SupplierStatusData,
)
from services.reporting.impact.repository import YES_NO, impact_repository
from services.reporting.params import ReportParams
from services.reporting.readmodels.models import RmEnterprise, RmIndicator
from services.reporting.readmodels.service import read_model_service
from services.reporting.report import REPORTS, ColumnKind, Report, ReportColumn, ReportTable
from services.reporting.suppliers.repository import supplier_repository
from services.reporting.suppliers.schemas import IndicatorChange, SupplierFilters, SupplierStatus
from services.reporting.tenancy import sees_whole_enterprise
from shared.columns import utcnow
from shared.decimals import rounded_to
from shared.enums import Role
from shared.identity import Principal
from shared.pagination import Page, PageRequest, encode_cursor
from shared.problems import Forbidden, InvalidInput, NotFound, field_error

HUNDRED = Decimal(100)
# As the impact report rounds its relative changes.
PERCENT_STEP = Decimal("0.1")


def improved(direction: str, before: Decimal, after: Decimal) -> bool | None:
    if direction == "up":
        return after > before
    if direction == "down":
        return after < before
    return None


def change_of(
    indicator: RmIndicator,
    *,
    project_id: UUID,
    project_name: str | None,
    endline_round: str | None,
    baseline: Decimal | None,
    endline: Decimal | None,
    baseline_bool: bool | None,
    endline_bool: bool | None,
) -> IndicatorChange | None:
    """The pair's change, or None when the pair lacks the kind's value on either side."""
    yes_no = indicator.kind == YES_NO
    if yes_no:
        if baseline_bool is None or endline_bool is None:
            return None
        before, after = Decimal(baseline_bool), Decimal(endline_bool)
    else:
        if baseline is None or endline is None:
            return None
        before, after = baseline, endline
    change = after - before
    relative = None
    if not yes_no and before != 0:
        relative = rounded_to(change / abs(before) * HUNDRED, PERCENT_STEP, ROUND_HALF_EVEN)
    return IndicatorChange(
        indicator_code=indicator.code,
        indicator_name=indicator.name_en,
        kind=indicator.kind,
        unit=indicator.unit,
        direction=indicator.direction,
        project_id=project_id,
        project_name=project_name,
        endline_round=endline_round,
        baseline=None if yes_no else before,
        endline=None if yes_no else after,
        change=None if yes_no else change,
        relative_change_percent=relative,
        baseline_adopted=baseline_bool if yes_no else None,
        endline_adopted=endline_bool if yes_no else None,
        improved=improved(indicator.direction, before, after),
    )


async def indicator_changes(
    session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
) -> dict[UUID, list[IndicatorChange]]:
    """Per enterprise, every indicator with a validated baseline and endline total in one of
    its projects; one statement for the whole batch, under the caller's tenancy."""
    result: dict[UUID, list[IndicatorChange]] = {key: [] for key in enterprise_ids}
    if not enterprise_ids:
        return result
    rows = await impact_repository.pairs_of_enterprises(session, principal, enterprise_ids)
    for row in rows:
        enterprise_id, project_id, indicator, project, e_round, base, end, b_bool, e_bool = row
        change = change_of(
            indicator,
            project_id=project_id,
            project_name=project,
            endline_round=e_round,
            baseline=base,
            endline=end,
            baseline_bool=b_bool,
            endline_bool=e_bool,
        )
        if change is not None:
            result[enterprise_id].append(change)
    return result


def viewing_buyer(principal: Principal, buyer_id: UUID | None) -> UUID | None:
    """Whose suppliers the caller looks at: a lead buyer always its own; anyone else a
    buyer they name (the ILO checking what a buyer sees), or none."""
    if principal.role is not Role.lead_buyer:
        return buyer_id
    if buyer_id is not None and buyer_id != principal.organisation_id:
        raise Forbidden("A lead buyer sees the status of its own suppliers only")
    return principal.organisation_id


# The status is the same object for everyone who may see the supplier: built across all
# of its projects, then served only to those the tenancy rules let read it.
_WHOLE = Principal(subject="reporting", role=Role.service)


async def supplier_snapshot(session: AsyncSession, enterprise: RmEnterprise) -> SupplierStatusData:
    ids = [enterprise.id]
    stages = await supplier_repository.stages(session, ids, principal=_WHOLE)
    modules = await supplier_repository.modules_completed(session, ids, principal=_WHOLE)
    teams = await supplier_repository.improvement_teams(session, ids)
    completed = await supplier_repository.completed_projects(session, ids)
    changes = await indicator_changes(session, ids, principal=_WHOLE)
    team = teams.get(enterprise.id)
    return SupplierStatusData(
        enterprise_id=enterprise.id,
        name=enterprise.name,
        country=enterprise.country,
        sector=enterprise.sector,
        stages=[
            SupplierStage(project_id=s.project_id, stage=s.stage, since=s.stage_changed_at)
            for s in stages[enterprise.id]
        ],
        # Modules completed, never the cohorts they were completed in.
        modules_completed=[
            SupplierModule(module_code=m.module_code, completed_on=m.completed_on)
            for m in modules[enterprise.id]
        ],
        eit_in_place=team is not None and team.in_place,
        improvement_projects_completed=len(completed[enterprise.id]),
        indicators=[
            HeadlineIndicator(
                indicator_code=c.indicator_code,
                indicator_name=c.indicator_name,
                unit=c.unit,
                direction=c.direction,
                baseline=c.baseline,
                endline=c.endline,
                relative_change_percent=c.relative_change_percent,
                baseline_adopted=c.baseline_adopted,
                endline_adopted=c.endline_adopted,
                improved=c.improved,
            )
            for c in changes[enterprise.id]
        ],
    )


async def snapshot_of(session: AsyncSession, enterprise_id: UUID) -> SupplierStatusData | None:
    """The snapshot of an enterprise the read models know (no tenancy: callers check it)."""
    enterprise = await supplier_repository.get(
        session, enterprise_id, principal=_WHOLE, buyer_id=None
    )
    return None if enterprise is None else await supplier_snapshot(session, enterprise)


class SupplierService:
    async def statuses(
        self,
        session: AsyncSession,
        enterprises: Sequence[RmEnterprise],
        *,
        principal: Principal,
    ) -> list[SupplierStatus]:
        """Every part of the status for a batch of visible enterprises: one statement per
        part, whatever the batch size."""
        ids = [enterprise.id for enterprise in enterprises]
        if not ids:
            return []
        stages = await supplier_repository.stages(session, ids, principal=principal)
        modules = await supplier_repository.modules_completed(session, ids, principal=principal)
        teams = await supplier_repository.improvement_teams(session, ids)
        projects = await supplier_repository.completed_projects(session, ids)
        adopted = await supplier_repository.suggestions_adopted(session, ids)
        plans = await supplier_repository.plans_completed(session, ids)
        changes = await indicator_changes(session, ids, principal=principal)
        as_of = await read_model_service.feed_positions(session)
        statuses = []
        for enterprise in enterprises:
            team = teams.get(enterprise.id)
            completed = projects[enterprise.id]
            statuses.append(
                SupplierStatus(
                    enterprise_id=enterprise.id,
                    name=enterprise.name,
                    country=enterprise.country,
                    sector=enterprise.sector,
                    sub_sector=enterprise.sub_sector,
                    projects=stages[enterprise.id],
                    modules_completed=modules[enterprise.id],
                    eit_in_place=team is not None and team.in_place,
                    improvement_team=team,
                    indicator_changes=changes[enterprise.id],
                    improvement_projects_completed=len(completed),
                    completed_improvement_projects=completed,
                    improvement_plans_completed=plans[enterprise.id],
                    suggestions_adopted=adopted[enterprise.id],
                    data_as_of=as_of,
                )
            )
        return statuses

    async def get(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        buyer_id: UUID | None = None,
    ) -> SupplierStatus:
        buyer = viewing_buyer(principal, buyer_id)
        enterprise = await supplier_repository.get(
            session, enterprise_id, principal=principal, buyer_id=buyer
        )
        if enterprise is None:
            # Not a consenting supplier, another tenant's or unknown: all look the same.
            raise NotFound(f"Supplier {enterprise_id} not found")
        [status] = await self.statuses(session, [enterprise], principal=principal)
        return status

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest | None,
        buyer_id: UUID | None = None,
        params: ReportParams | None = None,
    ) -> Page[SupplierStatus]:
        """A page of statuses in enterprise id order (every one without ``page``)."""
        buyer = viewing_buyer(principal, buyer_id)
        rows = await supplier_repository.get_all(
            session, principal=principal, buyer_id=buyer, params=params, page=page
        )
        # The repository fetches one row past the page only to tell that a next page exists.
        limit = page.limit if page is not None else len(rows)
        statuses = await self.statuses(session, rows[:limit], principal=principal)
        next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
        return Page[SupplierStatus](items=statuses, next_cursor=next_cursor)

    async def status_snapshot(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> SupplierStatusData:
        """What ``supplier.status_changed`` carries, as of now: where a buyer's portal
        starts before following the events. Served to whoever may receive the event."""
        buyer = viewing_buyer(principal, None)
        enterprise = await supplier_repository.get(
            session, enterprise_id, principal=principal, buyer_id=buyer
        )
        if enterprise is None or not sees_whole_enterprise(principal):
            raise NotFound(f"Supplier {enterprise_id} not found")
        return await supplier_snapshot(session, enterprise)

    async def scorecard(
        self, session: AsyncSession, *, principal: Principal, enterprise_id: UUID | None
    ) -> SupplierStatus:
        """An enterprise user's own status; others name the enterprise (tenancy applies)."""
        if principal.role is Role.enterprise_user:
            if enterprise_id is not None and enterprise_id != principal.enterprise_id:
                raise NotFound(f"Enterprise {enterprise_id} not found")
            enterprise_id = principal.enterprise_id
        if enterprise_id is None:
            raise InvalidInput(
                "Name the enterprise whose scorecard you want",
                errors=[
                    field_error(
                        "query.enterprise_id",
                        "required",
                        "required unless the caller is an enterprise user",
                    )
                ],
            )
        enterprise = await supplier_repository.get(
            session, enterprise_id, principal=principal, buyer_id=viewing_buyer(principal, None)
        )
        if enterprise is None:
            raise NotFound(f"Enterprise {enterprise_id} not found")
        [status] = await self.statuses(session, [enterprise], principal=principal)
        return status


supplier_service = SupplierService()


# --- as a report ---------------------------------------------------------------------------

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
        key="improvement_plans_completed",
        label="Improvement plans completed",
        kind=ColumnKind.integer,
    ),
    ReportColumn(key="suggestions_adopted", label="Suggestions adopted", kind=ColumnKind.integer),
    ReportColumn(
        key="indicators_measured",
        label="Indicators with baseline and endline",
        kind=ColumnKind.integer,
        description="One per indicator and project, as the indicator changes: an indicator "
        "measured in two projects counts twice",
    ),
    ReportColumn(
        key="indicators_improved",
        label="Indicators improved",
        kind=ColumnKind.integer,
        description="Of those, moved in the desired direction from baseline to endline",
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
    "enterprises whose current consent to share with it is 'given' (consent alone decides) "
    "- a withdrawal removes the row as soon as its event is applied. "
    "Stage: the enterprise's lifecycle stage in each project. Modules: module progress "
    "recorded as completed, with its date. EIT in place: the latest Enterprise Improvement "
    "Team has at least one manager and one worker. Indicator changes: per indicator and "
    "project, the validated total value of the latest baseline round against the latest "
    "endline round holding one (the impact report's pairs; a count or amount recorded only "
    "as its sex or role parts has their sum as its total); improved means moved in the "
    "indicator's desired direction."
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
        "improvement_plans_completed": status.improvement_plans_completed,
        "suggestions_adopted": status.suggestions_adopted,
        "indicators_measured": len(status.indicator_changes),
        "indicators_improved": sum(1 for c in status.indicator_changes if c.improved),
        "indicator_changes": "; ".join(changes),
    }


async def suppliers_report(
    session: AsyncSession, principal: Principal, params: SupplierFilters, *, min_group_size: int
) -> ReportTable:
    del min_group_size  # one row per supplier the caller may see one by one: no aggregates
    buyer_id = params.buyer_id
    page = await supplier_service.get_all(
        session, principal=principal, page=None, buyer_id=buyer_id, params=params.report_params()
    )
    filters: dict[str, Any] = params.report_params().echo()
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


REPORTS[REPORT] = Report(SupplierFilters, suppliers_report)
