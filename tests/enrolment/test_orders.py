"""Order status sharing: confirmed and pipeline orders per month for each buyer the
enterprise supplies; a buyer sees its own only, and only while the enterprise consents."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.orders.models import OrderMonth
from tests.enrolment.calls_support import count_rows
from tests.enrolment.support import Api, World, register
from tests.enrolment.test_consent import give, outbox_events, owner_of, withdraw
from tests.enrolment.test_graphql import data_of
from tests.enrolment.training_support import audit_actions

MONTHS = [
    {"month": "2019-04", "confirmed": 12000, "pipeline": 3000},
    {"month": "2019-03", "confirmed": 15000, "pipeline": 0},
]


async def supplier(api: Api, world: World) -> dict[str, Any]:
    enterprise = await register(
        api, world.efp_staff, buyer_ids=[str(world.inditex_id), str(world.adidas_id)]
    )
    for buyer in (world.inditex_id, world.adidas_id):
        assert (await give(api, enterprise["id"], buyer, as_=world.efp_staff)).status_code == 201
    return enterprise


async def test_each_buyer_sees_only_its_own_orders_while_it_has_consent(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await supplier(api, world)
    base = f"/enterprises/{enterprise['id']}/order-status"
    shared = await api.put(
        f"{base}/{world.inditex_id}", json={"months": MONTHS}, as_=owner_of(enterprise)
    )
    assert shared.status_code == 200, shared.text
    assert [m["month"] for m in shared.json()["months"]] == ["2019-03", "2019-04"]
    adidas_months = {"months": [{"month": "2019-03", "confirmed": 500, "pipeline": 500}]}
    assert (await api.put(f"{base}/{world.adidas_id}", json=adidas_months)).status_code == 200
    everything = (await api.get(base, as_=world.efp_staff)).json()
    assert {o["buyer_id"] for o in everything} == {str(world.inditex_id), str(world.adidas_id)}
    [inditex_view] = (await api.get(base, as_=world.inditex)).json()
    assert inditex_view["buyer_id"] == str(world.inditex_id)
    assert inditex_view["months"][0] == {"month": "2019-03", "confirmed": 15000, "pipeline": 0}
    # Sharing again replaces the months shared before.
    again = await api.put(f"{base}/{world.inditex_id}", json={"months": MONTHS[:1]})
    assert [m["month"] for m in again.json()["months"]] == ["2019-04"]
    events = await outbox_events(enrolment_session, enterprise["id"])
    shared_events = [e.payload for e in events if e.event_type == "order_status.shared"]
    assert [(e["months"], e["confirmed"]) for e in shared_events] == [
        (2, 27000),
        (1, 500),
        (1, 12000),
    ]
    assert (await audit_actions(enrolment_session, enterprise["id"])).count(
        "order_status.shared"
    ) == 3
    assert (await withdraw(api, enterprise["id"], world.inditex_id, as_=world.efp_staff)).is_success
    assert (await api.get(base, as_=world.inditex)).status_code == 404


async def test_bad_order_status_names_the_field_and_rule_and_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await supplier(api, world)
    base = f"/enterprises/{enterprise['id']}/order-status"
    before = await count_rows(enrolment_session, OrderMonth)
    cases: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
        (f"{base}/{world.inditex_id}", {"months": []}, ("body.months", "too_short")),
        (
            f"{base}/{world.inditex_id}",
            {"months": [MONTHS[0], MONTHS[0]]},
            ("body", "duplicate_month"),
        ),
        (
            f"{base}/{world.inditex_id}",
            {"months": [{"month": "2019-13", "confirmed": 1, "pipeline": 1}]},
            ("body.months.0.month", "string_pattern_mismatch"),
        ),
        (
            f"{base}/{world.inditex_id}",
            {"months": [{"month": "2019-01", "confirmed": -1, "pipeline": 1}]},
            ("body.months.0.confirmed", "greater_than_equal"),
        ),
        (
            f"{base}/{world.inditex_id}",
            {"months": [{"month": "2019-01", "confirmed": "12", "pipeline": 1}]},
            ("body.months.0.confirmed", "int_type"),
        ),
        (f"{base}/{world.efp_id}", {"months": MONTHS}, ("path.buyer_id", "enterprise_buyer")),
    ]
    for url, body, expected in cases:
        response = await api.put(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert expected in {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert await count_rows(enrolment_session, OrderMonth) == before


async def test_other_tenants_and_buyers_cannot_share_or_read_order_status(
    api: Api, world: World
) -> None:
    enterprise = await supplier(api, world)
    base = f"/enterprises/{enterprise['id']}/order-status"
    assert (await api.put(f"{base}/{world.inditex_id}", json={"months": MONTHS})).is_success
    for outsider in (world.mdpi_staff, world.ghana_manager):
        assert (await api.get(base, as_=outsider)).status_code == 404
        refused = await api.put(f"{base}/{world.inditex_id}", json={"months": MONTHS}, as_=outsider)
        assert refused.status_code == 404
    buyer_write = await api.put(
        f"{base}/{world.inditex_id}", json={"months": MONTHS}, as_=world.inditex
    )
    assert buyer_write.status_code == 403


async def test_graphql_shows_a_buyer_its_own_orders_only(api: Api, world: World) -> None:
    enterprise = await supplier(api, world)
    base = f"/enterprises/{enterprise['id']}/order-status"
    for buyer in (world.inditex_id, world.adidas_id):
        assert (await api.put(f"{base}/{buyer}", json={"months": MONTHS})).is_success
    query = (
        "query($id: ID!) { enterprise(id: $id) "
        "{ orderStatus { buyerId months { month confirmed pipeline } } } }"
    )
    partner = await data_of(api, query, as_=world.efp_staff, id=enterprise["id"])
    assert len(partner["enterprise"]["orderStatus"]) == 2
    buyer = await data_of(api, query, as_=world.inditex, id=enterprise["id"])
    assert buyer["enterprise"]["orderStatus"] == [
        {
            "buyerId": str(world.inditex_id),
            "months": [
                {"month": "2019-03", "confirmed": 15000, "pipeline": 0},
                {"month": "2019-04", "confirmed": 12000, "pipeline": 3000},
            ],
        }
    ]
    other = await data_of(api, query, as_=world.mdpi_staff, id=enterprise["id"])
    assert other["enterprise"] is None
