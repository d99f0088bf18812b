"""The partner event feed: each caller reads only events about what it may see, buyers only
their consenting suppliers' status (stopped at once by a withdrawal), with a cursor and
documented, versioned types; replays publish nothing twice."""

import asyncio
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import plumbing
from services.reporting.feed.models import PartnerEvent
from services.reporting.feed.service import encode_position, partner_feed_service
from shared.identity import Principal
from tests.enrolment.support import ILO, Api
from tests.reporting.fixtures import sync_reporting
from tests.reporting.test_suppliers_support import (
    Suppliers,
    owner_of,
    suppliers,
    suppliers_baseline,
    withdraw,
)

__all__ = ["suppliers", "suppliers_baseline"]


async def read_all(api: Api, as_: Principal, **params: Any) -> list[dict[str, Any]]:
    """Every event the caller may read, page by page."""
    events: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 50, **({"after": cursor} if cursor else {})}
        response = await api.get("/feed", params=query, as_=as_)
        assert response.status_code == 200, response.text
        page = response.json()
        events.extend(page["events"])
        if not page["events"] or page["next_cursor"] == cursor:
            return events
        cursor = page["next_cursor"]


def about(events: list[dict[str, Any]]) -> set[UUID]:
    return {UUID(event["enterprise_id"]) for event in events}


