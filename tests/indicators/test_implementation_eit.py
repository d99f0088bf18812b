"""Enterprise Improvement Teams: formation, composition by role and sex, meetings."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import plumbing
from tests.enrolment.support import Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld

__all__ = ["indicators_world", "indicators_world_baseline"]

TODAY = date.today()


def fields(response: Any) -> dict[str, str]:
    """The problem's errors as {field: rule}."""
    return {error["field"]: error["rule"] for error in response.json().get("errors", [])}


async def form_team(api: Api, enterprise_id: UUID, formed_on: date | None = None) -> Any:
    return await api.put(
        f"/enterprises/{enterprise_id}/eit",
        json={
            "formed_on": (formed_on or TODAY - timedelta(days=120)).isoformat(),
            "meeting_frequency": "twice a month",
        },
    )


async def add_member(api: Api, enterprise_id: UUID, role: str, sex: str, **extra: Any) -> Any:
    return await api.created(
        f"/enterprises/{enterprise_id}/eit/members",
        {"name": f"{role.title()} {uuid4().hex[:6]}", "role": role, "sex": sex, **extra},
    )


async def record_meeting(api: Api, enterprise_id: UUID, held_on: date, **extra: Any) -> Any:
    return await api.post(
        f"/enterprises/{enterprise_id}/eit/meetings",
        json={"held_on": held_on.isoformat(), **extra},
    )


