"""Commitment meetings: the meeting with the CEO settles the application's commitment
declarations, and its criteria evaluation says so; tenancy follows the application."""

from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.meetings.models import CommitmentMeeting
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.calls_support import apply, count_rows, criterion, open_call
from tests.enrolment.support import Api, World, register
from tests.enrolment.test_graphql import data_of
from tests.enrolment.training_support import audit_actions, events_of

CEO = {"name": "Imran Sheikh", "position": "Chief Executive Officer", "decision_maker": True}


def meeting_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "held_on": "2018-08-20",
        "attendees": [CEO, {"name": "Sana Malik", "position": "HR manager"}],
        "commitment": "ceo_attends",
    }
    body.update(overrides)
    return body


async def pakistan_application(api: Api, world: World) -> dict[str, Any]:
    call = await open_call(api, world)
    enterprise = await register(api, world.efp_staff)
    response = await apply(api, call["id"], enterprise["id"], world.efp_staff)
    assert response.status_code == 201, response.text
    application: dict[str, Any] = response.json()
    assert application["outcome"] == "eligible"
    return application


async def test_a_meeting_without_commitment_makes_the_application_ineligible_and_says_why(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    application = await pakistan_application(api, world)
    response = await api.post(
        f"/applications/{application['id']}/meetings",
        json=meeting_body(commitment="none"),
        as_=world.efp_staff,
    )
    assert response.status_code == 201, response.text
    meeting = response.json()
    assert meeting["commitment"] == "none"
    assert meeting["attendees"][0]["decision_maker"] is True
    judged = (await api.get(f"/applications/{application['id']}")).json()
    assert judged["outcome"] == "ineligible"
    ceo = criterion(judged, "ceo_commitment")
    assert ceo["outcome"] == "failed"
    assert ceo["explanation"].endswith("(commitment given at the meeting of 2018-08-20)")
    assert judged["input_snapshot"]["commitment_meeting_id"] == meeting["id"]
    [event] = await events_of(enrolment_session, application["id"], "commitment_meeting.recorded")
    assert (event["meeting_id"], event["commitment"]) == (meeting["id"], "none")
    actions = await audit_actions(enrolment_session, application["id"])
    assert "commitment_meeting.recorded" in actions
    listed = (await api.get(f"/applications/{application['id']}/meetings")).json()
    assert [m["id"] for m in listed] == [meeting["id"]]


async def test_a_senior_nominee_with_authority_keeps_the_application_eligible(
    api: Api, world: World
) -> None:
    application = await pakistan_application(api, world)
    response = await api.post(
        f"/applications/{application['id']}/meetings",
        json=meeting_body(
            commitment="senior_nominee",
            nominee_name="Sana Malik",
            nominee_position="General manager",
            nominee_decision_authority=True,
        ),
        as_=world.pakistan_manager,
    )
    assert response.status_code == 201, response.text
    judged = (await api.get(f"/applications/{application['id']}")).json()
    assert judged["outcome"] == "eligible"
    assert judged["input_snapshot"]["senior_nominee_with_authority"] is True
    assert judged["input_snapshot"]["ceo_attends_workshops"] is False


async def test_bad_meetings_name_the_field_and_rule_and_write_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    application = await pakistan_application(api, world)
    url = f"/applications/{application['id']}/meetings"
    before = await count_rows(enrolment_session, CommitmentMeeting)
    cases: list[tuple[dict[str, Any], str, str]] = [
        (meeting_body(held_on="2999-01-01"), "body.held_on", "not_future"),
        (meeting_body(commitment="senior_nominee"), "body", "nominee_named"),
        (meeting_body(nominee_name="Sana Malik"), "body", "nominee_named"),
        (
            meeting_body(attendees=[{"name": "Sana Malik", "position": "HR manager"}]),
            "body",
            "decision_maker_present",
        ),
        (meeting_body(attendees=[]), "body.attendees", "too_short"),
        (meeting_body(commitment="maybe"), "body.commitment", "enum"),
        (
            meeting_body(attendees=[{**CEO, "decision_maker": "yes"}]),
            "body.attendees.0.decision_maker",
            "bool_type",
        ),
    ]
    for body, field, rule in cases:
        response = await api.post(url, json=body, as_=world.efp_staff)
        assert response.status_code == 422, (body, response.text)
        assert (field, rule) in {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert await count_rows(enrolment_session, CommitmentMeeting) == before
    judged = (await api.get(f"/applications/{application['id']}")).json()
    assert judged["outcome"] == "eligible"


async def test_other_tenants_cannot_record_or_read_meetings_and_owners_only_read(
    api: Api, world: World
) -> None:
    application = await pakistan_application(api, world)
    url = f"/applications/{application['id']}/meetings"
    assert (await api.post(url, json=meeting_body(), as_=world.efp_staff)).status_code == 201
    for outsider in (world.mdpi_staff, world.ghana_manager, world.inditex):
        assert (await api.post(url, json=meeting_body(), as_=outsider)).status_code == 404
        assert (await api.get(url, as_=outsider)).status_code == 404
    owner = Principal(
        subject="owner",
        role=Role.enterprise_user,
        enterprise_id=UUID(application["enterprise_id"]),
    )
    assert len((await api.get(url, as_=owner)).json()) == 1
    assert (await api.post(url, json=meeting_body(), as_=owner)).status_code == 403


async def test_graphql_shows_an_applications_meetings_to_its_tenants_only(
    api: Api, world: World
) -> None:
    application = await pakistan_application(api, world)
    url = f"/applications/{application['id']}/meetings"
    made = (await api.post(url, json=meeting_body(), as_=world.efp_staff)).json()
    query = (
        "query($id: ID!) { commitmentMeetings(applicationId: $id) "
        "{ id commitment heldOn attendees { name decisionMaker } } }"
    )
    mine = await data_of(api, query, as_=world.pakistan_manager, id=application["id"])
    assert mine["commitmentMeetings"] == [
        {
            "id": made["id"],
            "commitment": "ceo_attends",
            "heldOn": "2018-08-20",
            "attendees": [
                {"name": "Imran Sheikh", "decisionMaker": True},
                {"name": "Sana Malik", "decisionMaker": False},
            ],
        }
    ]
    for outsider in (world.mdpi_staff, world.ghana_manager, world.inditex):
        theirs = await data_of(api, query, as_=outsider, id=application["id"])
        assert theirs["commitmentMeetings"] == []
