"""An enterprise's own scorecard: the supplier status of its own enterprise, and no other."""

from uuid import uuid4

from tests.enrolment.support import ILO, Api
from tests.reporting.test_suppliers_support import (
    Suppliers,
    owner_of,
    suppliers,
    suppliers_baseline,
)

__all__ = ["suppliers", "suppliers_baseline"]


async def test_enterprise_user_gets_its_own_scorecard_with_the_supplier_status_content(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    owner = owner_of(suppliers.supplier_id)
    response = await reporting_api.get("/scorecard", as_=owner)
    assert response.status_code == 200, response.text
    scorecard = response.json()
    assert scorecard["enterprise_id"] == str(suppliers.supplier_id)
    # The same content a consenting buyer sees, but the enterprise sees its own cohorts.
    as_buyer = (
        await reporting_api.get(f"/suppliers/{suppliers.supplier_id}", as_=suppliers.inditex)
    ).json()
    assert {**scorecard, "modules_completed": None} == {**as_buyer, "modules_completed": None}
    assert all(m["cohort_name"] for m in scorecard["modules_completed"])
    assert not any(m["cohort_id"] for m in as_buyer["modules_completed"])
    assert [m["module_code"] for m in scorecard["modules_completed"]] == [
        "workplace_cooperation",
        "quality_management",
    ]
    assert scorecard["eit_in_place"] is True
    assert len(scorecard["indicator_changes"]) == 3


async def test_enterprise_user_without_consents_still_sees_its_own_scorecard(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get("/scorecard", as_=owner_of(suppliers.silent_id))
    assert response.status_code == 200, response.text
    assert response.json()["enterprise_id"] == str(suppliers.silent_id)


async def test_enterprise_user_cannot_see_another_enterprises_scorecard_or_status(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    owner = owner_of(suppliers.second_id)
    other = await reporting_api.get(
        "/scorecard", params={"enterprise_id": str(suppliers.supplier_id)}, as_=owner
    )
    assert other.status_code == 404
    status = await reporting_api.get(f"/suppliers/{suppliers.supplier_id}", as_=owner)
    assert status.status_code == 404
    listed = await reporting_api.get("/suppliers", as_=owner)
    assert [item["enterprise_id"] for item in listed.json()["items"]] == [str(suppliers.second_id)]
    own = await reporting_api.get(
        "/scorecard", params={"enterprise_id": str(suppliers.second_id)}, as_=owner
    )
    assert own.status_code == 200


async def test_other_callers_name_the_enterprise_and_tenancy_applies(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    missing = await reporting_api.get("/scorecard", as_=ILO)
    assert missing.status_code == 422
    [error] = missing.json()["errors"]
    assert (error["field"], error["rule"]) == ("query.enterprise_id", "required")
    ilo = await reporting_api.get(
        "/scorecard", params={"enterprise_id": str(suppliers.silent_id)}, as_=ILO
    )
    assert ilo.status_code == 200
    # A buyer reaches only a consenting supplier's scorecard, like its status.
    for enterprise_id, expected in ((suppliers.supplier_id, 200), (suppliers.silent_id, 404)):
        response = await reporting_api.get(
            "/scorecard", params={"enterprise_id": str(enterprise_id)}, as_=suppliers.inditex
        )
        assert response.status_code == expected, response.text
    mdpi = await reporting_api.get(
        "/scorecard",
        params={"enterprise_id": str(suppliers.supplier_id)},
        as_=suppliers.world.mdpi_staff,
    )
    assert mdpi.status_code == 404
    unknown = await reporting_api.get("/scorecard", params={"enterprise_id": str(uuid4())}, as_=ILO)
    assert unknown.status_code == 404
