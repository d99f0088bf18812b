"""Enterprise Improvement Plans: actions with owners and due dates, linked to improvement
projects; the plan completes with its last action, with its event and audit; tenancy
follows the enterprise."""

from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import plumbing
from services.indicators.improvement_plans.models import ImprovementPlan
from tests.enrolment.calls_support import count_rows
from tests.enrolment.support import Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.test_graphql import entities
from tests.indicators.test_suggestions import rules

__all__ = ["indicators_world", "indicators_world_baseline"]


def action(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "objective": "Halve rework on line 3",
        "action": "Check the first piece of every bundle",
        "owner": "Line 3 supervisor",
        "due_on": "2019-03-31",
    }
    body.update(overrides)
    return body


def plan(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "module_code": "quality_management",
        "title": "Quality plan 2019",
        "agreed_on": "2019-01-15",
        "actions": [action(), action(action="Post defect charts at the line", owner="EIT")],
    }
    body.update(overrides)
    return body


async def count(session: AsyncSession) -> int:
    return await count_rows(session, ImprovementPlan)


async def test_a_plan_completes_with_its_last_action_and_says_so_in_events_and_audit(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    project = await indicators_api.post(
        f"/enterprises/{enterprise}/improvement-projects",
        json={"module_code": "quality_management", "title": "First-piece check", "category": "qc"},
    )
    assert project.status_code == 201, project.text
    body = plan()
    body["actions"][0]["improvement_project_id"] = project.json()["id"]
    made = await indicators_api.post(f"/enterprises/{enterprise}/improvement-plans", json=body)
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["status"] == "open"
    # Both due dates are long past: the trainer sees them overdue.
    assert created["progress"] == {
        "actions": 2, "done": 0, "dropped": 0, "overdue": 2, "percent_done": 0.0
    }  # fmt: skip
    first, second = (a["id"] for a in created["actions"])
    url = f"/improvement-plans/{created['id']}/actions"
    done = await indicators_api.patch(
        f"{url}/{first}", json={"status": "done", "done_on": "2019-03-20"}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["progress"]["percent_done"]) == ("open", 50.0)
    dropped = await indicators_api.patch(f"{url}/{second}", json={"status": "dropped"})
    finished = dropped.json()
    assert (finished["status"], finished["completed_on"]) == ("completed", "2019-03-20")
    assert finished["progress"]["percent_done"] == 100.0
    listed = await indicators_api.get(f"/enterprises/{enterprise}/improvement-plans")
    assert [p["status"] for p in listed.json()["items"]] == ["completed"]
    outbox, audit = plumbing.outbox, plumbing.audit
    events = (
        await indicators_session.execute(
            select(outbox.c.payload)
            .where(outbox.c.aggregate_id == created["id"])
            .order_by(outbox.c.position)
        )
    ).all()
    assert [(e.payload["status"], e.payload["actions_done"]) for e in events] == [
        ("open", 0),
        ("open", 1),
        ("completed", 1),
    ]
    actions = (
        await indicators_session.execute(
            select(audit.c.action).where(audit.c.entity_id == created["id"]).order_by(audit.c.id)
        )
    ).all()
    assert [a.action for a in actions] == [
        "improvement_plan.created",
        "improvement_plan.updated",
        "improvement_plan.completed",
    ]


async def test_bad_plans_name_the_field_and_rule_and_write_nothing(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    url = f"/enterprises/{indicators_world.efp_enterprise_id}/improvement-plans"
    before = await count(indicators_session)
    foreign = await indicators_api.post(
        f"/enterprises/{indicators_world.mdpi_enterprise_id}/improvement-projects",
        json={"module_code": "workplace_cooperation", "title": "5S", "category": "five_s"},
    )
    assert foreign.status_code == 201, foreign.text
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        (plan(actions=[]), ("body.actions", "too_short")),
        (plan(actions=[action(status="done")]), ("body.actions.0", "done_on_required")),
        (plan(actions=[action(done_on="2019-01-01")]), ("body.actions.0", "only_when_done")),
        (plan(agreed_on="2999-01-01"), ("body.agreed_on", "date_in_future")),
        (plan(module_code="Bad Code"), ("body.module_code", "string_pattern_mismatch")),
        (plan(actions=[action(owner="x\u0000")]), ("body.actions.0.owner", "no_null_character")),
        (
            plan(actions=[action(), action(improvement_project_id=foreign.json()["id"])]),
            ("body.actions.1.improvement_project_id", "same_enterprise"),
        ),
    ]
    for body, expected in cases:
        response = await indicators_api.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert expected in rules(response), (expected, response.text)
    assert await count(indicators_session) == before


async def test_another_tenants_plans_are_as_unknown_and_graphql_shows_progress(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    world = indicators_world.world
    enterprise = indicators_world.efp_enterprise_id
    made = (
        await indicators_api.post(
            f"/enterprises/{enterprise}/improvement-plans", json=plan(), as_=world.efp_staff
        )
    ).json()
    action_id = made["actions"][0]["id"]
    for outsider in (world.mdpi_staff, world.ghana_manager):
        for url in (
            f"/enterprises/{enterprise}/improvement-plans",
            f"/improvement-plans/{made['id']}",
        ):
            assert (await indicators_api.get(url, as_=outsider)).status_code == 404
        patched = await indicators_api.patch(
            f"/improvement-plans/{made['id']}/actions/{action_id}",
            json={"status": "dropped"},
            as_=outsider,
        )
        assert patched.status_code == 404
    query = """
    query($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Enterprise { id improvementPlans { title status actionsDone actions percentDone } }
      }
    }
    """
    mine = await entities(indicators_api, [enterprise], as_=world.pakistan_manager, query=query)
    assert mine[0]["improvementPlans"] == [
        {
            "title": "Quality plan 2019",
            "status": "open",
            "actionsDone": 0,
            "actions": 2,
            "percentDone": 0.0,
        }
    ]
    assert await entities(indicators_api, [enterprise], as_=world.mdpi_staff, query=query) == [None]
