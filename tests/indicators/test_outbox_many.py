"""Several events written together: in the order given, each with its own id, each payload
stored as the JSON of the event."""

from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes, plumbing
from shared.enums import Role
from shared.events import ValueCorrected
from shared.identity import Principal

STAFF = Principal(subject="outbox-test", role=Role.ilo_global)


def corrected(n: int, **fields: object) -> ValueCorrected:
    return ValueCorrected.model_validate(
        {
            "value_id": uuid4(),
            "enterprise_id": uuid4(),
            "project_id": uuid4(),
            "indicator_id": uuid4(),
            "indicator_code": f"défauts_{n}",
            "indicator_version": 1,
            "round_id": None,
            "round_kind": None,
            "round_sequence": None,
            "month": "2024-03-01",
            "sex": "female",
            "role": None,
            "value": Decimal("1E+3") + n,
            "value_bool": None,
            "currency": None,
            "status": "validated",
            "value_version": 2,
            "previous_value_id": uuid4(),
            "previous_value": Decimal("0.000001"),
            "previous_value_bool": None,
            "reason": 'recompté « à la main » \\ "quoted" \u2028 line',
            **fields,
        }
    )


async def test_events_written_together_take_positions_in_the_order_given(
    indicators_session: AsyncSession,
) -> None:
    payloads = [corrected(n) for n in range(5)]
    single = corrected(5)
    await changes.emit_many(indicators_session, payloads, principal=STAFF)
    await changes.emit(indicators_session, single, principal=STAFF)
    outbox = plumbing.outbox
    rows = (
        await indicators_session.execute(
            select(outbox.c.event_id, outbox.c.event_type, outbox.c.aggregate_id, outbox.c.payload)
            .where(outbox.c.actor == STAFF.actor)
            .order_by(outbox.c.position)
        )
    ).all()
    written = [*payloads, single]
    assert [row.payload for row in rows] == [p.model_dump(mode="json") for p in written]
    assert [row.aggregate_id for row in rows] == [p.value_id for p in written]
    assert {row.event_type for row in rows} == {"value.corrected"}
    assert len({row.event_id for row in rows}) == 6
