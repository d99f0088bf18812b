"""A call's own questions: criteria read their answers like profile fields, with the same
explanation, and "unknown" while a question is unanswered."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.calls.models import Application
from tests.enrolment.calls_support import apply, count_rows, criterion, open_call
from tests.enrolment.support import Api, World, graph_data, register

JORDAN_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "employs_syrian_refugees",
        "label": "Does the enterprise employ Syrian refugees and host-community members?",
        "type": "yes_no",
    },
    {"key": "refugee_employees", "label": "How many Syrian refugees?", "type": "number"},
    {
        "key": "business_continuity",
        "label": "Workforce reskilling for business continuity",
        "type": "choice",
        "options": ["planned", "in_place", "none"],
    },
]
JORDAN_CRITERIA: list[dict[str, Any]] = [
    {
        "key": "refugee_employment",
        "label": "Employs Syrian refugees and host-community members",
        "kind": "hard",
        "rule": {"type": "is_true", "field": "employs_syrian_refugees"},
    },
    {
        "key": "many_refugees",
        "label": "Ten or more refugee employees",
        "kind": "priority",
        "weight": 2,
        "rule": {"type": "at_least", "field": "refugee_employees", "threshold": 10},
    },
    {
        "key": "reskilling",
        "label": "Reskilling in place or planned",
        "kind": "priority",
        "weight": 1,
        "rule": {
            "type": "value_in",
            "field": "business_continuity",
            "allowed": ["planned", "in_place"],
        },
    },
]


async def jordan_call(api: Api, world: World) -> dict[str, Any]:
    return await open_call(api, world, criteria=JORDAN_CRITERIA, questions=JORDAN_QUESTIONS)


async def test_criteria_read_answers_to_the_calls_questions_and_explain_them(
    api: Api, world: World
) -> None:
    call = await jordan_call(api, world)
    assert [q["key"] for q in call["questions"]] == [q["key"] for q in JORDAN_QUESTIONS]
    enterprise = await register(api, world.efp_staff)
    answers = {
        "questions": {
            "employs_syrian_refugees": True,
            "refugee_employees": 14,
            "business_continuity": "planned",
        }
    }
    response = await apply(api, call["id"], enterprise["id"], world.efp_staff, answers)
    assert response.status_code == 201, response.text
    application = response.json()
    assert application["outcome"] == "eligible"
    assert application["priority_score"] == 3
    many = criterion(application, "many_refugees")
    assert many["outcome"] == "passed"
    assert many["explanation"] == "refugee_employees is 14, meeting the threshold of 10"
    assert application["input_snapshot"]["employs_syrian_refugees"] is True


async def test_an_unanswered_question_leaves_its_criterion_unknown_until_answered(
    api: Api, world: World
) -> None:
    call = await jordan_call(api, world)
    enterprise = await register(api, world.efp_staff)
    first = (await apply(api, call["id"], enterprise["id"], world.efp_staff, {})).json()
    assert first["outcome"] == "needs_information"
    unknown = criterion(first, "refugee_employment")
    assert unknown["outcome"] == "unknown"
    assert unknown["explanation"] == "employs_syrian_refugees is unknown: no value given"
    patched = await api.patch(
        f"/applications/{first['id']}",
        json={"answers": {"questions": {"employs_syrian_refugees": False}}},
        as_=world.efp_staff,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["outcome"] == "ineligible"
    # A later answer to another question keeps the first one.
    again = await api.patch(
        f"/applications/{first['id']}",
        json={"answers": {"questions": {"refugee_employees": 3}}},
        as_=world.efp_staff,
    )
    assert again.json()["answers"]["questions"] == {
        "employs_syrian_refugees": False,
        "refugee_employees": 3,
    }


async def test_answers_the_call_does_not_ask_for_or_of_the_wrong_kind_are_refused(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    call = await jordan_call(api, world)
    enterprise = await register(api, world.efp_staff)
    before = await count_rows(enrolment_session, Application)
    answers = {
        "questions": {
            "employs_syrian_refugees": "yes",
            "refugee_employees": True,
            "business_continuity": "maybe",
            "green_practices": True,
        }
    }
    response = await apply(api, call["id"], enterprise["id"], world.efp_staff, answers)
    assert response.status_code == 422
    rules = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert rules == {
        ("body.answers.questions.employs_syrian_refugees", "question_yes_no"),
        ("body.answers.questions.refugee_employees", "question_number"),
        ("body.answers.questions.business_continuity", "question_choice"),
        ("body.answers.questions.green_practices", "known_question"),
    }
    assert await count_rows(enrolment_session, Application) == before


async def test_questions_must_not_shadow_fields_and_criteria_must_read_known_ones(
    api: Api, world: World
) -> None:
    body = {
        "project_id": str(world.pakistan_project_id),
        "title": "Jordan call",
        "deadline": "2099-01-01T00:00:00Z",
        "criteria": JORDAN_CRITERIA,
        "questions": [
            {"key": "workforce_total", "label": "How many workers?", "type": "number"},
            {"key": "business_continuity", "label": "Reskilling", "type": "text"},
        ],
    }
    response = await api.post("/calls", json=body)
    assert response.status_code == 422
    rules = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert rules == {
        ("body.questions.0.key", "question_key"),
        ("body.criteria.0.rule.field", "known_field"),
        ("body.criteria.1.rule.field", "known_field"),
    }
    choice_without_options = await api.post(
        "/calls",
        json={
            **body,
            "questions": [{"key": "business_continuity", "label": "Reskilling", "type": "choice"}],
        },
    )
    assert choice_without_options.status_code == 422
    assert choice_without_options.json()["errors"][0]["field"].startswith("body.questions.0")


async def test_a_new_criteria_version_carries_its_questions(api: Api, world: World) -> None:
    call = await jordan_call(api, world)
    changed = await api.put(
        f"/calls/{call['id']}/criteria",
        json={"criteria": JORDAN_CRITERIA[:1], "questions": JORDAN_QUESTIONS[:1]},
    )
    assert changed.status_code == 200, changed.text
    assert len(changed.json()["questions"]) == 1
    first = await api.get(f"/calls/{call['id']}/criteria/1")
    assert len(first.json()["questions"]) == 3


APPLY = """
mutation ($call: ID!, $input: ApplyToCallInput!) {
  applyToCall(callId: $call, input: $input) {
    __typename
    ... on Application { outcome priorityScore }
    ... on ValidationFailed { errors { field rule } }
  }
}"""


async def test_a_partners_system_answers_the_calls_questions_through_the_graph(
    api: Api, world: World
) -> None:
    call = await jordan_call(api, world)
    enterprise = await register(api, world.efp_staff)
    answers = {"employs_syrian_refugees": True, "refugee_employees": 14}
    data = await graph_data(
        api,
        APPLY,
        as_=world.efp_staff,
        call=call["id"],
        input={"enterpriseId": enterprise["id"], "answers": {"questions": answers}},
    )
    assert data["applyToCall"] == {
        "__typename": "Application",
        "outcome": "eligible",
        "priorityScore": 2,
    }
    wrong = await graph_data(
        api,
        APPLY,
        as_=world.efp_staff,
        call=call["id"],
        input={
            "enterpriseId": (await register(api, world.efp_staff))["id"],
            "answers": {"questions": {"refugee_employees": "many"}},
        },
    )
    assert wrong["applyToCall"]["__typename"] == "ValidationFailed"
    assert [e["field"] for e in wrong["applyToCall"]["errors"]] == [
        "input.answers.questions.refugee_employees"
    ]
