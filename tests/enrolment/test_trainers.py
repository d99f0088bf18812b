"""Trainers: registration per partner, certification per module, and who sees them."""

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import ensure_standard_modules
from tests.enrolment.support import ILO, Api, World
from tests.enrolment.training_support import (
    as_trainer,
    audit_actions,
    events_of,
    new_trainer,
    record_evidence,
)


@pytest.fixture(autouse=True)
async def catalogue(enrolment_session: AsyncSession) -> None:
    await ensure_standard_modules(enrolment_session)
    # Committed (a savepoint release here) so a refused request's rollback keeps it.
    await enrolment_session.commit()


CERTIFIED = {
    "level": "certified",
    "tot_completed_on": "2018-03-10",
    "toe_completed_on": "2018-09-20",
}


async def test_partner_registers_trainer_for_own_organisation(api: Api, world: World) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff, email="ayesha@efp.example")
    assert trainer["organisation_id"] == str(world.efp_id)
    assert trainer["sex"] == "female"
    assert trainer["certifications"] == []
    fetched = await api.get(f"/trainers/{trainer['id']}", as_=world.efp_staff)
    assert fetched.status_code == 200
    assert fetched.json()["country"] == "PK"


async def test_trainer_registration_refuses_bad_input_and_other_partners(
    api: Api, world: World
) -> None:
    bad = await api.post(
        "/trainers", json={"name": "X", "sex": "unknown", "country": "XX"}, as_=world.efp_staff
    )
    assert bad.status_code == 422
    assert {"body.name", "body.sex", "body.country"} <= {e["field"] for e in bad.json()["errors"]}
    foreign = await api.post(
        "/trainers",
        json={
            "name": "Kwame Mensah",
            "sex": "male",
            "country": "GH",
            "organisation_id": str(world.mdpi_id),
        },
        as_=world.efp_staff,
    )
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "body.organisation_id"
    buyer_org = await api.post(
        "/trainers",
        json={
            "name": "Kwame Mensah",
            "sex": "male",
            "country": "GH",
            "organisation_id": str(world.inditex_id),
        },
    )
    assert buyer_org.status_code == 422
    assert buyer_org.json()["errors"][0]["rule"] == "implementation_partner"
    for role in (world.inditex, world.pakistan_manager):
        refused = await api.post(
            "/trainers", json={"name": "Kwame Mensah", "sex": "male", "country": "GH"}, as_=role
        )
        assert refused.status_code == 403