async def test_a_buyer_reads_only_the_status_of_suppliers_consenting_to_it(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    events = await read_all(reporting_api, suppliers.inditex)
    assert {event["type"] for event in events} == {"supplier.status_changed"}
    # Consent alone, as in every report: the supplier that never named Inditex too.
    assert about(events) == {suppliers.supplier_id, suppliers.second_id, suppliers.unlisted_id}
    latest = [e for e in events if e["enterprise_id"] == str(suppliers.supplier_id)][-1]["data"]
    assert [m["module_code"] for m in latest["modules_completed"]] == [
        "workplace_cooperation",
        "quality_management",
    ]
    assert latest["eit_in_place"] is True
    assert {i["indicator_code"] for i in latest["indicators"]} >= {suppliers.defect_code}
    # Neither cohorts nor the supplier's other buyers travel with it.
    text = str(events)
    assert str(suppliers.adidas.organisation_id) not in text
    assert not any(str(cohort) in text for cohort in suppliers.cohort_ids)
    # Adidas is named by the supplier but was never given consent: nothing.
    assert await read_all(reporting_api, suppliers.adidas) == []


async def test_the_status_query_answers_what_the_last_event_carried(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    events = await read_all(reporting_api, suppliers.inditex, type="supplier.status_changed")
    last = [e for e in events if e["enterprise_id"] == str(suppliers.supplier_id)][-1]["data"]
    response = await reporting_api.get(
        f"/suppliers/{suppliers.supplier_id}/status", as_=suppliers.inditex
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**last, "changed": []}
    for hidden in (suppliers.silent_id, suppliers.supplier_id):
        as_adidas = await reporting_api.get(f"/suppliers/{hidden}/status", as_=suppliers.adidas)
        assert as_adidas.status_code == 404
    # A programme manager sees its project's part of an enterprise, not the whole status.
    manager = await reporting_api.get(
        f"/suppliers/{suppliers.supplier_id}/status", as_=suppliers.world.pakistan_manager
    )
    assert manager.status_code == 404


async def test_withdrawn_consent_stops_the_buyers_events_at_once_even_published_ones(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
) -> None:
    before = await read_all(reporting_api, suppliers.inditex)
    assert suppliers.supplier_id in about(before)
    await withdraw(api, suppliers.supplier_id, suppliers.world.inditex_id)
    await sync_reporting(api, indicators_api, reporting_session)
    after = await read_all(reporting_api, suppliers.inditex)
    assert suppliers.supplier_id not in about(after)
    assert about(after) == about(before) - {suppliers.supplier_id}
    # Given again: the buyer gets the current status as its first event, not the history
    # published while it had no consent.
    given = await api.post(
        f"/enterprises/{suppliers.supplier_id}/consents",
        json={"buyer_id": str(suppliers.world.inditex_id)},
        as_=owner_of(suppliers.supplier_id),
    )
    assert given.status_code in (200, 201), given.text
    await sync_reporting(api, indicators_api, reporting_session)
    again = [
        e
        for e in await read_all(reporting_api, suppliers.inditex)
        if e["enterprise_id"] == str(suppliers.supplier_id)
    ]
    assert len(again) == 1
    assert again[0]["data"]["changed"] == []


async def test_partners_read_their_own_enterprises_events_and_nothing_of_others(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    world = suppliers.world
    efp = await read_all(reporting_api, world.efp_staff)
    mdpi = await read_all(reporting_api, world.mdpi_staff)
    assert {suppliers.supplier_id, suppliers.second_id, suppliers.silent_id} <= about(efp)
    assert suppliers.unlisted_id not in about(efp)
    assert about(mdpi) == {suppliers.unlisted_id}
    kinds = {event["type"] for event in efp if event["enterprise_id"] == str(suppliers.supplier_id)}
    assert {
        "enterprise.registered",
        "enrolment.stage_changed",
        "consent.changed",
        "module.progress_changed",
        "values.submitted",
        "value.validated",
        "eit.changed",
        "improvement_project.changed",
        "supplier.status_changed",
    } <= kinds
    # Filtered by type, still the partner's own.
    validated = await read_all(reporting_api, world.efp_staff, type="value.validated")
    assert validated
    assert {event["type"] for event in validated} == {"value.validated"}


async def test_a_programme_manager_reads_its_projects_events_only(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    world = suppliers.world
    pakistan = await read_all(reporting_api, world.pakistan_manager)
    assert pakistan
    for event in pakistan:
        assert event["type"] != "supplier.status_changed"
        if event["type"] == "improvement_project.changed":
            continue  # its project_id is the improvement project's own id
        project = event["data"].get("project_id")
        assert project in (None, str(world.pakistan_project_id)), event["type"]
    ghana = await read_all(reporting_api, world.ghana_manager)
    assert about(ghana) <= {suppliers.unlisted_id}


async def test_events_and_their_schemas_are_documented_and_versioned(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get("/feed/event-types", as_=suppliers.inditex)
    assert response.status_code == 200
    types = {item["type"]: item for item in response.json()}
    assert types["supplier.status_changed"]["version"] == 1
    document = (await reporting_api.get("/openapi.json", as_=ILO)).json()
    schemas = document["components"]["schemas"]
    for item in types.values():
        assert item["payload_schema"] in schemas, item
    assert "changed" in schemas["SupplierStatusData"]["properties"]


async def test_bad_cursor_and_unknown_type_are_refused_naming_the_parameter(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    bad = await reporting_api.get("/feed", params={"after": "not-a-cursor"}, as_=ILO)
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["query.after"]
    unknown = await reporting_api.get(
        "/feed", params={"type": ["value.validated", "value.deleted"]}, as_=ILO
    )
    assert unknown.status_code == 422
    assert [(e["field"], e["rule"]) for e in unknown.json()["errors"]] == [
        ("query.type.1", "event_type")
    ]
    too_many = await reporting_api.get("/feed", params={"limit": 501}, as_=ILO)
    assert too_many.status_code == 422


async def test_replaying_the_upstream_feeds_publishes_nothing_twice(
    api: Api,
    indicators_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
) -> None:
    count = select(func.count()).select_from(PartnerEvent)
    published = await reporting_session.scalar(count)
    await reporting_session.execute(delete(plumbing.consumer_cursor))
    await reporting_session.commit()
    assert await sync_reporting(api, indicators_api, reporting_session) > 0
    assert await reporting_session.scalar(count) == published


async def test_a_long_poll_stops_waiting_once_its_caller_has_left(
    reporting_session: AsyncSession,
) -> None:
    """Nobody reads the answer of a caller who left (a partner's system stopped, a request
    given up): the wait ends at the next look, not when the asked-for wait is over."""
    looks = 0

    async def caller_left() -> bool:
        nonlocal looks
        looks += 1
        return True

    page = await asyncio.wait_for(
        partner_feed_service.read(
            reporting_session,
            principal=ILO,
            after=encode_position(2**62),  # past every event: the read waits for the next
            limit=10,
            wait=600,
            stop=caller_left,
        ),
        timeout=120,
    )
    assert page.events == []
    assert looks == 1
