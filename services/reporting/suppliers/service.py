"""Supplier status for lead buyers, and the same status as an enterprise's own scorecard."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.schemas import SupplierStatusData
from services.reporting.filters import ReportParams
from services.reporting.readmodels.models import RmEnterprise
from services.reporting.readmodels.service import read_model_service
from services.reporting.suppliers.changes import indicator_changes
from services.reporting.suppliers.repository import supplier_repository
from services.reporting.suppliers.schemas import SupplierStatus
from services.reporting.suppliers.snapshot import supplier_snapshot
from services.reporting.tenancy import sees_whole_enterprise
from shared.enums import Role
from shared.identity import Principal
from shared.pagination import Page, PageRequest, encode_cursor
from shared.problems import Forbidden, InvalidInput, NotFound, field_error


def viewing_buyer(principal: Principal, buyer_id: UUID | None) -> UUID | None:
    """Whose suppliers the caller looks at: a lead buyer always its own; anyone else a
    buyer they name (the ILO checking what a buyer sees), or none."""
    if principal.role is not Role.lead_buyer:
        return buyer_id
    if buyer_id is not None and buyer_id != principal.organisation_id:
        raise Forbidden("A lead buyer sees the status of its own suppliers only")
    return principal.organisation_id


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
