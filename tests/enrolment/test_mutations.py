"""Enrolment's GraphQL mutations: the REST routes' service calls behind typed results, one
savepoint per field, tenancy as for REST, and Idempotency-Key on the subgraph."""

from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import plumbing
from services.enrolment.enterprises.models import Enterprise
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import Api, World, graph_data, register, unique

REGISTER = """
mutation ($input: RegisterEnterpriseInput!) {
  registerEnterprise(input: $input) {
    __typename
    ... on Enterprise { id name partnerId workforceTotal }
    ... on ValidationFailed { message errors { field rule message } }
    ... on Forbidden { message }
  }
}
"""

UPDATE = """
mutation ($id: ID!, $input: UpdateEnterpriseInput!) {
  updateEnterprise(id: $id, input: $input) {
    __typename
    ... on Enterprise { id city workforceTotal }
    ... on NotFound { message }
    ... on ValidationFailed { errors { field rule } }
  }
}
"""

ENROL_AND_MOVE = """
mutation ($input: EnrolEnterpriseInput!) {
  enrolEnterprise(input: $input) {
    __typename
    ... on EnterpriseEnrolment { id stage allowedNextStages }
    ... on ValidationFailed { errors { field rule } }
  }
}
"""

CHANGE_STAGE = """
mutation ($id: ID!, $input: ChangeStageInput!) {
  changeStage(enrolmentId: $id, input: $input) {
    __typename
    ... on EnterpriseEnrolment { stage }
    ... on Conflict { message type currentStage allowedStages }
    ... on ValidationFailed { errors { field rule } }
    ... on NotFound { message }
  }
}
"""


def profile(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": unique("Lahore Looms"),
        "country": "PK",
        "sector": "textile",
        "subSector": "ready_made_garments",
        "workforceTotal": 420,
        "workforceFemale": 200,
        "workforceMale": 220,
    }
    return body | overrides


async def enterprise_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Enterprise)) or 0)


