"""REST endpoints of order status sharing: thin, one service call each."""

from uuid import UUID

from fastapi import APIRouter

from services.enrolment.orders.schemas import OrderStatusPublic, OrderStatusPut
from services.enrolment.orders.service import order_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(tags=["enterprises"])


@router.put(
    "/enterprises/{enterprise_id}/order-status/{buyer_id}",
    summary="Share the confirmed and pipeline orders of up to 12 months with one lead buyer",
)
async def put_order_status(
    enterprise_id: UUID,
    buyer_id: UUID,
    body: OrderStatusPut,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> OrderStatusPublic:
    return await order_service.put(session, enterprise_id, buyer_id, body, principal=principal)


@router.get(
    "/enterprises/{enterprise_id}/order-status",
    summary="The order status shared per buyer (a buyer sees its own, while consent holds)",
)
async def list_order_status(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[OrderStatusPublic]:
    return await order_service.get_all(session, enterprise_id, principal=principal)
