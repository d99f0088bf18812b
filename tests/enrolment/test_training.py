"""The module catalogue: seeded as data, readable by anyone signed in, changed only by the ILO."""

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import STANDARD_MODULES, ensure_standard_modules
from tests.enrolment.support import ILO, Api, World
from tests.enrolment.training_support import audit_actions


@pytest.fixture(autouse=True)
async def catalogue(enrolment_session: AsyncSession) -> None:
    await ensure_standard_modules(enrolment_session)
    # Committed (a savepoint release here) so a refused request's rollback keeps it.
    await enrolment_session.commit()


async def test_standard_catalogue_is_seeded_once_and_listed_to_any_caller(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    assert await ensure_standard_modules(enrolment_session) == 0
    response = await api.get("/modules", as_=world.inditex)
    assert response.status_code == 200
    modules = {m["code"]: m for m in response.json()}
    assert {m.code for m in STANDARD_MODULES} <= modules.keys()
    assert modules["workplace_cooperation"]["level"] == 1
    assert modules["quality_management"]["level"] == 2
    assert modules["clean_production"]["active"] is False
    assert modules["clean_production"]["replaced_by_code"] == "score4climate"
    for newer in ("score_basics", "gender_equality", "hospitality_coaching", "lean"):
        assert modules[newer]["active"] is True
    retired = await api.get("/modules", params={"active": "false"}, as_=world.efp_staff)
    assert "clean_production" in [m["code"] for m in retired.json()]
    assert "workplace_cooperation" not in [m["code"] for m in retired.json()]


async def test_seeding_keeps_ilo_edits_to_standard_modules(
    api: Api, enrolment_session: AsyncSession
) -> None:
    renamed = await api.patch("/modules/lean", json={"name": "Lean Manufacturing"})
    assert renamed.status_code == 200
    await ensure_standard_modules(enrolment_session)
    assert (await api.get("/modules/lean")).json()["name"] == "Lean Manufacturing"


async def test_only_the_ilo_changes_the_catalogue(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    body = {"code": "digital_skills", "name": "Digital Skills", "level": 2}
    for outsider in (world.efp_staff, world.pakistan_manager, world.inditex):
        assert (await api.post("/modules", json=body, as_=outsider)).status_code == 403
        patched = await api.patch("/modules/osh", json={"active": False}, as_=outsider)
        assert patched.status_code == 403
    created = await api.post("/modules", json=body, as_=ILO)
    assert created.status_code == 201, created.text
    assert created.json()["classroom_days"] == 2
    retired = await api.patch(
        "/modules/digital_skills", json={"active": False, "replaced_by_code": "lean"}
    )
    assert retired.status_code == 200
    assert retired.json()["active"] is False
    assert await audit_actions(enrolment_session, created.json()["id"]) == [
        "training_module.created",
        "training_module.updated",
    ]


async def test_module_code_is_unique(api: Api) -> None:
    response = await api.post("/modules", json={"code": "osh", "name": "Safety again", "level": 2})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "body.code"


async def test_replacement_must_be_another_catalogued_module(api: Api) -> None:
    unknown = await api.patch("/modules/osh", json={"replaced_by_code": "no_such_module"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.replaced_by_code"
    itself = await api.patch("/modules/osh", json={"replaced_by_code": "osh"})
    assert itself.status_code == 422
    assert itself.json()["errors"][0]["rule"] == "not_self"


async def test_bad_module_input_names_the_field(api: Api) -> None:
    response = await api.post(
        "/modules", json={"code": "Has Spaces", "name": "X y", "level": 3, "colour": "red"}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.code", "body.level", "body.colour"} <= fields


async def test_unknown_module_answers_404(api: Api, world: World) -> None:
    assert (await api.get("/modules/basket_weaving", as_=world.efp_staff)).status_code == 404
    assert (await api.patch("/modules/basket_weaving", json={"level": 2})).status_code == 404
