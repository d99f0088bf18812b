"""Cohorts: who may create them, which enterprises and trainers may join, and who sees them."""

from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import ensure_standard_modules
from services.enrolment.cohorts.models import Cohort
from shared.enums import LifecycleStage, Role
from shared.identity import Principal
from tests.enrolment.support import ILO, Api, World
from tests.enrolment.training_support import (
    as_trainer,
    audit_actions,
    certified_trainer,
    cohort_body,
    complete_module_1,
    enrolled_enterprise,
    enrolled_enterprises,
    events_of,
    new_cohort,
    new_trainer,
    ready_for_level_2,
    shortlist_for_level_2,
)


@pytest.fixture(autouse=True)
async def catalogue(enrolment_session: AsyncSession) -> None:
    await ensure_standard_modules(enrolment_session)
    await enrolment_session.commit()


async def cohort_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Cohort)) or 0)


async def test_partner_creates_cohort_of_four_without_warnings(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 4)
    trainer = await certified_trainer(api, as_=world.efp_staff)
    cohort = await new_cohort(api, world, enterprises, trainer_ids=[trainer["id"]])
    assert cohort["partner_id"] == str(world.efp_id)
    assert cohort["module_code"] == "workplace_cooperation"
    assert cohort["enterprise_ids"] == enterprises
    assert cohort["trainer_ids"] == [trainer["id"]]
    assert cohort["participants_count"] == 0
    assert cohort["warnings"] == []
    [event] = await events_of(enrolment_session, cohort["id"])
    assert event["event_type"] == "cohort.changed"
    assert event["enterprise_ids"] == enterprises
    assert await audit_actions(enrolment_session, cohort["id"]) == ["cohort.created"]
    fetched = await api.get(f"/cohorts/{cohort['id']}", as_=world.efp_staff)
    assert fetched.json() == cohort


async def test_cohort_beyond_five_enterprises_is_accepted_with_a_warning(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 6)
    cohort = await new_cohort(api, world, enterprises)
    assert cohort["warnings"] == ["cohort has 6 enterprises; SCORE cohorts have 4-5"]
    five = await api.put(
        f"/cohorts/{cohort['id']}/enterprises",
        json={"enterprise_ids": enterprises[:5]},
        as_=world.efp_staff,
    )
    assert five.status_code == 200, five.text
    assert five.json()["warnings"] == []


async def test_cohort_below_four_enterprises_is_accepted_with_a_warning(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 3)
    cohort = await new_cohort(api, world, enterprises)
    assert cohort["warnings"] == ["cohort has 3 enterprises; SCORE cohorts have 4-5"]


