"""REST endpoints of supplier status (lead buyers) and the enterprise scorecard."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from services.reporting.feed.schemas import SupplierStatusData
from services.reporting.suppliers.schemas import SuppliersParams, SupplierStatus
from services.reporting.suppliers.service import supplier_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page

router = APIRouter(tags=["suppliers"])

BuyerId = Annotated[
    UUID | None,
    Query(
        description=(
            "See the status as this lead buyer sees it: only its consenting suppliers. "
            "A lead buyer always sees its own."
        )
    ),
]


@router.get(
    "/suppliers",
    summary="Status of your consenting suppliers (lead buyers), or of the enterprises you see",
    description=(
        "Filters as in the reports (repeat or comma-separate values): country, project, "
        "partner, sector, stage, module. Paged by cursor, in enterprise id order."
    ),
)
async def list_suppliers(
    session: SessionDep, principal: CurrentPrincipal, params: Annotated[SuppliersParams, Query()]
) -> Page[SupplierStatus]:
    return await supplier_service.get_all(
        session,
        principal=principal,
        page=params.page(),
        buyer_id=params.buyer_id,
        params=params.report_params(),
    )


@router.get(
    "/suppliers/{enterprise_id}",
    summary="One supplier's status: stage, modules completed, EIT, indicator changes",
    responses={404: {"description": "Not a supplier you may see (or consent was withdrawn)"}},
)
async def get_supplier(
    enterprise_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    buyer_id: BuyerId = None,
) -> SupplierStatus:
    return await supplier_service.get(
        session, enterprise_id, principal=principal, buyer_id=buyer_id
    )


@router.get(
    "/suppliers/{enterprise_id}/status",
    summary="A supplier's status as supplier.status_changed carries it (read once, then follow)",
    description=(
        "The object of the `supplier.status_changed` event as of now: stage in each project, "
        "modules completed, EIT in place, headline indicator changes. A buyer's portal reads "
        "it once per supplier, then keeps it current from the partner feed "
        "(`GET /reporting/feed`) or a webhook (`POST /reporting/webhooks`)."
    ),
    responses={404: {"description": "Not a supplier you may see (or consent was withdrawn)"}},
)
async def get_supplier_status(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> SupplierStatusData:
    return await supplier_service.status_snapshot(session, enterprise_id, principal=principal)


@router.get(
    "/scorecard",
    summary="An enterprise's own scorecard (enterprise users: their own, without parameters)",
)
async def get_scorecard(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: Annotated[
        UUID | None, Query(description="Required unless you are an enterprise user")
    ] = None,
) -> SupplierStatus:
    return await supplier_service.scorecard(
        session, principal=principal, enterprise_id=enterprise_id
    )
