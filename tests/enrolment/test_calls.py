"""Calls for expression of interest: criteria versions, applications, evaluation, shortlisting."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.calls.models import Application, Call
from services.enrolment.db import plumbing
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.calls_support import (
    DECLARED,
    GHANA_PRIORITIES,
    apply,
    close_call,
    count_rows,
    criterion,
    in_days,
    open_call,
    pakistan_criteria,
    stage_of,
)
from tests.enrolment.support import ILO, Api, World, headers_for, register


async def test_partner_in_project_creates_call_with_criteria_version_1(
    api: Api, world: World
) -> None:
    call = await open_call(api, world, as_=world.efp_staff)
    assert call["criteria_version"] == 1
    assert call["is_open"] is True
    assert [c["key"] for c in call["criteria"]][:2] == ["sub_sector", "workforce_size"]
    fetched = (await api.get(f"/calls/{call['id']}", as_=world.inditex)).json()
    assert fetched["criteria"] == call["criteria"]
    version = (await api.get(f"/calls/{call['id']}/criteria/1", as_=world.efp_staff)).json()
    assert version["version"] == 1
    assert version["created_by"] == "partner_staff:efp-officer"
    assert version["criteria"] == call["criteria"]


async def test_programme_manager_creates_calls_only_in_own_project(api: Api, world: World) -> None:
    assert await open_call(api, world, as_=world.pakistan_manager)
    elsewhere = await api.post(
        "/calls",
        json={
            "project_id": str(world.pakistan_project_id),
            "title": "Not my project",
            "deadline": in_days(10),
            "criteria": pakistan_criteria(),
        },
        as_=world.ghana_manager,
    )
    assert elsewhere.status_code == 404


async def test_lead_buyer_and_enterprise_user_cannot_create_a_call(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    owner = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=enterprise["id"])
    body = {
        "project_id": str(world.pakistan_project_id),
        "title": "A buyer's call",
        "deadline": in_days(10),
        "criteria": pakistan_criteria(),
    }
    for outsider in (world.inditex, owner):
        response = await api.post("/calls", json=body, as_=outsider)
        assert response.status_code == 403, outsider.role
        assert response.json()["type"].endswith("/forbidden")


async def test_partner_of_another_project_gets_404_creating_a_call(api: Api, world: World) -> None:
    response = await api.post(
        "/calls",
        json={
            "project_id": str(world.pakistan_project_id),
            "title": "MDPI in Pakistan",
            "deadline": in_days(10),
            "criteria": pakistan_criteria(),
        },
        as_=world.mdpi_staff,
    )
    assert response.status_code == 404


async def test_empty_criteria_set_is_refused_naming_the_field(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    calls_before = await count_rows(enrolment_session, Call)
    response = await api.post(
        "/calls",
        json={
            "project_id": str(world.pakistan_project_id),
            "title": "Everyone welcome",
            "deadline": in_days(10),
            "criteria": [],
        },
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "body.criteria"
    assert error["rule"] == "empty_criteria_set"
    assert "would admit everyone" in error["message"]
    assert await count_rows(enrolment_session, Call) == calls_before


async def test_unknown_rule_type_is_refused_naming_the_field(api: Api, world: World) -> None:
    criteria = pakistan_criteria()
    criteria[1]["rule"] = {"type": "at_least_maybe", "field": "workforce_total", "threshold": 1}
    response = await api.post(
        "/calls",
        json={
            "project_id": str(world.pakistan_project_id),
            "title": "Typo in a rule",
            "deadline": in_days(10),
            "criteria": criteria,
        },
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "body.criteria.1.rule"
    assert error["rule"] == "union_tag_invalid"
    assert "at_least_maybe" in error["message"]


async def test_criterion_reading_a_field_applications_lack_is_refused(
    api: Api, world: World
) -> None:
    criteria = pakistan_criteria()
    criteria[6]["rule"]["rules"][1]["field"] = "senior_nominee"
    response = await api.post(
        "/calls",
        json={
            "project_id": str(world.pakistan_project_id),
            "title": "Misspelt field",
            "deadline": in_days(10),
            "criteria": criteria,
        },
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "body.criteria.6.rule.rules.1.field"
    assert error["rule"] == "known_field"
    assert "senior_nominee_with_authority" in error["message"]


async def test_deadline_without_timezone_and_duplicate_keys_are_refused(
    api: Api, world: World
) -> None:
    criteria = pakistan_criteria()
    criteria[2]["key"] = criteria[1]["key"]
    response = await api.post(
        "/calls",
        json={
            "project_id": str(world.pakistan_project_id),
            "title": "Sloppy call",
            "deadline": "2030-08-10T23:59:59",
            "criteria": criteria,
        },
    )
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["body.deadline"]["rule"] == "timezone_aware"
    assert errors["body.criteria"]["rule"] == "unique_criterion_keys"
    assert "workforce_size" in errors["body.criteria"]["message"]


@pytest.mark.parametrize("deadline", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
async def test_deadline_past_the_years_a_utc_instant_holds_is_refused_naming_it(
    api: Api, world: World, deadline: str
) -> None:
    # Valid with its offset, but stored as UTC: year 10000 or year 0 failed the write (500).
    response = await api.post(
        "/calls",
        json={
            "project_id": str(world.pakistan_project_id),
            "title": "Call at the end of time",
            "deadline": deadline,
            "criteria": pakistan_criteria(),
        },
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.deadline", "datetime_range")


async def test_calls_are_public_filtered_by_project_and_paged_by_cursor(
    api: Api, world: World
) -> None:
    ids = {(await open_call(api, world))["id"] for _ in range(3)}
    ghana = await open_call(
        api, world, as_=world.ghana_manager, project_id=str(world.ghana_project_id)
    )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"project_id": str(world.pakistan_project_id), "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get("/calls", params=params, as_=world.mdpi_staff)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert ids <= set(seen)
    assert ghana["id"] not in seen


async def test_unknown_criteria_version_answers_404(api: Api, world: World) -> None:
    call = await open_call(api, world)
    response = await api.get(f"/calls/{call['id']}/criteria/2")
    assert response.status_code == 404
    assert "current: 1" in response.json()["detail"]


# --------------------------------------------------------------------------- applications


async def test_application_stores_criteria_version_and_input_snapshot(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff)
    response = await apply(api, call["id"], enterprise["id"], world.efp_staff)
    assert response.status_code == 201, response.text
    application = response.json()
    assert application["outcome"] == "eligible"
    assert application["criteria_version"] == 1
    assert application["project_id"] == str(world.pakistan_project_id)
    snapshot = application["input_snapshot"]
    assert snapshot["workforce_total"] == 450
    assert snapshot["sub_sector"] == "ready_made_garments"
    assert snapshot["willing_to_share_order_status"] is True
    assert snapshot["willing_to_hire_key_staff"] is None
    assert application["evaluated_at"] is not None
    assert [r["outcome"] for r in application["evaluation"]] == ["passed"] * 7
    stored = (
        await enrolment_session.exec(
            select(Application).where(Application.id == UUID(application["id"]))
        )
    ).one()
    assert stored.criteria_version == 1
    assert stored.input_snapshot == snapshot
    stage = await stage_of(enrolment_session, world.pakistan_project_id, enterprise["id"])
    assert stage == "eligible"
    fetched = await api.get(f"/applications/{application['id']}", as_=world.efp_staff)
    assert fetched.json()["evaluation"] == application["evaluation"]


async def test_application_after_the_deadline_is_refused_naming_it(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    deadline = "2018-08-10T23:59:59+05:00"
    call = await open_call(api, world, deadline=deadline, opens_on="2018-07-01")
    assert call["is_open"] is False
    enterprise = await register(api, world.efp_staff)
    response = await apply(api, call["id"], enterprise["id"], world.efp_staff)
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("/deadline-passed")
    assert "2018-08-10T18:59:59+00:00" in problem["detail"]
    assert await stage_of(enrolment_session, world.pakistan_project_id, enterprise["id"]) is None


async def test_application_before_the_call_opens_is_refused(api: Api, world: World) -> None:
    opens = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    call = await open_call(api, world, opens_on=opens)
    enterprise = await register(api, world.efp_staff)
    response = await apply(api, call["id"], enterprise["id"], world.efp_staff)
    assert response.status_code == 409
    assert f"opens on {opens}" in response.json()["detail"]


async def test_second_application_of_same_enterprise_is_refused_naming_the_first(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff)
    first = (await apply(api, call["id"], enterprise["id"], world.efp_staff)).json()
    again = await apply(api, call["id"], enterprise["id"], ILO)
    assert again.status_code == 409
    assert again.json()["existing_application_id"] == first["id"]
    assert first["id"] in again.json()["detail"]
    statement = select(func.count()).where(col(Application.call_id) == UUID(call["id"]))
    assert await enrolment_session.scalar(statement) == 1


async def test_retry_with_idempotency_key_returns_the_first_application(
    api: Api, world: World
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff)
    body = {"enterprise_id": enterprise["id"], "answers": DECLARED}
    headers = {**headers_for(world.efp_staff), "Idempotency-Key": "efp-batch-7-row-3"}
    url = f"/calls/{call['id']}/applications"
    first = await api.client.post(url, json=body, headers=headers)
    retry = await api.client.post(url, json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"


async def test_unknown_or_non_boolean_answers_are_refused(api: Api, world: World) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff)
    response = await apply(
        api,
        call["id"],
        enterprise["id"],
        world.efp_staff,
        {"ceo_attends_workshops": "yes", "pays_bribes": False},
    )
    assert response.status_code == 422
    errors = {e["field"]: e["rule"] for e in response.json()["errors"]}
    assert errors == {
        "body.answers.ceo_attends_workshops": "bool_type",
        "body.answers.pays_bribes": "extra_forbidden",
    }


async def test_programme_manager_and_buyer_cannot_apply(api: Api, world: World) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff)
    for outsider in (world.pakistan_manager, world.inditex):
        response = await apply(api, call["id"], enterprise["id"], outsider)
        assert response.status_code == 403, outsider.role


async def test_enterprise_user_applies_for_their_own_enterprise_only(
    api: Api, world: World
) -> None:
    call = await open_call(api, world)
    own = await register(api, world.efp_staff)
    other = await register(api, world.efp_staff)
    owner = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=own["id"])
    assert (await apply(api, call["id"], own["id"], owner)).status_code == 201
    assert (await apply(api, call["id"], other["id"], owner)).status_code == 404


async def test_mdpi_staff_cannot_apply_for_or_read_an_efp_application(
    api: Api, world: World
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff)
    assert (await apply(api, call["id"], enterprise["id"], world.mdpi_staff)).status_code == 404
    application = (await apply(api, call["id"], enterprise["id"], world.efp_staff)).json()
    for outsider in (world.mdpi_staff, world.ghana_manager, world.inditex):
        response = await api.get(f"/applications/{application['id']}", as_=outsider)
        assert response.status_code == 404, outsider.role
        listing = await api.get(f"/calls/{call['id']}/applications", as_=outsider)
        assert listing.status_code == 200
        assert listing.json()["items"] == [], outsider.role
        patched = await api.patch(
            f"/applications/{application['id']}",
            json={"answers": {"ceo_attends_workshops": False}},
            as_=outsider,
        )
        assert patched.status_code == 404, outsider.role
    for insider in (world.efp_staff, world.pakistan_manager):
        response = await api.get(f"/applications/{application['id']}", as_=insider)
        assert response.status_code == 200, insider.role


async def test_partner_staff_cannot_apply_to_a_call_of_a_project_it_is_not_in(
    api: Api, world: World
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.mdpi_staff, country="GH")
    response = await apply(api, call["id"], enterprise["id"], world.mdpi_staff)
    assert response.status_code == 403


async def test_submission_and_evaluation_events_are_in_the_outbox_with_audit(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff, workforce_total=250, **_SMALL)
    application = (await apply(api, call["id"], enterprise["id"], world.efp_staff)).json()
    outbox = plumbing.outbox
    rows = (
        await enrolment_session.execute(
            select(outbox.c.event_type, outbox.c.payload, outbox.c.actor)
            .where(outbox.c.aggregate_id == UUID(application["id"]))
            .order_by(outbox.c.position)
        )
    ).all()
    assert [r.event_type for r in rows] == ["application.submitted", "application.evaluated"]
    assert rows[0].payload["call_id"] == call["id"]
    assert rows[1].payload["outcome"] == "ineligible"
    assert rows[1].payload["criteria_version"] == 1
    assert rows[1].actor == "partner_staff:efp-officer"
    stage_events = (
        await enrolment_session.execute(
            select(outbox.c.payload)
            .where(
                outbox.c.event_type == "enrolment.stage_changed",
                outbox.c.payload["enterprise_id"].astext == enterprise["id"],
            )
            .order_by(outbox.c.position)
        )
    ).all()
    assert [e.payload["to_stage"] for e in stage_events] == [
        "expression_of_interest",
        "ineligible",
    ]
    assert stage_events[1].payload["reason"] == "evaluated against criteria version 1"
    audit = plumbing.audit
    actions = (
        await enrolment_session.execute(
            select(audit.c.action).where(audit.c.entity_id == UUID(application["id"]))
        )
    ).all()
    assert {a.action for a in actions} == {"application.submitted", "application.evaluated"}


# --------------------------------------------------------------------------- re-evaluation

_SMALL = {"workforce_permanent": 200, "workforce_female": None, "workforce_male": None}


async def test_profile_update_reevaluates_open_application_but_not_a_closed_call(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    open_one = await open_call(api, world)
    closing = await open_call(api, world, project_id=str(world.ghana_project_id))
    small = await register(api, world.efp_staff, workforce_total=250, **_SMALL)
    other = await register(api, world.efp_staff, workforce_total=250, **_SMALL)
    pending = (await apply(api, open_one["id"], small["id"], world.efp_staff)).json()
    late = (await apply(api, closing["id"], other["id"], ILO)).json()
    assert pending["outcome"] == late["outcome"] == "ineligible"
    await close_call(enrolment_session, closing["id"])

    for enterprise in (small, other):
        response = await api.patch(
            f"/enterprises/{enterprise['id']}", json={"workforce_total": 450}, as_=world.efp_staff
        )
        assert response.status_code == 200, response.text

    judged = (await api.get(f"/applications/{pending['id']}", as_=world.efp_staff)).json()
    assert judged["outcome"] == "eligible"
    assert criterion(judged, "workforce_size")["observed"] == 450
    assert judged["input_snapshot"]["workforce_total"] == 450
    assert judged["evaluated_at"] > pending["evaluated_at"]
    stage = await stage_of(enrolment_session, world.pakistan_project_id, small["id"])
    assert stage == "eligible"

    untouched = (await api.get(f"/applications/{late['id']}")).json()
    assert untouched["outcome"] == "ineligible"
    assert untouched["evaluated_at"] == late["evaluated_at"]
    assert untouched["input_snapshot"]["workforce_total"] == 250
    stage = await stage_of(enrolment_session, world.ghana_project_id, other["id"])
    assert stage == "ineligible"


async def test_new_criteria_version_reevaluates_open_applications_and_keeps_the_old(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(api, world, as_=world.pakistan_manager)
    enterprise = await register(api, world.efp_staff, workforce_total=250, **_SMALL)
    application = (await apply(api, call["id"], enterprise["id"], world.efp_staff)).json()
    assert application["outcome"] == "ineligible"

    criteria = pakistan_criteria()
    criteria[1]["rule"]["threshold"] = 200
    criteria[1]["label"] = "Workforce at the unit of 200 or more"
    response = await api.put(
        f"/calls/{call['id']}/criteria", json={"criteria": criteria}, as_=world.pakistan_manager
    )
    assert response.status_code == 200, response.text
    assert response.json()["criteria_version"] == 2

    judged = (await api.get(f"/applications/{application['id']}")).json()
    assert judged["criteria_version"] == 2
    assert judged["outcome"] == "eligible"
    assert criterion(judged, "workforce_size")["expected"] == ">= 200"
    stage = await stage_of(enrolment_session, world.pakistan_project_id, enterprise["id"])
    assert stage == "eligible"
    first = (await api.get(f"/calls/{call['id']}/criteria/1")).json()
    assert first["criteria"][1]["rule"]["threshold"] == 300
    assert (await api.get(f"/calls/{call['id']}")).json()["criteria_version"] == 2

    # The same criteria PUT again (a retry without a key) is the version already current.
    again = await api.put(
        f"/calls/{call['id']}/criteria", json={"criteria": criteria}, as_=world.pakistan_manager
    )
    assert again.status_code == 200, again.text
    assert again.json() == response.json()
    assert (await api.get(f"/calls/{call['id']}/criteria/3")).status_code == 404


async def test_criteria_change_after_the_deadline_leaves_applications_as_judged(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff, workforce_total=250, **_SMALL)
    application = (await apply(api, call["id"], enterprise["id"], world.efp_staff)).json()
    await close_call(enrolment_session, call["id"])
    criteria = pakistan_criteria()
    criteria[1]["rule"]["threshold"] = 200
    assert (
        await api.put(f"/calls/{call['id']}/criteria", json={"criteria": criteria})
    ).status_code == 200
    judged = (await api.get(f"/applications/{application['id']}")).json()
    assert (judged["criteria_version"], judged["outcome"]) == (1, "ineligible")


async def test_criteria_changes_are_refused_to_outsiders(api: Api, world: World) -> None:
    call = await open_call(api, world)
    body = {"criteria": pakistan_criteria()}
    for outsider in (world.inditex, world.mdpi_staff, world.ghana_manager):
        response = await api.put(f"/calls/{call['id']}/criteria", json=body, as_=outsider)
        assert response.status_code == 403, outsider.role
    empty = await api.put(f"/calls/{call['id']}/criteria", json={"criteria": []})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "body.criteria"


async def test_adding_missing_declarations_turns_needs_information_into_eligible(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff)
    application = (
        await apply(
            api, call["id"], enterprise["id"], world.efp_staff, {"ceo_attends_workshops": True}
        )
    ).json()
    assert application["outcome"] == "needs_information"
    response = await api.patch(
        f"/applications/{application['id']}",
        json={"answers": {k: v for k, v in DECLARED.items() if k != "ceo_attends_workshops"}},
        as_=world.efp_staff,
    )
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "eligible"
    assert response.json()["answers"] == DECLARED
    stage = await stage_of(enrolment_session, world.pakistan_project_id, enterprise["id"])
    assert stage == "eligible"


# --------------------------------------------------------------------------- shortlisting


async def ghana_applicants(api: Api, world: World, call_id: str) -> dict[str, str]:
    """Five Ghanaian firms in submission order; scores A 5, B 3, E 3, C 2, D 0."""
    profiles: dict[str, dict[str, Any]] = {
        "A": {"sub_sector": "recycling", "women_led": True},
        "B": {"sub_sector": "waste_management", "women_led": False},
        "C": {"sub_sector": "food_processing", "women_led": True},
        "D": {"sub_sector": "food_processing", "women_led": None},
        "E": {"sub_sector": "recycling", "women_led": False},
    }
    applications: dict[str, str] = {}
    for name, profile in profiles.items():
        enterprise = await register(
            api, world.mdpi_staff, country="GH", city="Accra", sector="manufacturing", **profile
        )
        response = await apply(api, call_id, enterprise["id"], world.mdpi_staff, answers={})
        assert response.status_code == 201, response.text
        applications[response.json()["id"]] = name
    return applications


async def test_shortlist_ranks_eligible_by_priority_score_within_capacity(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(
        api,
        world,
        as_=world.ghana_manager,
        project_id=str(world.ghana_project_id),
        capacity=2,
        criteria=GHANA_PRIORITIES,
    )
    names = await ghana_applicants(api, world, call["id"])

    ranked = await api.get(
        f"/calls/{call['id']}/applications", params={"order": "ranked"}, as_=world.mdpi_staff
    )
    assert [names[a["id"]] for a in ranked.json()["items"]] == ["A", "B", "E", "C", "D"]
    assert {a["outcome"] for a in ranked.json()["items"]} == {"eligible"}

    response = await api.post(f"/calls/{call['id']}/shortlist", as_=world.ghana_manager)
    assert response.status_code == 200, response.text
    shortlist = response.json()
    assert shortlist["places"] == 2
    assert shortlist["shortlisted_count"] == 2
    entries = [
        (e["rank"], names[e["application_id"]], e["priority_score"], e["shortlisted"])
        for e in shortlist["entries"]
    ]
    assert entries == [
        (1, "A", 5, True),
        (2, "B", 3, True),
        (3, "E", 3, False),
        (4, "C", 2, False),
        (5, "D", 0, False),
    ]
    stages = {
        names[e["application_id"]]: await stage_of(
            enrolment_session, world.ghana_project_id, e["enterprise_id"]
        )
        for e in shortlist["entries"]
    }
    assert stages == {
        "A": "shortlisted",
        "B": "shortlisted",
        "E": "eligible",
        "C": "eligible",
        "D": "eligible",
    }


async def test_shortlisting_again_neither_duplicates_nor_demotes(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(
        api,
        world,
        project_id=str(world.ghana_project_id),
        capacity=2,
        criteria=GHANA_PRIORITIES,
    )
    names = await ghana_applicants(api, world, call["id"])
    url = f"/calls/{call['id']}/shortlist"

    first = (await api.post(url, json={"limit": 1}, as_=world.mdpi_staff)).json()
    assert [names[e["application_id"]] for e in first["entries"] if e["shortlisted"]] == ["A"]

    # A later, equally strong applicant ranks after A (earlier submission wins the tie).
    late = await register(
        api, world.mdpi_staff, country="GH", sub_sector="recycling", women_led=True
    )
    late_application = (await apply(api, call["id"], late["id"], world.mdpi_staff, {})).json()
    names[late_application["id"]] = "F"

    second = (await api.post(url, as_=world.mdpi_staff)).json()
    assert [(names[e["application_id"]], e["shortlisted"]) for e in second["entries"]][:3] == [
        ("A", True),
        ("F", True),
        ("B", False),
    ]
    third = (await api.post(url, as_=world.mdpi_staff)).json()
    assert third["shortlisted_count"] == 2
    assert third["entries"] == second["entries"]
    transitions = await enrolment_session.scalar(
        select(func.count())
        .select_from(plumbing.outbox)
        .where(
            plumbing.outbox.c.event_type == "enrolment.stage_changed",
            plumbing.outbox.c.payload["to_stage"].astext == "shortlisted",
            plumbing.outbox.c.payload["project_id"].astext == str(world.ghana_project_id),
        )
    )
    assert transitions == 2


async def test_shortlist_without_capacity_or_limit_is_refused(api: Api, world: World) -> None:
    call = await open_call(api, world, capacity=None)
    response = await api.post(f"/calls/{call['id']}/shortlist", json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.limit"


async def test_buyer_and_partner_outside_the_project_cannot_shortlist(
    api: Api, world: World
) -> None:
    call = await open_call(api, world)
    for outsider in (world.inditex, world.mdpi_staff, world.ghana_manager):
        response = await api.post(f"/calls/{call['id']}/shortlist", as_=outsider)
        assert response.status_code == 403, outsider.role


async def test_reevaluation_never_moves_a_shortlisted_enterprise_back(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await open_call(api, world, capacity=1)
    enterprise = await register(api, world.efp_staff)
    application = (await apply(api, call["id"], enterprise["id"], world.efp_staff)).json()
    await api.post(f"/calls/{call['id']}/shortlist", as_=world.efp_staff)
    response = await api.patch(
        f"/enterprises/{enterprise['id']}",
        json={"workforce_total": 250, **_SMALL},
        as_=world.efp_staff,
    )
    assert response.status_code == 200, response.text
    judged = (await api.get(f"/applications/{application['id']}")).json()
    assert judged["outcome"] == "ineligible"
    assert judged["shortlisted"] is True
    stage = await stage_of(enrolment_session, world.pakistan_project_id, enterprise["id"])
    assert stage == "shortlisted"


async def test_listing_filters_by_outcome_and_pages_ranked_without_overlap(
    api: Api, world: World
) -> None:
    call = await open_call(
        api, world, project_id=str(world.ghana_project_id), criteria=GHANA_PRIORITIES
    )
    names = await ghana_applicants(api, world, call["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"order": "ranked", "outcome": "eligible", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get(f"/calls/{call['id']}/applications", params=params)).json()
        seen += [names[a["id"]] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["A", "B", "E", "C", "D"]
    none = await api.get(f"/calls/{call['id']}/applications", params={"outcome": "ineligible"})
    assert none.json()["items"] == []
