"""One rule for lead buyers, the same cases on every surface: a buyer sees a supplier
exactly while the supplier consents to share with it (whatever buyers its profile names),
in enrolment's REST, the graph (enrolment's and reporting's parts), reporting's reports,
the partner feed and webhooks (which deliver what the feed rule lets through)."""

from uuid import UUID

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.models import PartnerEvent
from services.reporting.webhooks.repository import webhook_repository
from shared.identity import Principal
from tests.enrolment.support import ILO, Api, graph_data
from tests.reporting.fixtures import sync_reporting
from tests.reporting.test_partner_feed import about, read_all
from tests.reporting.test_suppliers_support import (
    Suppliers,
    suppliers,
    suppliers_baseline,
    withdraw,
)

__all__ = ["suppliers", "suppliers_baseline"]

ENTERPRISE = "query ($id: ID!) { enterprise(id: $id) { id } }"
STATUS = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Enterprise { scoreStatus { eitInPlace } } }
}
"""


async def surfaces(
    api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    buyer: Principal,
    enterprise_id: UUID,
) -> dict[str, bool]:
    """Whether ``buyer`` sees the supplier on each surface."""
    enrolment = await api.get(f"/enterprises/{enterprise_id}", as_=buyer)
    graph = await graph_data(api, ENTERPRISE, as_=buyer, id=str(enterprise_id))
    status = await graph_data(
        reporting_api,
        STATUS,
        as_=buyer,
        representations=[{"__typename": "Enterprise", "id": str(enterprise_id)}],
    )
    report = await reporting_api.get(f"/suppliers/{enterprise_id}", as_=buyer)
    events = await read_all(reporting_api, buyer)
    # Webhooks: the worker's check before each delivery, on the supplier's latest event.
    latest = [
        e for e in await read_all(reporting_api, ILO) if e["enterprise_id"] == str(enterprise_id)
    ]
    positions = await _positions(reporting_session, [e["id"] for e in latest])
    deliverable = [
        await webhook_repository.event_visible(reporting_session, position, owner=buyer)
        for position in positions
    ]
    return {
        "enrolment": enrolment.status_code == 200,
        "graph": graph["enterprise"] is not None,
        "graph scoreStatus": status["_entities"][0]["scoreStatus"] is not None,
        "reports": report.status_code == 200,
        "feed": enterprise_id in about(events),
        "webhooks": any(deliverable),
    }


async def _positions(session: AsyncSession, ids: list[str]) -> list[int]:
    rows = await session.exec(
        select(col(PartnerEvent.position)).where(col(PartnerEvent.id).in_([UUID(i) for i in ids]))
    )
    return [int(position) for position in rows.all() if position is not None]


@pytest.mark.parametrize(
    ("supplier", "buyer", "sees"),
    [
        ("supplier_id", "inditex", True),  # names the buyer and consents
        ("unlisted_id", "inditex", True),  # consents without naming it: consent alone counts
        ("silent_id", "inditex", False),  # names it, never consented
        ("supplier_id", "adidas", False),  # names it, consented to another buyer only
    ],
)
async def test_a_buyer_sees_a_supplier_on_every_surface_exactly_while_it_consents(
    api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
    supplier: str,
    buyer: str,
    sees: bool,
) -> None:
    principal: Principal = getattr(suppliers, buyer)
    seen = await surfaces(
        api, reporting_api, reporting_session, principal, getattr(suppliers, supplier)
    )
    assert seen == dict.fromkeys(seen, sees)


async def test_a_withdrawal_hides_the_supplier_on_every_surface_at_once(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
) -> None:
    before = await surfaces(
        api, reporting_api, reporting_session, suppliers.inditex, suppliers.supplier_id
    )
    assert all(before.values()), before
    await withdraw(api, suppliers.supplier_id, suppliers.world.inditex_id)
    await sync_reporting(api, indicators_api, reporting_session)
    after = await surfaces(
        api, reporting_api, reporting_session, suppliers.inditex, suppliers.supplier_id
    )
    assert not any(after.values()), after