async def test_enterprise_not_enrolled_in_the_project_is_refused(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolled = await enrolled_enterprises(api, enrolment_session, world, 2)
    # Enrolled, but in the Ghana project, not the Pakistan one the cohort belongs to.
    elsewhere = await enrolled_enterprise(
        api, enrolment_session, as_=world.efp_staff, project_id=world.ghana_project_id
    )
    withdrawn = await enrolled_enterprise(
        api,
        enrolment_session,
        as_=world.efp_staff,
        project_id=world.pakistan_project_id,
        stage=LifecycleStage.withdrawn,
    )
    before = await cohort_count(enrolment_session)
    response = await api.post(
        "/cohorts",
        json=cohort_body(world, [*enrolled, elsewhere, withdrawn]),
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    errors = {e["field"]: e["rule"] for e in response.json()["errors"]}
    assert errors == {
        "body.enterprise_ids.2": "enrolled_in_project",
        "body.enterprise_ids.3": "enrolment_closed",
    }
    assert await cohort_count(enrolment_session) == before


async def test_other_partners_enterprise_reads_as_unknown(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    efp_enterprise = await enrolled_enterprise(
        api, enrolment_session, as_=world.efp_staff, project_id=world.ghana_project_id
    )
    [ghana] = await enrolled_enterprises(api, enrolment_session, world, 1, ghana=True)
    response = await api.post(
        "/cohorts",
        json=cohort_body(world, [ghana, efp_enterprise, ghana], ghana=True),
        as_=world.mdpi_staff,
    )
    assert response.status_code == 422
    errors = {e["field"]: e["rule"] for e in response.json()["errors"]}
    assert errors == {"body.enterprise_ids.1": "enterprise", "body.enterprise_ids.2": "duplicate"}


async def test_cohort_partner_and_project_must_belong_together(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 1)
    for_other = await api.post(
        "/cohorts",
        json=cohort_body(world, enterprises, partner_id=str(world.mdpi_id)),
        as_=world.efp_staff,
    )
    assert for_other.status_code == 422
    assert for_other.json()["errors"][0]["field"] == "body.partner_id"
    invisible_project = await api.post(
        "/cohorts", json=cohort_body(world, []), as_=world.mdpi_staff
    )
    assert invisible_project.status_code == 422
    assert invisible_project.json()["errors"][0]["field"] == "body.project_id"
    # MDPI is no partner of the Pakistan project, whoever asks.
    not_partner = await api.post(
        "/cohorts", json=cohort_body(world, enterprises, partner_id=str(world.mdpi_id)), as_=ILO
    )
    assert not_partner.status_code == 422
    assert not_partner.json()["errors"][0]["rule"] == "project_partner"
    missing = await api.post("/cohorts", json=cohort_body(world, enterprises), as_=ILO)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.partner_id"
    other_project = await api.post(
        "/cohorts",
        json=cohort_body(world, [], partner_id=str(world.efp_id)),
        as_=world.ghana_manager,
    )
    assert other_project.status_code == 422
    assert other_project.json()["errors"][0]["field"] == "body.project_id"


async def test_programme_manager_creates_cohort_for_a_project_partner(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 4)
    trainer = await certified_trainer(api, as_=world.efp_staff)
    cohort = await new_cohort(
        api,
        world,
        enterprises,
        as_=world.pakistan_manager,
        partner_id=str(world.efp_id),
        trainer_ids=[trainer["id"]],
    )
    assert cohort["trainer_ids"] == [trainer["id"]]


async def test_roles_that_never_create_cohorts_get_403(api: Api, world: World) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    owner = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=uuid4())
    for role in (world.inditex, as_trainer(trainer), owner):
        response = await api.post("/cohorts", json=cohort_body(world, []), as_=role)
        assert response.status_code == 403, role.role


async def test_retired_and_unknown_modules_are_refused(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 1)
    retired = await api.post(
        "/cohorts",
        json=cohort_body(world, enterprises, module_code="clean_production"),
        as_=world.efp_staff,
    )
    assert retired.status_code == 422
    [error] = retired.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.module_code", "module_inactive")
    assert "score4climate" in error["message"]
    unknown = await api.post(
        "/cohorts",
        json=cohort_body(world, enterprises, module_code="juggling", partner_id=str(world.efp_id)),
        as_=ILO,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.module_code"


async def test_trainers_must_work_with_the_cohort_partner(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 1)
    own = await new_trainer(api, as_=world.efp_staff)
    foreign = await new_trainer(api, as_=world.mdpi_staff, country="GH")
    response = await api.post(
        "/cohorts",
        json=cohort_body(world, enterprises, trainer_ids=[own["id"], foreign["id"]]),
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.trainer_ids.1", "partner_trainer")


async def test_module_2_needs_workplace_cooperation_completed_first(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    ready, not_ready = await enrolled_enterprises(api, enrolment_session, world, 2)
    await complete_module_1(api, world, [ready])
    await shortlist_for_level_2(enrolment_session, world, [ready, not_ready])
    refused = await api.post(
        "/cohorts",
        json=cohort_body(world, [ready, not_ready], module_code="quality_management"),
        as_=world.efp_staff,
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["enterprise_ids"] == [not_ready]
    [error] = problem["errors"]
    assert (error["field"], error["rule"]) == ("body.enterprise_ids.1", "module_order")
    assert not_ready in error["message"]
    cohort = await new_cohort(api, world, [ready], module_code="quality_management")
    adding = await api.put(
        f"/cohorts/{cohort['id']}/enterprises",
        json={"enterprise_ids": [ready, not_ready]},
        as_=world.efp_staff,
    )
    assert adding.status_code == 409
    assert adding.json()["errors"][0]["field"] == "body.enterprise_ids.1"


async def test_enterprise_takes_a_module_in_one_cohort_only(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 2)
    first = await new_cohort(api, world, enterprises)
    second = await api.post(
        "/cohorts", json=cohort_body(world, enterprises[1:]), as_=world.efp_staff
    )
    assert second.status_code == 409
    assert first["id"] in second.json()["errors"][0]["message"]


async def test_membership_changes_emit_cohort_changed_and_audit(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 5)
    trainer = await certified_trainer(api, as_=world.efp_staff)
    cohort = await new_cohort(api, world, enterprises[:4])
    grown = await api.put(
        f"/cohorts/{cohort['id']}/enterprises",
        json={"enterprise_ids": enterprises},
        as_=world.efp_staff,
    )
    assert grown.json()["enterprise_ids"] == enterprises
    staffed = await api.put(
        f"/cohorts/{cohort['id']}/trainers",
        json={"trainer_ids": [trainer["id"]]},
        as_=world.efp_staff,
    )
    assert staffed.json()["trainer_ids"] == [trainer["id"]]
    events = await events_of(enrolment_session, cohort["id"], "cohort.changed")
    assert [len(e["enterprise_ids"]) for e in events] == [4, 5, 5]
    assert events[-1]["trainer_ids"] == [trainer["id"]]
    assert await audit_actions(enrolment_session, cohort["id"]) == [
        "cohort.created",
        "cohort.enterprises_changed",
        "cohort.trainers_changed",
    ]


async def test_lists_of_ids_past_their_bound_are_refused_naming_them(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    # Unbounded, 40,000 ids made 40,000 query arguments: the driver refused them (a 500).
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 4)
    cohort = await new_cohort(api, world, enterprises)
    many = [str(uuid4()) for _ in range(40_000)]
    answers = {
        "body.enterprise_ids": await api.put(
            f"/cohorts/{cohort['id']}/enterprises",
            json={"enterprise_ids": many},
            as_=world.efp_staff,
        ),
        "body.trainer_ids": await api.put(
            f"/cohorts/{cohort['id']}/trainers", json={"trainer_ids": many}, as_=world.efp_staff
        ),
    }
    for field, response in answers.items():
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == (field, "too_long")
    created = await api.post(
        "/cohorts", json=cohort_body(world, many, trainer_ids=many), as_=world.efp_staff
    )
    assert created.status_code == 422, created.text
    fields = {(e["field"], e["rule"]) for e in created.json()["errors"]}
    assert fields == {("body.enterprise_ids", "too_long"), ("body.trainer_ids", "too_long")}


async def test_enterprise_with_participants_cannot_leave_the_cohort(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 2)
    cohort = await new_cohort(api, world, enterprises)
    await api.created(
        f"/cohorts/{cohort['id']}/participants",
        {"enterprise_id": enterprises[1], "name": "Sana Iqbal", "role": "worker", "sex": "female"},
        as_=world.efp_staff,
    )
    response = await api.put(
        f"/cohorts/{cohort['id']}/enterprises",
        json={"enterprise_ids": enterprises[:1]},
        as_=world.efp_staff,
    )
    assert response.status_code == 409
    assert response.json()["enterprise_ids"] == [enterprises[1]]
    unchanged = await api.get(f"/cohorts/{cohort['id']}", as_=world.efp_staff)
    assert unchanged.json()["enterprise_ids"] == enterprises


async def test_a_partner_replacing_its_cohorts_enterprises_keeps_and_never_names_one_it_cannot_see(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    """An EFP enterprise trains in MDPI's Ghana batch: MDPI does not see it, so its list of
    members leaves it out; that removes nothing, and no answer (not even a refusal) names it."""
    [own] = await enrolled_enterprises(api, enrolment_session, world, 1, ghana=True)
    guest = await enrolled_enterprise(
        api, enrolment_session, as_=world.efp_staff, project_id=world.ghana_project_id
    )
    cohort = await new_cohort(
        api, world, [own, guest], as_=ILO, ghana=True, partner_id=str(world.mdpi_id)
    )
    await api.created(
        f"/cohorts/{cohort['id']}/participants",
        {"enterprise_id": guest, "name": "Kofi Mensah", "role": "worker", "sex": "male"},
    )
    response = await api.put(
        f"/cohorts/{cohort['id']}/enterprises",
        json={"enterprise_ids": [own]},
        as_=world.mdpi_staff,
    )
    assert response.status_code == 200, response.text
    assert guest not in response.text
    assert response.json()["enterprise_ids"] == [own]
    kept = await api.get(f"/cohorts/{cohort['id']}")
    assert kept.json()["enterprise_ids"] == [own, guest]


async def test_trainer_sees_only_assigned_cohorts_and_cannot_manage_them(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 2)
    trainer = await certified_trainer(api, as_=world.efp_staff)
    assigned = await new_cohort(api, world, enterprises[:1], trainer_ids=[trainer["id"]])
    other = await new_cohort(api, world, enterprises[1:], name="Lahore batch 2")
    me = as_trainer(trainer)
    assert (await api.get(f"/cohorts/{assigned['id']}", as_=me)).status_code == 200
    assert (await api.get(f"/cohorts/{other['id']}", as_=me)).status_code == 404
    listing = await api.get("/cohorts", as_=me)
    assert [c["id"] for c in listing.json()["items"]] == [assigned["id"]]
    change = await api.put(
        f"/cohorts/{assigned['id']}/enterprises", json={"enterprise_ids": enterprises}, as_=me
    )
    assert change.status_code == 403


async def test_other_tenants_cannot_see_a_partners_cohort(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 1)
    cohort = await new_cohort(api, world, enterprises)
    for outsider in (world.mdpi_staff, world.ghana_manager, world.inditex):
        assert (await api.get(f"/cohorts/{cohort['id']}", as_=outsider)).status_code == 404
        listing = await api.get("/cohorts", as_=outsider)
        assert cohort["id"] not in [c["id"] for c in listing.json()["items"]]
        change = await api.put(
            f"/cohorts/{cohort['id']}/trainers", json={"trainer_ids": []}, as_=outsider
        )
        assert change.status_code == 404
    assert (
        await api.get(f"/cohorts/{cohort['id']}", as_=world.pakistan_manager)
    ).status_code == 200


async def test_enterprise_user_reads_own_cohort_but_never_changes_it(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    own, other = await enrolled_enterprises(api, enrolment_session, world, 2)
    cohort = await new_cohort(api, world, [own])
    elsewhere = await new_cohort(api, world, [other], name="Other batch")
    user = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=UUID(own))
    assert (await api.get(f"/cohorts/{cohort['id']}", as_=user)).status_code == 200
    assert (await api.get(f"/cohorts/{elsewhere['id']}", as_=user)).status_code == 404
    change = await api.put(
        f"/cohorts/{cohort['id']}/enterprises", json={"enterprise_ids": []}, as_=user
    )
    assert change.status_code == 403


async def test_cohort_listing_filters_by_project_and_module(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 2)
    await ready_for_level_2(api, enrolment_session, world, enterprises[:1])
    quality = await new_cohort(api, world, enterprises[:1], module_code="quality_management")
    module_1 = await new_cohort(api, world, enterprises[1:])
    by_module = await api.get(
        "/cohorts", params={"module_code": "quality_management"}, as_=world.efp_staff
    )
    ids = [c["id"] for c in by_module.json()["items"]]
    assert quality["id"] in ids
    assert module_1["id"] not in ids
    by_project = await api.get(
        "/cohorts", params={"project_id": str(world.ghana_project_id)}, as_=ILO
    )
    assert module_1["id"] not in [c["id"] for c in by_project.json()["items"]]


async def test_unscreened_enterprise_cannot_join_a_module_1_cohort(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    ready = await enrolled_enterprise(
        api, enrolment_session, as_=world.efp_staff, project_id=world.pakistan_project_id
    )
    unscreened = await enrolled_enterprise(
        api,
        enrolment_session,
        as_=world.efp_staff,
        project_id=world.pakistan_project_id,
        stage=LifecycleStage.shortlisted,
    )
    before = await cohort_count(enrolment_session)
    refused = await api.post(
        "/cohorts", json=cohort_body(world, [ready, unscreened]), as_=world.efp_staff
    )
    assert refused.status_code == 409, refused.text
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.enterprise_ids.1", "stage_reached")
    assert "is at shortlisted" in error["message"]
    assert "needs consent_signed" in error["message"]
    assert await cohort_count(enrolment_session) == before


async def test_uncertified_lead_trainer_is_refused_and_a_candidate_may_co_deliver(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 4)
    candidate = await new_trainer(api, as_=world.efp_staff, name="Candidate Trainer")
    lead = await certified_trainer(api, as_=world.efp_staff)
    refused = await api.post(
        "/cohorts",
        json=cohort_body(world, enterprises, trainer_ids=[candidate["id"]]),
        as_=world.efp_staff,
    )
    assert refused.status_code == 409
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.lead_trainer_id", "lead_trainer_certified")
    cohort = await new_cohort(
        api,
        world,
        enterprises,
        trainer_ids=[candidate["id"], lead["id"]],
        lead_trainer_id=lead["id"],
    )
    assert cohort["lead_trainer_id"] == lead["id"]
    assert cohort["overrides"] == []
    # Handing the lead to the candidate is refused too, and changes nothing.
    handover = await api.put(
        f"/cohorts/{cohort['id']}/trainers",
        json={"trainer_ids": [candidate["id"], lead["id"]], "lead_trainer_id": candidate["id"]},
        as_=world.efp_staff,
    )
    assert handover.status_code == 409
    assert handover.json()["errors"][0]["rule"] == "lead_trainer_certified"
    kept = await api.get(f"/cohorts/{cohort['id']}", as_=world.efp_staff)
    assert kept.json()["lead_trainer_id"] == lead["id"]


async def test_a_lead_trainer_not_among_the_trainers_is_bad_input(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 4)
    lead = await certified_trainer(api, as_=world.efp_staff)
    response = await api.post(
        "/cohorts",
        json=cohort_body(world, enterprises, trainer_ids=[], lead_trainer_id=lead["id"]),
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.lead_trainer_id", "lead_among_trainers")


async def test_partner_staff_cannot_override_the_cohort_rules(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 4)
    candidate = await new_trainer(api, as_=world.efp_staff)
    before = await cohort_count(enrolment_session)
    response = await api.post(
        "/cohorts",
        json=cohort_body(
            world,
            enterprises,
            trainer_ids=[candidate["id"]],
            override_reason="Our only trainer in Karachi this quarter",
        ),
        as_=world.efp_staff,
    )
    assert response.status_code == 403
    assert "lead_trainer_certified" in response.json()["detail"]
    assert await cohort_count(enrolment_session) == before


async def test_programme_manager_overrides_with_a_reason_that_is_kept_and_audited(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprises = await enrolled_enterprises(api, enrolment_session, world, 3)
    early = await enrolled_enterprise(
        api,
        enrolment_session,
        as_=world.efp_staff,
        project_id=world.pakistan_project_id,
        stage=LifecycleStage.baseline_assessment,
    )
    candidate = await new_trainer(api, as_=world.efp_staff)
    reason = "Consent forms are being signed this week; an expert trainer supervises"
    cohort = await new_cohort(
        api,
        world,
        [*enterprises, early],
        as_=world.pakistan_manager,
        partner_id=str(world.efp_id),
        trainer_ids=[candidate["id"]],
        override_reason=reason,
    )
    rules = {(o["rule"], o["subject_id"]) for o in cohort["overrides"]}
    assert rules == {("stage_reached", early), ("lead_trainer_certified", candidate["id"])}
    assert all(o["reason"] == reason and o["actor"] for o in cohort["overrides"])
    assert any(w.startswith("stage_reached overridden") for w in cohort["warnings"])
    actions = await audit_actions(enrolment_session, cohort["id"])
    assert actions == ["cohort.rules_overridden", "cohort.created"]
    # The enterprise user of a cohort mate does not learn of the early one's override.
    mate = Principal(subject="mate", role=Role.enterprise_user, enterprise_id=UUID(enterprises[0]))
    seen = (await api.get(f"/cohorts/{cohort['id']}", as_=mate)).json()
    assert early not in str(seen)
    assert [o["rule"] for o in seen["overrides"]] == ["lead_trainer_certified"]
