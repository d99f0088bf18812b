"""Four eyes: nobody validates a figure they entered or changed; bulk validation reports
each such value (per row) or refuses all (all or nothing); a project turns the rule off
only through an audited setting the ILO can list. Every edit of a draft is a version."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import plumbing
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import ILO, Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import IndicatorRef, accepted_ids, make_indicator, value

__all__ = ["indicators_world", "indicators_world_baseline"]


@pytest.fixture
async def accidents(indicators_session: AsyncSession) -> IndicatorRef:
    return await make_indicator(indicators_session, kind="count")


def officer(world: IndicatorsWorld, subject: str = "efp-officer") -> Principal:
    return world.world.efp_staff.model_copy(update={"subject": subject})


async def submitted(
    api: Api, world: IndicatorsWorld, indicator: IndicatorRef, *, as_: Principal, count: int = 1
) -> list[str]:
    enterprises = [world.efp_enterprise_id, world.efp_other_enterprise_id][:count]
    return await accepted_ids(
        api, [value(e, indicator, 3) for e in enterprises], as_=as_, submit=True
    )


async def test_the_enterer_cannot_validate_their_own_value(
    indicators_api: Api, indicators_world: IndicatorsWorld, accidents: IndicatorRef
) -> None:
    enterer = officer(indicators_world)
    [value_id] = await submitted(indicators_api, indicators_world, accidents, as_=enterer)

    refused = await indicators_api.post(f"/values/{value_id}/validate", as_=enterer)

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("value_id", "four_eyes")
    assert "someone else validates it" in error["message"]
    still = (await indicators_api.get(f"/values/{value_id}", as_=enterer)).json()
    assert still["status"] == "submitted"
    # A colleague of the same partner may.
    colleague = await indicators_api.post(
        f"/values/{value_id}/validate", as_=officer(indicators_world, "efp-colleague")
    )
    assert colleague.status_code == 200, colleague.text


async def test_whoever_changed_the_figure_cannot_validate_it_either(
    indicators_api: Api, indicators_world: IndicatorsWorld, accidents: IndicatorRef
) -> None:
    first, second = officer(indicators_world), officer(indicators_world, "efp-second")
    [value_id] = await accepted_ids(
        indicators_api, [value(indicators_world.efp_enterprise_id, accidents, 3)], as_=first
    )
    edited = await indicators_api.patch(
        f"/values/{value_id}", json={"value": 4, "reason": "register recounted"}, as_=second
    )
    assert edited.status_code == 200, edited.text
    await indicators_api.post(f"/values/{value_id}/submit", as_=second)

    for person in (first, second):
        refused = await indicators_api.post(f"/values/{value_id}/validate", as_=person)
        assert refused.status_code == 403, person.subject
    third = await indicators_api.post(
        f"/values/{value_id}/validate", as_=officer(indicators_world, "efp-third")
    )
    assert third.status_code == 200


async def test_all_or_nothing_refuses_every_value_and_names_the_self_entered_ones(
    indicators_api: Api, indicators_world: IndicatorsWorld, accidents: IndicatorRef
) -> None:
    enterer, colleague = officer(indicators_world), officer(indicators_world, "efp-colleague")
    [mine] = await submitted(indicators_api, indicators_world, accidents, as_=enterer)
    [theirs] = await accepted_ids(
        indicators_api,
        [value(indicators_world.efp_other_enterprise_id, accidents, 5)],
        as_=colleague,
        submit=True,
    )

    refused = await indicators_api.post(
        "/values/validate", json={"value_ids": [theirs, mine]}, as_=enterer
    )

    assert refused.status_code == 403
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
        ("body.value_ids.1", "four_eyes")
    ]
    for value_id in (mine, theirs):
        stored = (await indicators_api.get(f"/values/{value_id}", as_=enterer)).json()
        assert stored["status"] == "submitted"


async def test_per_row_validates_the_others_and_reports_each_refusal(
    indicators_api: Api, indicators_world: IndicatorsWorld, accidents: IndicatorRef
) -> None:
    enterer, colleague = officer(indicators_world), officer(indicators_world, "efp-colleague")
    [mine] = await submitted(indicators_api, indicators_world, accidents, as_=enterer)
    [theirs] = await accepted_ids(
        indicators_api,
        [value(indicators_world.efp_other_enterprise_id, accidents, 5)],
        as_=colleague,
        submit=True,
    )
    unknown = "01a23b56-0000-7000-8000-000000000000"

    response = await indicators_api.post(
        "/values/validate",
        json={"value_ids": [mine, theirs, unknown]},
        params={"mode": "per_row"},
        as_=enterer,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["validated"], body["refused"]) == (1, 2)
    outcomes = [
        (r["value_id"], r["status"], [e["rule"] for e in r["errors"]]) for r in body["results"]
    ]
    assert outcomes == [
        (mine, "refused", ["four_eyes"]),
        (theirs, "validated", []),
        (unknown, "refused", ["not_found"]),
    ]
    assert [v["id"] for v in body["values"]] == [theirs]
    assert (await indicators_api.get(f"/values/{theirs}", as_=enterer)).json()[
        "status"
    ] == "validated"
    assert (await indicators_api.get(f"/values/{mine}", as_=enterer)).json()[
        "status"
    ] == "submitted"


async def test_a_project_turns_four_eyes_off_only_through_an_audited_setting(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    accidents: IndicatorRef,
    indicators_session: AsyncSession,
) -> None:
    project = indicators_world.world.pakistan_project_id
    manager = indicators_world.world.pakistan_manager
    enterer = officer(indicators_world)
    path = f"/projects/{project}/review-policy"
    assert (await indicators_api.get(path, as_=manager)).json()["four_eyes"] is True
    # Nobody but the ILO and the project's manager changes it, and never without a reason.
    assert (
        await indicators_api.put(path, json={"four_eyes": False, "reason": "x"}, as_=enterer)
    ).status_code == 403
    assert (
        await indicators_api.put(path, json={"four_eyes": False}, as_=manager)
    ).status_code == 422

    changed = await indicators_api.put(
        path,
        json={"four_eyes": False, "reason": "One M&E officer at EFP until March"},
        as_=manager,
    )
    assert changed.status_code == 200, changed.text
    [value_id] = await submitted(indicators_api, indicators_world, accidents, as_=enterer)
    own = await indicators_api.post(f"/values/{value_id}/validate", as_=enterer)
    assert own.status_code == 200, own.text

    listed = await indicators_api.get("/review-policies", params={"four_eyes": "false"}, as_=ILO)
    [policy] = listed.json()["items"]
    assert (policy["project_id"], policy["four_eyes"]) == (str(project), False)
    assert policy["changed_by"] == "programme_manager:pk-manager"
    assert policy["reason"] == "One M&E officer at EFP until March"
    audit = plumbing.audit
    [entry] = (
        await indicators_session.execute(
            select(audit.c.actor, audit.c.before, audit.c.after, audit.c.reason).where(
                audit.c.action == "review_policy.changed"
            )
        )
    ).all()
    assert entry.actor == "programme_manager:pk-manager"
    assert (entry.before["four_eyes"], entry.after["four_eyes"]) == (True, False)
    # Another project's manager neither sees nor changes it: the same 404 as a random id.
    ghana = indicators_world.world.ghana_manager
    assert (await indicators_api.get(path, as_=ghana)).status_code == 404
    assert (
        await indicators_api.put(path, json={"four_eyes": True, "reason": "x"}, as_=ghana)
    ).status_code == 404
    assert (await indicators_api.get("/review-policies", as_=enterer)).status_code == 403


async def test_other_projects_keep_four_eyes(
    indicators_api: Api, indicators_world: IndicatorsWorld, accidents: IndicatorRef
) -> None:
    ghana = indicators_world.world.ghana_project_id
    await indicators_api.put(
        f"/projects/{ghana}/review-policy",
        json={"four_eyes": False, "reason": "small partner"},
        as_=ILO,
    )
    enterer = officer(indicators_world)
    [value_id] = await submitted(indicators_api, indicators_world, accidents, as_=enterer)

    assert (
        await indicators_api.post(f"/values/{value_id}/validate", as_=enterer)
    ).status_code == 403


async def test_every_edit_of_a_returned_value_is_a_version_with_who_when_and_why(
    indicators_api: Api, indicators_world: IndicatorsWorld, accidents: IndicatorRef
) -> None:
    enterer = officer(indicators_world)
    manager = indicators_world.world.pakistan_manager
    [value_id] = await submitted(indicators_api, indicators_world, accidents, as_=enterer)
    await indicators_api.post(
        f"/values/{value_id}/return", json={"reason": "check the register"}, as_=manager
    )
    for amount, reason in ((30, "register recounted"), (31, None)):
        body: dict[str, Any] = {"value": amount}
        if reason:
            body["reason"] = reason
        edited = await indicators_api.patch(f"/values/{value_id}", json=body, as_=enterer)
        assert edited.status_code == 200, edited.text

    history = (await indicators_api.get(f"/values/{value_id}/history", as_=enterer)).json()

    versions = [
        (v["version"], v["status"], v["value"], v["previous_value"], v["reason"])
        for v in history["versions"]
    ]
    assert versions == [
        (1, "returned", "3", None, None),
        (2, "draft", "30", "3", "register recounted"),
        (3, "draft", "31", "30", "edited"),
    ]
    assert {v["changed_by"] for v in history["versions"]} == {"partner_staff:efp-officer"}
    assert all(v["value_id"] == value_id for v in history["versions"])


async def test_the_ilo_validates_values_it_did_not_enter(
    indicators_api: Api, indicators_world: IndicatorsWorld, accidents: IndicatorRef
) -> None:
    ilo_enterer = Principal(subject="ilo-data-desk", role=Role.ilo_global)
    [value_id] = await submitted(indicators_api, indicators_world, accidents, as_=ilo_enterer)

    assert (
        await indicators_api.post(f"/values/{value_id}/validate", as_=ilo_enterer)
    ).status_code == 403
    assert (await indicators_api.post(f"/values/{value_id}/validate", as_=ILO)).status_code == 200
