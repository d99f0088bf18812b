"""Improvement projects: money with its currency, status transitions, events and audit."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import plumbing
from tests.enrolment.support import Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld

__all__ = ["indicators_world", "indicators_world_baseline"]

TODAY = date.today()


def fields(response: Any) -> dict[str, str]:
    return {error["field"]: error["rule"] for error in response.json().get("errors", [])}


def five_s(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "module_code": "workplace_cooperation",
        "title": "5S in the warehouse",
        "category": "five_s",
    }
    body.update(overrides)
    return body


async def create(api: Api, enterprise_id: UUID, **overrides: Any) -> Any:
    return await api.post(
        f"/enterprises/{enterprise_id}/improvement-projects", json=five_s(**overrides)
    )


async def listed(api: Api, enterprise_id: UUID, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(f"/enterprises/{enterprise_id}/improvement-projects", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_project_with_cost_savings_and_photos_is_recorded_planned(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    response = await create(
        indicators_api,
        indicators_world.efp_enterprise_id,
        cost="150000.50",
        savings=420000,
        currency="pkr",
        before_photo="s3://score-photos/pk/warehouse-before.jpg",
        after_photo="photos/warehouse-after.jpg",
    )
    assert response.status_code == 201, response.text
    project = response.json()
    assert project["status"] == "planned"
    assert project["enterprise_id"] == str(indicators_world.efp_enterprise_id)
    assert (project["cost"], project["savings"], project["currency"]) == (
        "150000.50",
        "420000",
        "PKR",
    )
    assert project["before_photo"] == "s3://score-photos/pk/warehouse-before.jpg"
    fetched = await indicators_api.get(f"/improvement-projects/{project['id']}")
    assert fetched.json()["cost"] == "150000.50"


async def test_cost_without_currency_is_refused_naming_body_currency(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    response = await create(indicators_api, enterprise_id, cost=1000)
    assert response.status_code == 422
    assert fields(response) == {"body.currency": "required_with_amount"}
    savings_only = await create(indicators_api, enterprise_id, savings=1000)
    assert fields(savings_only) == {"body.currency": "required_with_amount"}
    assert await listed(indicators_api, enterprise_id) == []


async def test_unknown_currency_is_refused(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    response = await create(
        indicators_api, indicators_world.efp_enterprise_id, cost=1000, currency="XYZ"
    )
    assert response.status_code == 422
    assert list(fields(response)) == ["body.currency"]


async def test_bad_amounts_category_and_photo_are_refused_by_field(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    response = await create(
        indicators_api,
        indicators_world.efp_enterprise_id,
        cost=-5,
        savings="10.123",
        currency="ETB",
        category="Waste Recycling",
        module_code="Module 1",
        after_photo="x" * 501,
    )
    assert response.status_code == 422
    assert set(fields(response)) == {
        "body.cost",
        "body.savings",
        "body.category",
        "body.module_code",
        "body.after_photo",
    }


async def test_project_moves_planned_in_progress_completed(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    project = (await create(indicators_api, indicators_world.efp_enterprise_id)).json()
    url = f"/improvement-projects/{project['id']}"

    started = await indicators_api.patch(url, json={"status": "in_progress"})
    assert started.status_code == 200, started.text
    assert started.json()["started_on"] is not None  # defaults to today when it starts

    no_date = await indicators_api.patch(url, json={"status": "completed"})
    assert no_date.status_code == 422
    assert fields(no_date) == {"body.completed_on": "required_when_completed"}
    assert (await indicators_api.get(url)).json()["status"] == "in_progress"

    done = await indicators_api.patch(
        url,
        json={
            "status": "completed",
            "completed_on": TODAY.isoformat(),
            "savings": "98000",
            "currency": "BDT",
        },
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert done.json()["completed_on"] == TODAY.isoformat()

    # Savings are often measured after the fact: a completed project still takes them.
    later = await indicators_api.patch(url, json={"savings": "120000"})
    assert later.status_code == 200
    assert later.json()["savings"] == "120000"

    abandoned = await indicators_api.patch(url, json={"status": "abandoned"})
    assert abandoned.status_code == 409
    assert fields(abandoned) == {"body.status": "transition"}


async def test_planned_project_cannot_jump_to_completed_but_can_be_abandoned(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    project = (await create(indicators_api, indicators_world.efp_enterprise_id)).json()
    url = f"/improvement-projects/{project['id']}"
    jump = await indicators_api.patch(
        url, json={"status": "completed", "completed_on": TODAY.isoformat()}
    )
    assert jump.status_code == 409
    abandoned = await indicators_api.patch(
        url, json={"status": "abandoned", "reason": "the warehouse moved"}
    )
    assert abandoned.status_code == 200
    assert abandoned.json()["status"] == "abandoned"
    restart = await indicators_api.patch(url, json={"status": "in_progress"})
    assert restart.status_code == 409


async def test_completed_on_belongs_to_completed_projects_and_follows_the_start(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    planned = await create(indicators_api, enterprise_id, completed_on=TODAY.isoformat())
    assert fields(planned) == {"body.completed_on": "only_when_completed"}
    backwards = await create(
        indicators_api,
        enterprise_id,
        status="completed",
        started_on=TODAY.isoformat(),
        completed_on=(TODAY - timedelta(days=3)).isoformat(),
    )
    assert fields(backwards) == {"body.completed_on": "date_order"}
    future = await create(
        indicators_api,
        enterprise_id,
        status="completed",
        completed_on=(TODAY + timedelta(days=3)).isoformat(),
    )
    assert fields(future) == {"body.completed_on": "date_in_future"}
    recorded_late = await create(
        indicators_api,
        enterprise_id,
        status="completed",
        started_on=(TODAY - timedelta(days=60)).isoformat(),
        completed_on=(TODAY - timedelta(days=3)).isoformat(),
    )
    assert recorded_late.status_code == 201
    abandoned_at_birth = await create(indicators_api, enterprise_id, status="abandoned")
    assert abandoned_at_birth.status_code == 409
    # A planned project may carry its intended start date.
    ahead = await create(
        indicators_api, enterprise_id, started_on=(TODAY + timedelta(days=30)).isoformat()
    )
    assert ahead.status_code == 201


async def test_removing_the_currency_of_recorded_amounts_is_refused(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    project = (
        await create(
            indicators_api, indicators_world.efp_enterprise_id, cost="2500", currency="JOD"
        )
    ).json()
    url = f"/improvement-projects/{project['id']}"
    response = await indicators_api.patch(url, json={"currency": None})
    assert response.status_code == 422
    assert fields(response) == {"body.currency": "required_with_amount"}
    assert (await indicators_api.get(url)).json()["currency"] == "JOD"
    unknown = await indicators_api.patch(url, json={"currency": "XYZ"})
    assert list(fields(unknown)) == ["body.currency"]
    null_title = await indicators_api.patch(url, json={"title": None})
    assert "body.title" in fields(null_title)


async def test_projects_are_filtered_by_status_and_module_and_paged(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    ids = [(await create(indicators_api, enterprise_id)).json()["id"] for _ in range(3)]
    quality = await create(
        indicators_api, enterprise_id, module_code="quality_management", category="quality"
    )
    await indicators_api.patch(f"/improvement-projects/{ids[0]}", json={"status": "in_progress"})

    assert [p["id"] for p in await listed(indicators_api, enterprise_id, status="in_progress")] == [
        ids[0]
    ]
    by_module = await listed(indicators_api, enterprise_id, module_code="quality_management")
    assert [p["id"] for p in by_module] == [quality.json()["id"]]

    first = await indicators_api.get(
        f"/enterprises/{enterprise_id}/improvement-projects", params={"limit": 2}
    )
    page = first.json()
    assert len(page["items"]) == 2
    rest = await indicators_api.get(
        f"/enterprises/{enterprise_id}/improvement-projects",
        params={"limit": 2, "cursor": page["next_cursor"]},
    )
    assert [p["id"] for p in page["items"] + rest.json()["items"]] == [*ids, quality.json()["id"]]
    assert rest.json()["next_cursor"] is None

    everywhere = await indicators_api.get(
        "/improvement-projects", params={"enterprise_id": str(enterprise_id)}
    )
    assert len(everywhere.json()["items"]) == 4


async def test_project_changes_emit_full_data_and_audit_the_reason(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    created = await indicators_api.post(
        f"/enterprises/{indicators_world.efp_enterprise_id}/improvement-projects",
        json=five_s(cost="3000.00", currency="PKR", category="ppe", title="PPE for dyeing"),
        as_=world.efp_staff,
    )
    project_id = UUID(created.json()["id"])
    await indicators_api.patch(
        f"/improvement-projects/{project_id}",
        json={"status": "abandoned", "reason": "supplier of masks closed"},
        as_=world.efp_staff,
    )
    outbox = plumbing.outbox
    events = (
        await indicators_session.execute(
            select(outbox.c.event_type, outbox.c.payload, outbox.c.actor)
            .where(outbox.c.aggregate_id == project_id)
            .order_by(outbox.c.position)
        )
    ).all()
    assert [e.event_type for e in events] == ["improvement_project.changed"] * 2
    payload = events[0].payload
    assert payload["project_id"] == str(project_id)
    assert payload["enterprise_id"] == str(indicators_world.efp_enterprise_id)
    assert payload["module_code"] == "workplace_cooperation"
    assert payload["category"] == "ppe"
    assert payload["status"] == "planned"
    assert (payload["cost"], payload["savings"], payload["currency"]) == ("3000.00", None, "PKR")
    assert events[1].payload["status"] == "abandoned"
    assert events[1].actor == "partner_staff:efp-officer"

    audit = plumbing.audit
    entries = (
        await indicators_session.execute(
            select(audit.c.action, audit.c.reason, audit.c.before, audit.c.after)
            .where(audit.c.entity_id == project_id)
            .order_by(audit.c.id)
        )
    ).all()
    assert [e.action for e in entries] == [
        "improvement_project.created",
        "improvement_project.status_changed",
    ]
    assert entries[1].reason == "supplier of masks closed"
    assert entries[1].before["status"] == "planned"
    assert entries[1].after["status"] == "abandoned"