async def test_certified_without_toe_is_refused_naming_the_field(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    url = f"/trainers/{trainer['id']}/certifications/workplace_cooperation"
    candidate = await api.put(url, json={"level": "candidate"}, as_=world.efp_staff)
    assert candidate.status_code == 200, candidate.text
    assert candidate.json()["level"] == "candidate"
    refused = await api.put(
        url, json={"level": "certified", "tot_completed_on": "2018-03-10"}, as_=world.efp_staff
    )
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "body.toe_completed_on"
    assert error["rule"] == "required_for_certification"
    listed = await api.get(f"/trainers/{trainer['id']}/certifications", as_=world.efp_staff)
    assert [c["level"] for c in listed.json()] == ["candidate"]
    assert await events_of(enrolment_session, trainer["id"], "trainer.certified") == []


async def test_certification_emits_trainer_certified_with_sex_and_country(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    await record_evidence(api, trainer["id"], as_=world.efp_staff)
    url = f"/trainers/{trainer['id']}/certifications/workplace_cooperation"
    response = await api.put(url, json=CERTIFIED, as_=world.efp_staff)
    assert response.status_code == 200, response.text
    assert response.json()["certified_on"] == "2018-09-20"  # the later of ToT and ToE
    [event] = await events_of(enrolment_session, trainer["id"], "trainer.certified")
    assert event["module_code"] == "workplace_cooperation"
    assert event["level"] == "certified"
    assert (event["sex"], event["country"]) == ("female", "PK")
    assert event["organisation_id"] == str(world.efp_id)
    # Recording the same standing again is no new certification.
    same = await api.put(url, json={"level": "certified"}, as_=world.efp_staff)
    assert same.status_code == 200
    assert len(await events_of(enrolment_session, trainer["id"], "trainer.certified")) == 1
    # A corrected date is sent again: reports date a certification by the day awarded.
    again = await api.put(
        url, json={"level": "certified", "certified_on": "2018-10-01"}, as_=world.efp_staff
    )
    assert again.status_code == 200
    assert again.json()["tot_completed_on"] == "2018-03-10"
    events = await events_of(enrolment_session, trainer["id"], "trainer.certified")
    assert [(e["level"], e["certified_on"]) for e in events] == [
        ("certified", "2018-09-20"),
        ("certified", "2018-10-01"),
    ]
    assert await audit_actions(enrolment_session, trainer["id"]) == [
        "trainer.registered",
        "trainer.quiz_recorded",
        "trainer.quiz_recorded",
        "trainer.assignment_submitted",
        "trainer.certification_changed",
        "trainer.certification_changed",
        "trainer.certification_changed",
    ]


async def test_expert_requires_certification_in_that_module_first(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    await record_evidence(api, trainer["id"], as_=world.efp_staff)
    base = f"/trainers/{trainer['id']}/certifications"
    await api.put(f"{base}/workplace_cooperation", json=CERTIFIED, as_=world.efp_staff)
    too_early = await api.put(
        f"{base}/osh", json={**CERTIFIED, "level": "expert"}, as_=world.efp_staff
    )
    assert too_early.status_code == 409
    assert "certified in 'osh'" in too_early.json()["detail"]
    expert = await api.put(
        f"{base}/workplace_cooperation", json={"level": "expert"}, as_=world.efp_staff
    )
    assert expert.status_code == 200, expert.text
    assert expert.json()["toe_completed_on"] == "2018-09-20"
    levels = [
        e["level"] for e in await events_of(enrolment_session, trainer["id"], "trainer.certified")
    ]
    assert levels == ["certified", "expert"]
    listed = await api.get(base, as_=world.efp_staff)
    assert [(c["module_code"], c["level"]) for c in listed.json()] == [
        ("workplace_cooperation", "expert")
    ]


async def test_certification_dates_must_be_in_order(api: Api, world: World) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    response = await api.put(
        f"/trainers/{trainer['id']}/certifications/osh",
        json={**CERTIFIED, "toe_completed_on": "2018-01-01", "certified_on": "2017-12-01"},
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    rules = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert ("body.toe_completed_on", "date_order") in rules
    assert ("body.certified_on", "date_order") in rules


async def test_certification_in_unknown_module_answers_404(api: Api, world: World) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    response = await api.put(
        f"/trainers/{trainer['id']}/certifications/basket_weaving",
        json={"level": "candidate"},
        as_=world.efp_staff,
    )
    assert response.status_code == 404


async def test_other_partners_and_buyers_cannot_see_or_change_trainers(
    api: Api, world: World
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    for outsider in (world.mdpi_staff, world.inditex, world.ghana_manager):
        assert (await api.get(f"/trainers/{trainer['id']}", as_=outsider)).status_code == 404
        patched = await api.patch(
            f"/trainers/{trainer['id']}", json={"name": "Someone"}, as_=outsider
        )
        assert patched.status_code == 404
        certified = await api.put(
            f"/trainers/{trainer['id']}/certifications/osh",
            json={"level": "candidate"},
            as_=outsider,
        )
        assert certified.status_code == 404
        listing = await api.get("/trainers", as_=outsider)
        assert trainer["id"] not in [t["id"] for t in listing.json()["items"]]


async def test_trainer_sees_only_themselves_and_cannot_edit_their_record(
    api: Api, world: World
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    colleague = await new_trainer(api, as_=world.efp_staff, name="Bilal Ahmed", sex="male")
    me = as_trainer(trainer)
    assert (await api.get(f"/trainers/{trainer['id']}", as_=me)).status_code == 200
    assert (await api.get(f"/trainers/{colleague['id']}", as_=me)).status_code == 404
    listing = await api.get("/trainers", as_=me)
    assert [t["id"] for t in listing.json()["items"]] == [trainer["id"]]
    edit = await api.patch(f"/trainers/{trainer['id']}", json={"name": "Ayesha K."}, as_=me)
    assert edit.status_code == 403
    promote = await api.put(f"/trainers/{trainer['id']}/certifications/osh", json=CERTIFIED, as_=me)
    assert promote.status_code == 403


async def test_only_the_ilo_moves_a_trainer_to_another_partner(api: Api, world: World) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    refused = await api.patch(
        f"/trainers/{trainer['id']}",
        json={"organisation_id": str(world.mdpi_id)},
        as_=world.efp_staff,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["rule"] == "ilo_only"
    moved = await api.patch(
        f"/trainers/{trainer['id']}", json={"organisation_id": str(world.mdpi_id)}, as_=ILO
    )
    assert moved.status_code == 200
    assert (await api.get(f"/trainers/{trainer['id']}", as_=world.efp_staff)).status_code == 404
    assert (await api.get(f"/trainers/{trainer['id']}", as_=world.mdpi_staff)).status_code == 200
