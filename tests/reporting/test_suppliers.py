"""Supplier status for lead buyers: exactly the suppliers consenting to the buyer, withdrawal
at once, tenancy per role, and the status itself computed from what the services recorded."""

from typing import Any
from uuid import UUID, uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import ILO, Api
from tests.reporting.fixtures import sync_reporting
from tests.reporting.test_suppliers_support import (
    Suppliers,
    suppliers,
    suppliers_baseline,
    validated_pairs,
    withdraw,
)
from tests.sql_support import statements

__all__ = ["suppliers", "suppliers_baseline"]


async def listed(api: Api, *, as_: Any, **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/suppliers", params=params, as_=as_)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def queries(seen: list[str]) -> list[str]:
    return [sql for sql in seen if not sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]


def ids(items: list[dict[str, Any]]) -> set[UUID]:
    return {UUID(item["enterprise_id"]) for item in items}


async def test_lead_buyer_lists_exactly_the_suppliers_that_consent_to_it(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    seen = ids(await listed(reporting_api, as_=suppliers.inditex))
    # Consent alone decides, as in enrolment and the graph: the supplier that consented
    # without naming Inditex among its buyers is listed; the one that never consented is not.
    assert seen == {suppliers.supplier_id, suppliers.second_id, suppliers.unlisted_id}
    response = await reporting_api.get(f"/suppliers/{suppliers.silent_id}", as_=suppliers.inditex)
    assert response.status_code == 404, response.text
    assert response.json()["type"].endswith("/not-found")


async def test_supplier_detail_shows_stage_modules_eit_indicator_changes_and_projects(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get(f"/suppliers/{suppliers.supplier_id}", as_=suppliers.inditex)
    assert response.status_code == 200, response.text
    status = response.json()
    world = suppliers.world
    assert status["name"] == suppliers.supplier_name
    assert (status["country"], status["sector"]) == ("PK", "textile")
    [project] = status["projects"]
    assert project["project_id"] == str(world.pakistan_project_id)
    assert (project["project_name"], project["stage"]) == ("ILES Pakistan", "level1")
    # The OSH cohort's classroom is done, the module is not: it is not listed.
    assert [(m["module_code"], m["completed_on"]) for m in status["modules_completed"]] == [
        ("workplace_cooperation", "2019-05-30"),
        ("quality_management", "2020-03-15"),
    ]
    # A buyer learns which modules its supplier completed, not the cohorts it sat in (no
    # cohort is the buyer's to see); the supplier's partner sees them.
    assert [(m["cohort_id"], m["cohort_name"]) for m in status["modules_completed"]] == [
        (None, None),
        (None, None),
    ]
    as_partner = await reporting_api.get(f"/suppliers/{suppliers.supplier_id}", as_=world.efp_staff)
    modules = as_partner.json()["modules_completed"]
    assert [UUID(m["cohort_id"]) for m in modules] == suppliers.cohort_ids[:2]
    assert status["eit_in_place"] is True
    team = status["improvement_team"]
    assert team["formed_on"] == "2019-03-01"
    assert (team["managers_female"], team["managers_male"]) == (1, 0)
    assert (team["workers_female"], team["workers_male"]) == (1, 1)
    assert (team["meeting_count"], team["last_meeting_on"]) == (1, "2019-03-15")

    changes = {change["indicator_code"]: change for change in status["indicator_changes"]}
    # Absenteeism has a baseline only and turnover's endline was never validated: no pairs.
    assert set(changes) == {suppliers.defect_code, suppliers.output_code, suppliers.practice_code}
    defect = changes[suppliers.defect_code]
    assert (defect["baseline"], defect["endline"], defect["change"]) == ("8", "5", "-3")
    assert defect["relative_change_percent"] == "-37.5"
    assert (defect["direction"], defect["improved"]) == ("down", True)
    assert (defect["project_name"], defect["endline_round"]) == ("ILES Pakistan", "endline 1")
    output = changes[suppliers.output_code]
    assert (output["baseline"], output["endline"], output["change"]) == ("100", "90", "-10")
    assert output["relative_change_percent"] == "-10"
    assert (output["direction"], output["improved"]) == ("up", False)
    practice = changes[suppliers.practice_code]
    assert (practice["baseline_adopted"], practice["endline_adopted"]) == (False, True)
    assert practice["baseline"] is practice["change"] is practice["relative_change_percent"] is None
    assert practice["improved"] is True

    assert status["improvement_projects_completed"] == 1
    assert status["suggestions_adopted"] == 1
    assert status["improvement_plans_completed"] == 1
    [done] = status["completed_improvement_projects"]
    assert (done["title"], done["category"], done["completed_on"]) == (
        "5S in the warehouse",
        "five_s",
        "2019-08-01",
    )
    assert (done["savings"], done["currency"]) == ("120000", "PKR")
    assert set(status["data_as_of"]) == {"enrolment", "indicators"}
    assert all(position > 0 for position in status["data_as_of"].values())


async def test_supplier_without_records_has_an_empty_status(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get(f"/suppliers/{suppliers.second_id}", as_=suppliers.inditex)
    assert response.status_code == 200, response.text
    status = response.json()
    assert [p["stage"] for p in status["projects"]] == ["level1"]
    assert status["modules_completed"] == []
    assert (status["eit_in_place"], status["improvement_team"]) == (False, None)
    assert status["indicator_changes"] == []
    assert status["improvement_projects_completed"] == 0
    assert status["suggestions_adopted"] == 0
    assert status["improvement_plans_completed"] == 0


async def test_withdrawn_consent_hides_the_supplier_as_soon_as_the_event_is_applied(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
) -> None:
    url = f"/suppliers/{suppliers.second_id}"
    assert (await reporting_api.get(url, as_=suppliers.inditex)).status_code == 200
    await withdraw(api, suppliers.second_id, suppliers.world.inditex_id)
    applied = await sync_reporting(api, indicators_api, reporting_session)
    assert applied == 1  # the consent event, nothing else
    assert (await reporting_api.get(url, as_=suppliers.inditex)).status_code == 404
    assert ids(await listed(reporting_api, as_=suppliers.inditex)) == {
        suppliers.supplier_id,
        suppliers.unlisted_id,
    }
    # The ILO viewing as Inditex sees the same.
    as_inditex = {"buyer_id": str(suppliers.world.inditex_id)}
    response = await reporting_api.get(url, params=as_inditex, as_=ILO)
    assert response.status_code == 404
    # Giving consent again brings it back.
    await api.post(
        f"/enterprises/{suppliers.second_id}/consents",
        json={"buyer_id": str(suppliers.world.inditex_id)},
        as_=ILO,
    )
    await sync_reporting(api, indicators_api, reporting_session)
    assert (await reporting_api.get(url, as_=suppliers.inditex)).status_code == 200


async def test_another_buyer_sees_none_of_them_even_when_named_without_consent(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    # The main supplier names Adidas as a buyer but consents to Inditex only.
    assert await listed(reporting_api, as_=suppliers.adidas) == []
    for enterprise_id in (suppliers.supplier_id, suppliers.second_id, suppliers.silent_id):
        response = await reporting_api.get(f"/suppliers/{enterprise_id}", as_=suppliers.adidas)
        assert response.status_code == 404


async def test_a_buyer_cannot_look_through_another_buyers_eyes(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get(
        "/suppliers",
        params={"buyer_id": str(suppliers.world.inditex_id)},
        as_=suppliers.adidas,
    )
    assert response.status_code == 403, response.text
    own = await listed(
        reporting_api, as_=suppliers.inditex, buyer_id=str(suppliers.world.inditex_id)
    )
    assert ids(own) == {suppliers.supplier_id, suppliers.second_id, suppliers.unlisted_id}


async def test_ilo_sees_any_enterprise_and_can_view_as_a_buyer(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    for enterprise_id in (suppliers.silent_id, suppliers.unlisted_id):
        response = await reporting_api.get(f"/suppliers/{enterprise_id}", as_=ILO)
        assert response.status_code == 200, response.text
    as_inditex = await listed(reporting_api, as_=ILO, buyer_id=str(suppliers.world.inditex_id))
    assert ids(as_inditex) == {suppliers.supplier_id, suppliers.second_id, suppliers.unlisted_id}
    as_adidas = await listed(reporting_api, as_=ILO, buyer_id=str(suppliers.world.adidas_id))
    assert as_adidas == []
    silent = await reporting_api.get(
        f"/suppliers/{suppliers.silent_id}",
        params={"buyer_id": str(suppliers.world.inditex_id)},
        as_=ILO,
    )
    assert silent.status_code == 404


async def test_partner_staff_see_their_own_enterprises_only(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    world = suppliers.world
    efp = ids(await listed(reporting_api, as_=world.efp_staff, limit=500))
    assert {suppliers.supplier_id, suppliers.second_id, suppliers.silent_id} <= efp
    assert suppliers.unlisted_id not in efp
    response = await reporting_api.get(f"/suppliers/{suppliers.unlisted_id}", as_=world.efp_staff)
    assert response.status_code == 404
    response = await reporting_api.get(f"/suppliers/{suppliers.supplier_id}", as_=world.mdpi_staff)
    assert response.status_code == 404
    mdpi = await reporting_api.get(f"/suppliers/{suppliers.unlisted_id}", as_=world.mdpi_staff)
    assert mdpi.status_code == 200
    # The partner narrows its own list to what a buyer of its enterprises sees.
    narrowed = await listed(reporting_api, as_=world.efp_staff, buyer_id=str(world.inditex_id))
    assert ids(narrowed) == {suppliers.supplier_id, suppliers.second_id}


async def test_list_filters_by_country_and_pages_by_cursor(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    inditex = suppliers.world.inditex_id
    ghana = await listed(reporting_api, as_=ILO, buyer_id=str(inditex), country="GH")
    assert ghana == []
    pakistan = {"buyer_id": str(inditex), "country": "PK", "limit": 2}
    first = await reporting_api.get("/suppliers", params=pakistan, as_=ILO)
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    second = await reporting_api.get(
        "/suppliers",
        params={**pakistan, "cursor": page["next_cursor"]},
        as_=ILO,
    )
    rest = second.json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert ids(page["items"]) | ids(rest["items"]) == {
        suppliers.supplier_id,
        suppliers.second_id,
        suppliers.unlisted_id,
    }


async def test_bad_parameters_are_refused_naming_the_field(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    misspelt = await reporting_api.get("/suppliers", params={"contry": "PK"}, as_=ILO)
    assert misspelt.status_code == 422, misspelt.text
    assert [(e["field"], e["rule"]) for e in misspelt.json()["errors"]] == [
        ("query.contry", "unknown_parameter")
    ]
    not_an_id = await reporting_api.get("/suppliers", params={"buyer_id": "inditex"}, as_=ILO)
    assert not_an_id.status_code == 422
    assert [e["field"] for e in not_an_id.json()["errors"]] == ["query.buyer_id"]
    grouped = await reporting_api.get("/suppliers", params={"group_by": "country"}, as_=ILO)
    assert grouped.status_code == 422
    assert [e["field"] for e in grouped.json()["errors"]] == ["query.group_by"]
    unknown = await reporting_api.get(f"/suppliers/{uuid4()}", as_=ILO)
    assert unknown.status_code == 404


async def test_requests_without_a_valid_identity_token_are_refused(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.client.get(f"/suppliers/{suppliers.supplier_id}")
    assert response.status_code == 401
    forged = await reporting_api.client.get(
        "/suppliers", headers={"Authorization": "Bearer not-a-token"}
    )
    assert forged.status_code == 401


async def test_a_page_of_suppliers_costs_the_same_statements_whatever_its_size(
    reporting_api: Api, reporting_session: AsyncSession, suppliers: Suppliers
) -> None:
    inditex = str(suppliers.world.inditex_id)
    with statements(reporting_session) as one:
        response = await reporting_api.get(
            "/suppliers", params={"buyer_id": inditex, "limit": 1}, as_=ILO
        )
        assert response.status_code == 200
    with statements(reporting_session) as two:
        response = await reporting_api.get(
            "/suppliers", params={"buyer_id": inditex, "limit": 2}, as_=ILO
        )
        assert len(response.json()["items"]) == 2
    # Only the transaction's savepoints may differ, not the queries.
    assert len(queries(one)) == len(queries(two))


async def test_a_relative_change_of_more_than_28_digits_is_applied_and_shown(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
) -> None:
    # A rate from 10^-20 to 10^7 is up ~10^29 %: rounding that to 0.1 took 31 digits, past
    # the decimal context's 28. Applying the validation event raised, and the indicators
    # feed consumer retried that event for ever: no later value reached any report.
    await validated_pairs(
        indicators_api,
        suppliers,
        suppliers.second_id,
        {suppliers.defect_code: ("0.00000000000000000001", "10000000")},
    )
    await sync_reporting(api, indicators_api, reporting_session)

    response = await reporting_api.get(f"/suppliers/{suppliers.second_id}", as_=suppliers.inditex)
    assert response.status_code == 200, response.text
    [change] = response.json()["indicator_changes"]
    # (10^7 - 10^-20) / 10^-20 x 100, exactly.
    assert change["relative_change_percent"] == "9" * 27 + "00"
    # The impact report rounds the same change to its 1 decimal too, rather than refusing.
    report = await reporting_api.get(
        "/impact", params={"indicator": suppliers.defect_code}, as_=ILO
    )
    assert report.status_code == 200, report.text
    [row] = report.json()["rows"]
    assert row["q3_change_pct"] > 1e27
