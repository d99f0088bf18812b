"""Enterprise registration, validation, duplicates and tenancy."""

from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import plumbing
from services.enrolment.enterprises.models import Enterprise
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.lifecycle.models import Enrolment
from shared.enums import LifecycleStage, Role
from shared.identity import Principal
from shared.pagination import PageRequest
from tests.enrolment.support import ILO, Api, World, garment_factory, register


async def count(session: AsyncSession, table: object) -> int:
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def test_partner_registers_enterprise_for_own_organisation(api: Api, world: World) -> None:
    created = await register(api, world.efp_staff)
    assert created["partner_id"] == str(world.efp_id)
    fetched = await api.get(f"/enterprises/{created['id']}", as_=world.efp_staff)
    assert fetched.status_code == 200
    assert fetched.json()["workforce_total"] == 450


async def test_requests_without_identity_token_are_refused(api: Api) -> None:
    response = await api.client.get("/enterprises")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    forged = await api.client.get("/enterprises", headers={"Authorization": "Bearer not-a-jwt"})
    assert forged.status_code == 401


async def test_bad_input_is_named_per_field_and_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises_before = await count(enrolment_session, Enterprise)
    events_before = await count(enrolment_session, plumbing.outbox)
    body = garment_factory(
        country="XX", workforce_total=-5, workforce_permanent="many", sector="Textile Sector"
    )
    response = await api.post("/enterprises", json=body, as_=world.efp_staff)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    fields = {error["field"]: error for error in problem["errors"]}
    assert "ISO 3166-1" in fields["body.country"]["message"]
    assert fields["body.workforce_total"]["rule"] == "greater_than_equal"
    assert fields["body.workforce_permanent"]["rule"] == "int_type"
    assert "body.sector" in fields
    assert await count(enrolment_session, Enterprise) == enterprises_before
    assert await count(enrolment_session, plumbing.outbox) == events_before


