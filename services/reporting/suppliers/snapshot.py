"""A supplier's status as a lead buyer's portal shows it: the ``supplier.status_changed``
event's data, and the answer of the query a portal starts from. One function builds it for
both, so the event and the query never disagree."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.schemas import (
    HeadlineIndicator,
    SupplierModule,
    SupplierStage,
    SupplierStatusData,
)
from services.reporting.readmodels.models import RmEnterprise
from services.reporting.suppliers.changes import indicator_changes
from services.reporting.suppliers.repository import supplier_repository
from shared.enums import Role
from shared.identity import Principal

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