async def test_forming_the_team_answers_201_then_200_when_corrected(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    formed = await form_team(indicators_api, enterprise_id)
    assert formed.status_code == 201, formed.text
    assert formed.json()["in_place"] is False
    assert formed.json()["meeting_frequency"] == "twice a month"
    corrected = await form_team(indicators_api, enterprise_id, TODAY - timedelta(days=100))
    assert corrected.status_code == 200
    assert corrected.json()["id"] == formed.json()["id"]
    assert corrected.json()["formed_on"] == (TODAY - timedelta(days=100)).isoformat()


async def test_team_not_formed_yet_answers_404(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    assert (await indicators_api.get(f"/enterprises/{enterprise_id}/eit")).status_code == 404
    member = await indicators_api.post(
        f"/enterprises/{enterprise_id}/eit/members",
        json={"name": "Sana Iqbal", "role": "worker", "sex": "female"},
    )
    assert member.status_code == 404


async def test_enterprise_unknown_to_the_replica_answers_404(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    assert (await form_team(indicators_api, uuid4())).status_code == 404


async def test_composition_counts_current_members_by_role_and_sex(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id)
    await add_member(indicators_api, enterprise_id, "manager", "female")
    await add_member(indicators_api, enterprise_id, "manager", "male")
    await add_member(indicators_api, enterprise_id, "worker", "female")
    await add_member(indicators_api, enterprise_id, "worker", "male")
    await add_member(indicators_api, enterprise_id, "worker", "male")

    team = (await indicators_api.get(f"/enterprises/{enterprise_id}/eit")).json()
    assert team["composition"] == {
        "managers": {"female": 1, "male": 1, "other": 0, "not_disclosed": 0, "total": 2},
        "workers": {"female": 1, "male": 2, "other": 0, "not_disclosed": 0, "total": 3},
        "total": 5,
        "women": 2,
        "women_share_pct": 40.0,
        "gender_balanced": True,  # 40% is the lower bound, included
    }
    assert team["in_place"] is True
    assert len(team["members"]) == 5


async def test_team_with_too_few_women_is_not_gender_balanced(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id)
    woman = await add_member(indicators_api, enterprise_id, "manager", "female")
    for _ in range(2):
        await add_member(indicators_api, enterprise_id, "worker", "male")
    team = (await indicators_api.get(f"/enterprises/{enterprise_id}/eit")).json()
    assert team["composition"]["women_share_pct"] == 33.3
    assert team["composition"]["gender_balanced"] is False

    # The only woman leaves: no woman and no manager; the team is no longer in place.
    left = await indicators_api.delete(f"/enterprises/{enterprise_id}/eit/members/{woman['id']}")
    assert left.status_code == 200, left.text
    # Leaving defaults to today (UTC).
    assert left.json()["left_on"] == datetime.now(UTC).date().isoformat()
    team = (await indicators_api.get(f"/enterprises/{enterprise_id}/eit")).json()
    assert team["composition"]["women"] == 0
    assert team["composition"]["gender_balanced"] is False
    assert team["in_place"] is False


async def test_all_women_team_is_not_gender_balanced_either(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id)
    await add_member(indicators_api, enterprise_id, "manager", "female")
    await add_member(indicators_api, enterprise_id, "worker", "female")
    composition = (await indicators_api.get(f"/enterprises/{enterprise_id}/eit")).json()[
        "composition"
    ]
    assert composition["women_share_pct"] == 100.0
    assert composition["gender_balanced"] is False


async def test_members_who_left_are_kept_and_listed_on_request(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id)
    member = await add_member(
        indicators_api,
        enterprise_id,
        "worker",
        "male",
        joined_on=(TODAY - timedelta(days=30)).isoformat(),
    )
    url = f"/enterprises/{enterprise_id}/eit/members/{member['id']}"
    before_joining = await indicators_api.delete(
        url, params={"left_on": (TODAY - timedelta(days=31)).isoformat()}
    )
    assert before_joining.status_code == 422
    assert fields(before_joining) == {"query.left_on": "date_order"}

    left = await indicators_api.delete(
        url, params={"left_on": (TODAY - timedelta(days=2)).isoformat()}
    )
    assert left.status_code == 200
    again = await indicators_api.delete(url)
    assert again.status_code == 409

    members = f"/enterprises/{enterprise_id}/eit/members"
    assert (await indicators_api.get(members)).json() == []
    [former] = (await indicators_api.get(members, params={"include_former": True})).json()
    assert former["left_on"] == (TODAY - timedelta(days=2)).isoformat()


async def test_member_update_is_judged_whole(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id)
    member = await add_member(indicators_api, enterprise_id, "worker", "female")
    url = f"/enterprises/{enterprise_id}/eit/members/{member['id']}"

    promoted = await indicators_api.patch(url, json={"role": "manager", "position_title": "HR"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "manager"

    cleared = await indicators_api.patch(url, json={"sex": None})
    assert cleared.status_code == 422
    assert "body.sex" in fields(cleared)
    bad_role = await indicators_api.patch(url, json={"role": "supervisor"})
    assert bad_role.status_code == 422
    assert "body.role" in fields(bad_role)

    other_team_member = await indicators_api.patch(
        f"/enterprises/{indicators_world.efp_other_enterprise_id}/eit/members/{member['id']}",
        json={"role": "worker"},
    )
    assert other_team_member.status_code == 404


async def test_meeting_in_the_future_is_refused_naming_held_on(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id)
    response = await record_meeting(indicators_api, enterprise_id, TODAY + timedelta(days=3))
    assert response.status_code == 422
    assert fields(response) == {"body.held_on": "date_in_future"}
    listed = await indicators_api.get(f"/enterprises/{enterprise_id}/eit/meetings")
    assert listed.json() == []


async def test_meeting_before_the_team_was_formed_is_refused(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id, TODAY - timedelta(days=10))
    response = await record_meeting(indicators_api, enterprise_id, TODAY - timedelta(days=11))
    assert response.status_code == 422
    assert fields(response) == {"body.held_on": "before_formation"}


async def test_second_meeting_on_the_same_date_is_a_conflict(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id)
    held_on = TODAY - timedelta(days=5)
    first = await record_meeting(
        indicators_api,
        enterprise_id,
        held_on,
        attendees_female=3,
        attendees_male=4,
        topics="5S audit of the cutting section",
        minutes_reference="minutes/2024-05-02.pdf",
    )
    assert first.status_code == 201, first.text
    assert first.json()["attendees_female"] == 3
    second = await record_meeting(indicators_api, enterprise_id, held_on)
    assert second.status_code == 409
    assert fields(second) == {"body.held_on": "unique"}
    listed = (await indicators_api.get(f"/enterprises/{enterprise_id}/eit/meetings")).json()
    assert [m["id"] for m in listed] == [first.json()["id"]]


async def test_team_meets_regularly_with_two_meetings_in_sixty_days(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await form_team(indicators_api, enterprise_id)
    url = f"/enterprises/{enterprise_id}/eit"
    await record_meeting(indicators_api, enterprise_id, TODAY - timedelta(days=90))
    await record_meeting(indicators_api, enterprise_id, TODAY - timedelta(days=20))
    team = (await indicators_api.get(url)).json()
    assert team["meeting_count"] == 2
    assert team["last_meeting_on"] == (TODAY - timedelta(days=20)).isoformat()
    assert team["meets_regularly"] is False

    await record_meeting(indicators_api, enterprise_id, TODAY - timedelta(days=5))
    team = (await indicators_api.get(url)).json()
    assert team["meeting_count"] == 3
    assert team["meets_regularly"] is True

    # A team cannot be dated after its first meeting.
    late = await form_team(indicators_api, enterprise_id, TODAY - timedelta(days=30))
    assert late.status_code == 422
    assert fields(late) == {"body.formed_on": "after_first_meeting"}


async def test_team_formed_in_the_future_is_refused(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    response = await form_team(
        indicators_api, indicators_world.efp_enterprise_id, TODAY + timedelta(days=3)
    )
    assert response.status_code == 422
    assert fields(response) == {"body.formed_on": "date_in_future"}


async def test_team_changes_emit_eit_changed_with_composition_and_are_audited(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    world = indicators_world.world
    team = await form_team(indicators_api, enterprise_id)
    team_id = UUID(team.json()["id"])
    await indicators_api.post(
        f"/enterprises/{enterprise_id}/eit/members",
        json={"name": "Imran Qureshi", "role": "manager", "sex": "male"},
        as_=world.efp_staff,
    )
    member = await add_member(indicators_api, enterprise_id, "worker", "female")
    await record_meeting(indicators_api, enterprise_id, TODAY - timedelta(days=1))

    outbox = plumbing.outbox
    events = (
        await indicators_session.execute(
            select(outbox.c.event_type, outbox.c.payload, outbox.c.actor)
            .where(outbox.c.aggregate_id == team_id)
            .order_by(outbox.c.position)
        )
    ).all()
    assert [e.event_type for e in events] == ["eit.changed"] * 4
    assert events[1].actor == "partner_staff:efp-officer"
    assert [e.payload["in_place"] for e in events] == [False, False, True, True]
    last = events[-1].payload
    assert last["enterprise_id"] == str(enterprise_id)
    assert last["formed_on"] == team.json()["formed_on"]
    assert (
        last["managers_female"],
        last["managers_male"],
        last["workers_female"],
        last["workers_male"],
    ) == (0, 1, 1, 0)
    assert last["meeting_count"] == 1
    assert last["last_meeting_on"] == (TODAY - timedelta(days=1)).isoformat()

    audit = plumbing.audit
    actions = (
        await indicators_session.execute(
            # Each test's writes are rolled back: these are this test's entries only.
            select(audit.c.action, audit.c.entity_id)
            .where(
                audit.c.entity_type.in_(
                    ["improvement_team", "improvement_team_member", "improvement_team_meeting"]
                )
            )
            .order_by(audit.c.id)
        )
    ).all()
    assert [a.action for a in actions] == [
        "eit.formed",
        "eit_member.added",
        "eit_member.added",
        "eit_meeting.recorded",
    ]
    assert actions[2].entity_id == UUID(member["id"])


async def test_unchanged_team_put_writes_nothing(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    formed_on = TODAY - timedelta(days=40)
    team_id = UUID((await form_team(indicators_api, enterprise_id, formed_on)).json()["id"])
    assert (await form_team(indicators_api, enterprise_id, formed_on)).status_code == 200
    outbox = plumbing.outbox
    count = (
        await indicators_session.execute(
            select(outbox.c.position).where(outbox.c.aggregate_id == team_id)
        )
    ).all()
    assert len(count) == 1