async def test_partner_registers_an_enterprise_through_the_graph_as_through_rest(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    data = await graph_data(api, REGISTER, as_=world.efp_staff, input=profile())
    created = data["registerEnterprise"]
    assert created["__typename"] == "Enterprise"
    # Partner staff register for their own organisation, as over REST.
    assert created["partnerId"] == str(world.efp_id)
    rest = await api.get(f"/enterprises/{created['id']}", as_=world.efp_staff)
    assert rest.status_code == 200
    assert rest.json()["workforce_total"] == 420
    outbox = plumbing.outbox
    events = await enrolment_session.scalars(
        select(outbox.c.event_type).where(outbox.c.aggregate_id == created["id"])
    )
    assert list(events) == ["enterprise.registered"]


async def test_invalid_profile_is_a_validation_failure_naming_input_fields_and_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    before = await enterprise_count(enrolment_session)
    data = await graph_data(
        api,
        REGISTER,
        as_=world.efp_staff,
        input=profile(country="XX", workforceFemale=300, workforceMale=300),
    )
    refused = data["registerEnterprise"]
    assert refused["__typename"] == "ValidationFailed"
    rules = {error["field"]: error["rule"] for error in refused["errors"]}
    assert "input.country" in rules
    assert rules["input.workforceMale"] == "parts_exceed_total"
    assert await enterprise_count(enrolment_session) == before


async def test_another_partners_enterprise_is_not_found_like_a_random_id(
    api: Api, world: World
) -> None:
    efp_enterprise = await register(api, world.efp_staff)
    foreign = await graph_data(
        api, UPDATE, as_=world.mdpi_staff, id=efp_enterprise["id"], input={"city": "Accra"}
    )
    random_id = str(uuid4())
    random = await graph_data(api, UPDATE, as_=world.mdpi_staff, id=random_id, input={"city": "x"})
    assert foreign["updateEnterprise"]["__typename"] == "NotFound"
    assert foreign["updateEnterprise"]["message"].replace(efp_enterprise["id"], "<id>") == (
        random["updateEnterprise"]["message"].replace(random_id, "<id>")
    )
    unchanged = await api.get(f"/enterprises/{efp_enterprise['id']}", as_=world.efp_staff)
    assert unchanged.json()["city"] == "Karachi"


async def test_partial_update_changes_only_the_fields_given(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    data = await graph_data(
        api, UPDATE, as_=world.efp_staff, id=enterprise["id"], input={"city": "Lahore"}
    )
    assert data["updateEnterprise"] == {
        "__typename": "Enterprise",
        "id": enterprise["id"],
        "city": "Lahore",
        "workforceTotal": enterprise["workforce_total"],
    }


async def test_forbidden_transition_is_a_conflict_naming_current_and_allowed_stages(
    api: Api, world: World
) -> None:
    enterprise = await register(api, world.efp_staff)
    enrolled = await graph_data(
        api,
        ENROL_AND_MOVE,
        as_=world.efp_staff,
        input={"projectId": str(world.pakistan_project_id), "enterpriseId": enterprise["id"]},
    )
    enrolment = enrolled["enrolEnterprise"]
    assert enrolment["stage"] == "expression_of_interest"
    refused = await graph_data(
        api, CHANGE_STAGE, as_=world.efp_staff, id=enrolment["id"], input={"toStage": "alumni"}
    )
    conflict = refused["changeStage"]
    assert conflict["__typename"] == "Conflict"
    assert conflict["type"].endswith("/transition-not-allowed")
    assert conflict["currentStage"] == "expression_of_interest"
    assert conflict["allowedStages"] == enrolment["allowedNextStages"]
    no_reason = await graph_data(
        api, CHANGE_STAGE, as_=world.efp_staff, id=enrolment["id"], input={"toStage": "dropped"}
    )
    assert no_reason["changeStage"]["errors"] == [
        {"field": "input.reason", "rule": "reason_required"}
    ]


async def test_mutation_fields_run_in_order_and_a_refused_one_keeps_the_earlier_writes(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    before = await enterprise_count(enrolment_session)
    data = await graph_data(
        api,
        """
        mutation ($good: RegisterEnterpriseInput!, $bad: RegisterEnterpriseInput!) {
          first: registerEnterprise(input: $good) { __typename }
          second: registerEnterprise(input: $bad) { __typename }
        }
        """,
        as_=world.efp_staff,
        good=profile(),
        bad=profile(name="x"),
    )
    assert data == {
        "first": {"__typename": "Enterprise"},
        "second": {"__typename": "ValidationFailed"},
    }
    assert await enterprise_count(enrolment_session) == before + 1


async def test_roles_that_may_not_write_get_forbidden_as_from_rest(api: Api, world: World) -> None:
    trainer = Principal(subject="t", role=Role.trainer, trainer_id=uuid4())
    data = await graph_data(api, REGISTER, as_=trainer, input=profile())
    rest = await api.post(
        "/enterprises",
        json={"name": unique("X Mills"), "country": "PK", "sector": "textile"},
        as_=trainer,
    )
    assert rest.status_code == 403
    assert data["registerEnterprise"]["__typename"] == "Forbidden"


async def test_a_keyed_mutation_retried_on_the_subgraph_is_answered_once(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    before = await enterprise_count(enrolment_session)
    key = {"Idempotency-Key": f"register-{uuid4()}"}
    body = {"query": REGISTER, "variables": {"input": profile()}}
    first = await api.post("/graphql", json=body, as_=world.efp_staff, headers=key)
    again = await api.post("/graphql", json=body, as_=world.efp_staff, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert await enterprise_count(enrolment_session) == before + 1
    other = await api.post(
        "/graphql",
        json={"query": REGISTER, "variables": {"input": profile()}},
        as_=world.efp_staff,
        headers=key,
    )
    assert other.status_code == 409
    assert other.json()["errors"][0]["rule"] == "reused_key"


async def test_a_keyed_mutation_that_wrote_nothing_runs_again_when_retried(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    key = {"Idempotency-Key": f"refused-{uuid4()}"}
    body = {"query": REGISTER, "variables": {"input": profile(name="x")}}
    first = await api.post("/graphql", json=body, as_=world.efp_staff, headers=key)
    again = await api.post("/graphql", json=body, as_=world.efp_staff, headers=key)
    assert first.json()["data"]["registerEnterprise"]["__typename"] == "ValidationFailed"
    assert "Idempotent-Replayed" not in again.headers
    records = plumbing.idempotency
    kept = await enrolment_session.scalar(
        select(func.count()).select_from(records).where(records.c.key == key["Idempotency-Key"])
    )
    assert kept == 0