async def test_a_list_of_buyers_past_its_bound_is_refused_naming_it(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    # Unbounded, 40,000 ids made 40,000 query arguments: the driver refused them (a 500).
    enterprises_before = await count(enrolment_session, Enterprise)
    buyers = [str(uuid4()) for _ in range(40_000)]
    created = await api.post(
        "/enterprises", json=garment_factory(buyer_ids=buyers), as_=world.efp_staff
    )
    registered = await register(api, world.efp_staff)
    updated = await api.patch(
        f"/enterprises/{registered['id']}", json={"buyer_ids": buyers}, as_=world.efp_staff
    )

    for response in (created, updated):
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == ("body.buyer_ids", "too_long")
    assert await count(enrolment_session, Enterprise) == enterprises_before + 1


async def test_permanent_workforce_above_total_is_refused(api: Api, world: World) -> None:
    response = await api.post(
        "/enterprises",
        json=garment_factory(
            workforce_total=100, workforce_permanent=150, workforce_female=None, workforce_male=None
        ),
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "body.workforce_permanent"
    assert error["rule"] == "part_exceeds_total"
    assert "cannot exceed workforce_total (100)" in error["message"]


async def test_update_that_breaks_cross_field_rule_is_refused_and_changes_nothing(
    api: Api, world: World
) -> None:
    created = await register(api, world.efp_staff)
    response = await api.patch(
        f"/enterprises/{created['id']}", json={"workforce_total": 200}, as_=world.efp_staff
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.workforce_permanent"
    unchanged = await api.get(f"/enterprises/{created['id']}", as_=world.efp_staff)
    assert unchanged.json()["workforce_total"] == 450


async def test_same_registration_number_is_flagged_as_possible_duplicate(
    api: Api, world: World
) -> None:
    first = await register(api, world.efp_staff, registration_number="KHI-2011-0042")
    second = await register(
        api, world.efp_staff, name="Completely Different Name", registration_number="khi 2011 0042"
    )
    assert second["possible_duplicate_of_id"] == first["id"]
    assert second["duplicate_reason"] == "same registration number"
    assert first["possible_duplicate_of_id"] is None
    flagged = await api.get(
        "/enterprises", params={"possible_duplicates": "true"}, as_=world.efp_staff
    )
    assert [e["id"] for e in flagged.json()["items"]] == [second["id"]]


async def test_same_normalised_name_in_same_country_is_flagged_not_merged(
    api: Api, world: World
) -> None:
    suffix = uuid4().hex[:6]
    first = await register(api, world.efp_staff, name=f"Acme Textiles {suffix} (Pvt.) Ltd.")
    second = await register(api, world.efp_staff, name=f"ACME TEXTILES {suffix}")
    elsewhere = await register(api, world.mdpi_staff, name=f"Acme Textiles {suffix}", country="GH")
    assert second["possible_duplicate_of_id"] == first["id"]
    assert second["duplicate_reason"] == "same name in the same country"
    assert elsewhere["possible_duplicate_of_id"] is None
    assert first["id"] != second["id"]


async def test_other_partners_enterprise_answers_404(api: Api, world: World) -> None:
    efp_enterprise = await register(api, world.efp_staff)
    for outsider in (world.mdpi_staff, world.ghana_manager, world.inditex):
        response = await api.get(f"/enterprises/{efp_enterprise['id']}", as_=outsider)
        assert response.status_code == 404, outsider.role
        patched = await api.patch(
            f"/enterprises/{efp_enterprise['id']}", json={"city": "Lahore"}, as_=outsider
        )
        assert patched.status_code == 404, outsider.role
    listing = await api.get("/enterprises", as_=world.mdpi_staff)
    assert efp_enterprise["id"] not in [e["id"] for e in listing.json()["items"]]


async def test_enterprise_user_sees_only_their_enterprise(api: Api, world: World) -> None:
    own = await register(api, world.efp_staff)
    other = await register(api, world.efp_staff)
    user = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=own["id"])
    assert (await api.get(f"/enterprises/{own['id']}", as_=user)).status_code == 200
    assert (await api.get(f"/enterprises/{other['id']}", as_=user)).status_code == 404
    listing = await api.get("/enterprises", as_=user)
    assert [e["id"] for e in listing.json()["items"]] == [own["id"]]


async def test_partner_cannot_register_for_another_partner(api: Api, world: World) -> None:
    response = await api.post(
        "/enterprises",
        json=garment_factory(partner_id=str(world.mdpi_id)),
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.partner_id"


async def test_unknown_buyer_is_refused_naming_the_list_position(api: Api, world: World) -> None:
    response = await api.post(
        "/enterprises",
        json=garment_factory(buyer_ids=[str(world.inditex_id), str(uuid4())]),
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.buyer_ids.1"


async def test_listing_pages_with_cursor_without_overlap(api: Api, world: World) -> None:
    ids = {(await register(api, world.efp_staff))["id"] for _ in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/enterprises", params=params, as_=world.efp_staff)).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert ids <= set(seen)


async def test_callers_of_one_role_list_each_their_own_tenant_in_turn(
    api: Api, world: World
) -> None:
    """The list's statement is kept per role and choice of filters: two partners asking in
    turn, with the same filters and paging, each get their own enterprises only."""
    mine = {
        staff.subject: {(await register(api, staff))["id"] for _ in range(3)}
        for staff in (world.efp_staff, world.mdpi_staff)
    }
    filters: list[dict[str, str]] = [
        {},
        {"country": "pk", "sub_sector": "ready_made_garments"},
        {"possible_duplicates": "false"},
    ]
    for params in filters:
        for staff in (world.efp_staff, world.mdpi_staff, world.efp_staff):
            seen: list[dict[str, str]] = []
            cursor = None
            while True:
                paging = {"limit": 2, **({"cursor": cursor} if cursor else {})}
                page = await api.get("/enterprises", params=params | paging, as_=staff)
                seen += page.json()["items"]
                cursor = page.json()["next_cursor"]
                if cursor is None:
                    break
            assert {item["partner_id"] for item in seen} == {str(staff.organisation_id)}
            assert mine[staff.subject] <= {item["id"] for item in seen}, (params, staff.subject)


async def test_every_role_lists_the_enterprises_the_per_request_query_finds(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    """The list's statement, compiled once per role, finds for every role what the same
    rules built for the one caller find (the profile path's query): enrolled, consenting,
    own and flagged duplicates alike."""
    enrolled = await register(api, world.efp_staff)
    enrolment_session.add(
        Enrolment(
            project_id=world.pakistan_project_id,
            enterprise_id=UUID(enrolled["id"]),
            stage=LifecycleStage.level1,
        )
    )
    await enrolment_session.commit()
    owner = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=enrolled["id"])
    consent = {"buyer_id": str(world.inditex_id)}
    given = await api.post(f"/enterprises/{enrolled['id']}/consents", json=consent, as_=owner)
    assert given.status_code == 201, given.text
    await register(api, world.mdpi_staff, name=enrolled["name"].upper())  # a duplicate
    callers = (
        ILO,
        world.efp_staff,
        world.mdpi_staff,
        world.pakistan_manager,
        world.ghana_manager,
        world.inditex,
        world.adidas,
        owner,
    )
    for caller in callers:
        for params in ({}, {"country": "pk"}, {"possible_duplicates": "true"}):
            listed = await api.get("/enterprises", params=params | {"limit": 500}, as_=caller)
            expected = await enterprise_service.get_all(
                enrolment_session,
                principal=caller,
                page=PageRequest(limit=500),
                country=params.get("country"),
                possible_duplicates=True if "possible_duplicates" in params else None,
            )
            assert listed.json() == expected.model_dump(mode="json"), (caller.role, params)
    buyer_sees = await api.get("/enterprises", params={"limit": 500}, as_=world.inditex)
    assert [item["id"] for item in buyer_sees.json()["items"]] == [enrolled["id"]]


async def test_registration_and_update_emit_events_and_audit(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    created = await register(api, world.efp_staff)
    await api.patch(f"/enterprises/{created['id']}", json={"city": "Lahore"}, as_=world.efp_staff)
    outbox = plumbing.outbox
    rows = (
        await enrolment_session.execute(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.aggregate_id == created["id"])
            .order_by(outbox.c.position)
        )
    ).all()
    assert [r.event_type for r in rows] == ["enterprise.registered", "enterprise.updated"]
    assert rows[1].payload["enterprise_id"] == created["id"]
    audit = plumbing.audit
    entries = (
        await enrolment_session.execute(
            select(audit.c.action, audit.c.before, audit.c.after).where(
                audit.c.entity_id == created["id"]
            )
        )
    ).all()
    update = next(e for e in entries if e.action == "enterprise.updated")
    assert update.before["city"] == "Karachi"
    assert update.after["city"] == "Lahore"


async def test_retried_registration_with_idempotency_key_creates_one_enterprise(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    body = garment_factory()
    headers_key = {"Idempotency-Key": f"efp-import-{uuid4()}"}
    before = await count(enrolment_session, Enterprise)
    first = await api.post("/enterprises", json=body, as_=world.efp_staff, headers=headers_key)
    retry = await api.post("/enterprises", json=body, as_=world.efp_staff, headers=headers_key)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await count(enrolment_session, Enterprise) == before + 1
    reused = await api.post(
        "/enterprises",
        json=garment_factory(name="Another Mill"),
        as_=world.efp_staff,
        headers=headers_key,
    )
    assert reused.status_code == 409
    assert reused.json()["errors"][0]["field"] == "header.Idempotency-Key"


async def test_listed_enterprise_reads_as_its_own_page_for_every_caller(
    api: Api, world: World
) -> None:
    """The list is written straight from rows, one enterprise through its model: the same
    answer, including what tenancy hides (another partner's original of a duplicate)."""
    suffix = uuid4().hex[:6]
    original = await register(
        api,
        world.efp_staff,
        name=f"Lahore Looms {suffix}",
        ownership="private_domestic",
        buyer_ids=[str(world.adidas_id), str(world.inditex_id)],
    )
    duplicate = await register(api, world.mdpi_staff, name=f"LAHORE LOOMS {suffix}")
    for caller, partner_id, enterprise in (
        (ILO, world.efp_id, original),
        (ILO, world.mdpi_id, duplicate),
        (world.efp_staff, world.efp_id, original),
        (world.mdpi_staff, world.mdpi_id, duplicate),
    ):
        listing = await api.get(
            "/enterprises", params={"partner_id": str(partner_id), "limit": 500}, as_=caller
        )
        listed = {item["id"]: item for item in listing.json()["items"]}
        own_page = await api.get(f"/enterprises/{enterprise['id']}", as_=caller)
        assert listed[enterprise["id"]] == own_page.json(), caller.role
    shown_to = {
        caller.subject: (await api.get(f"/enterprises/{duplicate['id']}", as_=caller)).json()
        for caller in (ILO, world.mdpi_staff)
    }
    assert shown_to[ILO.subject]["possible_duplicate_of_id"] == original["id"]
    assert shown_to[world.mdpi_staff.subject]["possible_duplicate_of_id"] is None
    assert shown_to[world.mdpi_staff.subject]["possible_duplicate"] is True
    assert sorted(original["buyer_ids"]) == original["buyer_ids"]
