"""How far the enrolment replica has caught up (for operators and the ILO)."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.indicators.replica.consumer import CONSUMER_NAME
from shared.consumer import FeedConsumer
from shared.identity import CurrentPrincipal
from shared.problems import NotFound

router = APIRouter(prefix="/replica", tags=["replica"])


class ConsumerStatus(BaseModel):
    consumer: str
    position: int
    head_position: int
    lag: int


@router.get("/status", summary="The enrolment replica consumer's cursor and lag")
async def replica_status(request: Request, principal: CurrentPrincipal) -> ConsumerStatus:
    if not principal.is_global:
        raise NotFound("No such resource")
    consumer: FeedConsumer | None = getattr(request.app.state, "enrolment_consumer", None)
    if consumer is None:
        raise NotFound("The enrolment consumer does not run in this process")
    return ConsumerStatus(
        consumer=CONSUMER_NAME,
        position=await consumer.position(),
        head_position=consumer.head_position,
        lag=consumer.lag(),
    )
