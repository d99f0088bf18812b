"""Programme events beyond the classroom (seeds 000, 001): a mobilisation event invites new
enterprises and the project's own, an alumni network meeting is for alumni only, and the
register counts people by enterprise, role and sex; tenancy follows the event's project."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.programme_events.models import EventAttendee, ProgrammeEvent
from shared.enums import LifecycleStage, Role
from shared.identity import Principal
from tests.enrolment.support import Api, World, graph_data, register
from tests.enrolment.training_support import audit_actions, enrolled_enterprise, events_of


def event_body(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": str(world.pakistan_project_id),
        "kind": "mobilisation",
        "title": "Mobilisation event for the next Karachi batch",
        "held_on": "2021-09-21",
        "venue": "Karachi",
        "organiser": "ILO Pakistan (ILES)",
    }
    body.update(overrides)
    return body


def attendee(enterprise: str, name: str, sex: str, role: str = "manager") -> dict[str, Any]:
    return {"enterprise_id": enterprise, "name": name, "role": role, "sex": sex}


async def new_event(api: Api, world: World, *, as_: Principal, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = await api.created(
        "/programme-events", event_body(world, **overrides), as_=as_
    )
    return created


async def attendee_rows(session: AsyncSession, event_id: str) -> int:
    statement = select(func.count()).where(col(EventAttendee.event_id) == UUID(event_id))
    return int(await session.scalar(statement) or 0)


def rules(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {error["field"]: error["rule"] for error in response.json()["errors"]}


async def test_a_mobilisation_event_counts_invited_newcomers_and_project_enterprises_by_sex(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    event = await new_event(api, world, as_=staff)
    assert (event["kind"], event["cancelled"], event["attendees"]) == ("mobilisation", False, 0)
    # A factory not yet in the project is invited; one of the project's alumni comes too.
    newcomer = (await register(api, staff))["id"]
    alumnus = await enrolled_enterprise(
        api,
        enrolment_session,
        as_=staff,
        project_id=world.pakistan_project_id,
        stage=LifecycleStage.alumni,
    )
    invited = await api.put(
        f"/programme-events/{event['id']}/invitations/{newcomer}",
        json={"people": ["Ayesha Khan"]},
        as_=staff,
    )
    assert invited.status_code == 200, invited.text
    assert invited.json()["people"] == ["Ayesha Khan"]
    register_ = {
        "attendees": [
            attendee(newcomer, "Ayesha Khan", "female"),
            attendee(newcomer, "Bilal Ahmed", "male", "worker"),
            attendee(alumnus, "Naeem Ahmad", "male"),
            attendee(alumnus, "Sam Rizvi", "other", "worker"),
            attendee(alumnus, "Someone", "not_disclosed", "worker"),
        ]
    }
    response = await api.put(
        f"/programme-events/{event['id']}/attendance", json=register_, as_=staff
    )
    assert response.status_code == 200, response.text
    sheet = response.json()
    assert (sheet["attendees"], sheet["enterprises"]) == (5, 2)
    parts = (sheet["female"], sheet["male"], sheet["other_sex"], sheet["sex_not_disclosed"])
    assert parts == (1, 2, 1, 1)
    assert sum(parts) == sheet["attendees"]
    shown = (await api.get(f"/programme-events/{event['id']}", as_=staff)).json()
    assert (shown["invited_enterprises"], shown["attendees"]) == (1, 5)
    # The outbox carries the whole register (counts, no names) for reporting.
    [recorded] = await events_of(
        enrolment_session, event["id"], "programme_event.attendance_recorded"
    )
    assert sorted(a["sex"] for a in recorded["attendees"]) == [
        "female",
        "male",
        "male",
        "not_disclosed",
        "other",
    ]
    assert "name" not in recorded["attendees"][0]
    [changed] = await events_of(enrolment_session, event["id"], "programme_event.changed")
    assert (changed["kind"], changed["cancelled"]) == ("mobilisation", False)
    assert await audit_actions(enrolment_session, event["id"]) == [
        "programme_event.created",
        "programme_event.invited",
        "programme_event.attendance_recorded",
    ]


async def test_an_enterprise_neither_invited_nor_enrolled_is_refused_and_nothing_is_written(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    event = await new_event(api, world, as_=staff)
    enrolled = await enrolled_enterprise(
        api, enrolment_session, as_=staff, project_id=world.pakistan_project_id
    )
    stranger = (await register(api, staff))["id"]
    response = await api.put(
        f"/programme-events/{event['id']}/attendance",
        json={
            "attendees": [
                attendee(enrolled, "Imran Sheikh", "male"),
                attendee(stranger, "Sana Malik", "female"),
                attendee(str(uuid4()), "Nobody Known", "female"),
            ]
        },
        as_=staff,
    )
    assert rules(response) == {
        "body.attendees.1.enterprise_id": "invited_or_enrolled",
        "body.attendees.2.enterprise_id": "enterprise",
    }
    assert await attendee_rows(enrolment_session, event["id"]) == 0


async def test_an_alumni_meeting_refuses_enterprises_not_at_the_alumni_stage(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    meeting = await new_event(
        api,
        world,
        as_=staff,
        kind="alumni_meeting",
        title="Second SCORE Alumni Network meeting",
        held_on="2021-06-03",
        venue=None,
        online=True,
    )
    alumnus = await enrolled_enterprise(
        api,
        enrolment_session,
        as_=staff,
        project_id=world.pakistan_project_id,
        stage=LifecycleStage.alumni,
    )
    in_training = await enrolled_enterprise(
        api, enrolment_session, as_=staff, project_id=world.pakistan_project_id
    )
    refused = await api.put(
        f"/programme-events/{meeting['id']}/invitations/{in_training}", json={}, as_=staff
    )
    assert rules(refused) == {"path.enterprise_id": "alumni_stage"}
    response = await api.put(
        f"/programme-events/{meeting['id']}/attendance",
        json={
            "attendees": [
                attendee(alumnus, "Mustafa Ali", "male"),
                attendee(in_training, "Hina Baig", "female"),
            ]
        },
        as_=staff,
    )
    assert rules(response) == {"body.attendees.1.enterprise_id": "alumni_stage"}
    assert await attendee_rows(enrolment_session, meeting["id"]) == 0
    ok = await api.put(
        f"/programme-events/{meeting['id']}/attendance",
        json={"attendees": [attendee(alumnus, "Mustafa Ali", "male")]},
        as_=staff,
    )
    assert ok.status_code == 200, ok.text


async def test_recording_the_register_again_replaces_it_and_a_retry_changes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    event = await new_event(api, world, as_=staff)
    enterprise = await enrolled_enterprise(
        api, enrolment_session, as_=staff, project_id=world.pakistan_project_id
    )
    first = {"attendees": [attendee(enterprise, "Imran Sheikh", "male")]}
    url = f"/programme-events/{event['id']}/attendance"
    for _ in range(2):
        response = await api.put(url, json=first, as_=staff)
        assert response.json()["attendees"] == 1
    assert await attendee_rows(enrolment_session, event["id"]) == 1
    second = {
        "attendees": [
            attendee(enterprise, "Imran Sheikh", "male"),
            attendee(enterprise, "Sana Malik", "female"),
        ]
    }
    assert (await api.put(url, json=second, as_=staff)).json()["attendees"] == 2
    assert await attendee_rows(enrolment_session, event["id"]) == 2
    # The same person twice in one register is a mistake, not two people.
    twice = {"attendees": [*second["attendees"], attendee(enterprise, "sana malik", "female")]}
    assert rules(await api.put(url, json=twice, as_=staff)) == {
        "body.attendees.2.name": "duplicate"
    }
    # Inviting again with the same people is no new invitation.
    invite = f"/programme-events/{event['id']}/invitations/{enterprise}"
    for _ in range(2):
        assert (await api.put(invite, json={"people": ["Imran Sheikh"]}, as_=staff)).is_success
    assert (await audit_actions(enrolment_session, event["id"])).count(
        "programme_event.invited"
    ) == 1


async def test_a_partner_records_its_own_people_and_another_tenants_stay(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    """A buyer-supplier meeting of the Pakistan project with a Ghanaian supplier invited by
    the ILO: EFP neither sees nor erases MDPI's enterprise's people."""
    event = await new_event(api, world, as_=world.efp_staff, kind="buyer_supplier_meeting")
    ours = await enrolled_enterprise(
        api, enrolment_session, as_=world.efp_staff, project_id=world.pakistan_project_id
    )
    theirs = (await register(api, world.mdpi_staff, country="GH"))["id"]
    assert (
        await api.put(f"/programme-events/{event['id']}/invitations/{theirs}", json={})
    ).is_success
    url = f"/programme-events/{event['id']}/attendance"
    both = {
        "attendees": [
            attendee(ours, "Imran Sheikh", "male"),
            attendee(theirs, "Ama Mensah", "female"),
        ]
    }
    assert (await api.put(url, json=both)).json()["attendees"] == 2
    mine = {"attendees": [attendee(ours, "Sana Malik", "female")]}
    shown = (await api.put(url, json=mine, as_=world.efp_staff)).json()
    assert [r["name"] for r in shown["records"]] == ["Sana Malik"]
    assert theirs not in (await api.get(url, as_=world.efp_staff)).text
    everyone = (await api.get(url)).json()
    assert sorted(r["name"] for r in everyone["records"]) == ["Ama Mensah", "Sana Malik"]
    invitations = await api.get(f"/programme-events/{event['id']}/invitations", as_=world.efp_staff)
    assert invitations.json() == []


async def test_another_projects_event_is_not_found_like_a_random_id(api: Api, world: World) -> None:
    event = await new_event(api, world, as_=world.efp_staff)
    for path in ("", "/attendance", "/invitations"):
        foreign = await api.get(f"/programme-events/{event['id']}{path}", as_=world.mdpi_staff)
        random = await api.get(f"/programme-events/{uuid4()}{path}", as_=world.mdpi_staff)
        assert foreign.status_code == random.status_code == 404
        assert foreign.json()["type"] == random.json()["type"]
    listed = await api.get("/programme-events", as_=world.mdpi_staff)
    assert event["id"] not in listed.text
    refused = await api.post(
        "/programme-events",
        json=event_body(world, project_id=str(world.ghana_project_id)),
        as_=world.efp_staff,
    )
    assert rules(refused) == {"body.project_id": "project"}


async def test_only_the_projects_writers_organise_its_events(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await enrolled_enterprise(
        api, enrolment_session, as_=world.efp_staff, project_id=world.pakistan_project_id
    )
    user = Principal(subject="user", role=Role.enterprise_user, enterprise_id=UUID(enterprise))
    # The enterprise sees its project's events but cannot plan one.
    event = await new_event(api, world, as_=world.pakistan_manager)
    assert (await api.get(f"/programme-events/{event['id']}", as_=user)).status_code == 200
    response = await api.post("/programme-events", json=event_body(world), as_=user)
    assert response.status_code == 403, response.text
    cancel = await api.post(
        f"/programme-events/{event['id']}/cancel", json={"reason": "Rain"}, as_=user
    )
    assert cancel.status_code == 403


async def test_a_cancelled_event_takes_no_attendance_and_cancelling_again_changes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    event = await new_event(api, world, as_=staff)
    url = f"/programme-events/{event['id']}/cancel"
    for _ in range(2):
        response = await api.post(url, json={"reason": "Floods in Karachi"}, as_=staff)
        assert response.status_code == 200, response.text
        assert (response.json()["cancelled"], response.json()["cancel_reason"]) == (
            True,
            "Floods in Karachi",
        )
    assert (await audit_actions(enrolment_session, event["id"])).count(
        "programme_event.cancelled"
    ) == 1
    enterprise = await enrolled_enterprise(
        api, enrolment_session, as_=staff, project_id=world.pakistan_project_id
    )
    late = await api.put(
        f"/programme-events/{event['id']}/attendance",
        json={"attendees": [attendee(enterprise, "Imran Sheikh", "male")]},
        as_=staff,
    )
    assert late.status_code == 409
    assert late.json()["errors"][0]["rule"] == "cancelled"
    assert (
        await api.patch(f"/programme-events/{event['id']}", json={"title": "Again"})
    ).status_code == 409


async def test_attendance_waits_until_the_event_is_held_and_its_date_then_stays(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    soon = (date.today() + timedelta(days=30)).isoformat()
    event = await new_event(api, world, as_=staff, held_on=soon)
    enterprise = await enrolled_enterprise(
        api, enrolment_session, as_=staff, project_id=world.pakistan_project_id
    )
    url = f"/programme-events/{event['id']}/attendance"
    register_ = {"attendees": [attendee(enterprise, "Imran Sheikh", "male")]}
    early = await api.put(url, json=register_, as_=staff)
    assert early.status_code == 409
    assert early.json()["errors"][0]["rule"] == "held"
    moved = await api.patch(
        f"/programme-events/{event['id']}", json={"held_on": "2021-09-21"}, as_=staff
    )
    assert moved.status_code == 200, moved.text
    assert (await api.put(url, json=register_, as_=staff)).status_code == 200
    again = await api.patch(
        f"/programme-events/{event['id']}", json={"held_on": "2021-09-22"}, as_=staff
    )
    assert again.status_code == 409
    assert again.json()["errors"][0] == {
        "field": "body.held_on",
        "rule": "attendance_recorded",
        "message": "attendance is recorded for the date held",
        "value": "2021-09-22",
    }


async def test_bad_event_input_names_the_field_and_rule_and_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    async def events() -> int:
        statement = select(func.count()).select_from(ProgrammeEvent)
        return int(await enrolment_session.scalar(statement) or 0)

    before = await events()
    cases = [
        (event_body(world, venue=None), "body.venue", "venue_or_online"),
        (event_body(world, kind="party"), "body.kind", "enum"),
        (event_body(world, title="Kara\u0000chi"), "body.title", "no_null_character"),
        (event_body(world, online="yes"), "body.online", "bool_type"),
        (event_body(world, held_on="2021-02-30"), "body.held_on", "date_parsing"),
    ]
    for body, field, rule in cases:
        found = rules(await api.post("/programme-events", json=body, as_=world.efp_staff))
        assert found.get(field) == rule, (field, found)
    assert await events() == before


CREATE = """
mutation ($input: CreateProgrammeEventInput!) {
  createProgrammeEvent(input: $input) {
    __typename
    ... on ProgrammeEvent { id kind title online }
    ... on ValidationFailed { errors { field rule } }
  }
}
"""

ATTEND = """
mutation ($id: ID!, $input: EventAttendanceInput!) {
  recordProgrammeEventAttendance(eventId: $id, input: $input) {
    __typename
    ... on EventAttendance { attendees female male otherSex sexNotDisclosed }
    ... on ValidationFailed { errors { field rule } }
    ... on NotFound { message }
  }
}
"""


async def test_graphql_runs_events_through_the_same_rules_as_rest(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    base = {
        "projectId": str(world.pakistan_project_id),
        "kind": "alumni_meeting",
        "title": "Alumni Network meeting",
        "heldOn": "2021-06-03",
        "organiser": "ILO Pakistan",
    }
    refused = await graph_data(api, CREATE, as_=staff, input=base)
    assert refused["createProgrammeEvent"] == {
        "__typename": "ValidationFailed",
        "errors": [{"field": "input.venue", "rule": "venue_or_online"}],
    }
    made = (await graph_data(api, CREATE, as_=staff, input={**base, "online": True}))[
        "createProgrammeEvent"
    ]
    assert (made["__typename"], made["kind"]) == ("ProgrammeEvent", "alumni_meeting")
    alumnus = await enrolled_enterprise(
        api,
        enrolment_session,
        as_=staff,
        project_id=world.pakistan_project_id,
        stage=LifecycleStage.alumni,
    )
    people = [
        {"enterpriseId": alumnus, "name": "Naeem Ahmad", "role": "manager", "sex": "male"},
        {"enterpriseId": alumnus, "name": "Hina Baig", "role": "worker", "sex": "female"},
    ]
    sheet = await graph_data(api, ATTEND, as_=staff, id=made["id"], input={"attendees": people})
    assert sheet["recordProgrammeEventAttendance"] == {
        "__typename": "EventAttendance",
        "attendees": 2,
        "female": 1,
        "male": 1,
        "otherSex": 0,
        "sexNotDisclosed": 0,
    }
    hidden = await graph_data(
        api, ATTEND, as_=world.mdpi_staff, id=made["id"], input={"attendees": people}
    )
    assert hidden["recordProgrammeEventAttendance"]["__typename"] == "NotFound"
    listed = await graph_data(
        api,
        "query ($p: ID) { programmeEvents(projectId: $p) { items { id attendees } } }",
        as_=staff,
        p=str(world.pakistan_project_id),
    )
    assert {"id": made["id"], "attendees": 2} in listed["programmeEvents"]["items"]
    foreign = await graph_data(
        api,
        "query ($id: ID!) { programmeEvent(id: $id) { id } }",
        as_=world.mdpi_staff,
        id=made["id"],
    )
    assert foreign == {"programmeEvent": None}
