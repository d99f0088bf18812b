"""Mutations through the gateway's graph: the write scope, root fields in order across
subgraphs, the caller's identity (so tenancy) forwarded, and Idempotency-Key as for REST."""

from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.enterprises.models import Enterprise
from services.indicators.rounds.models import MeasurementRound
from shared.identity import Principal
from tests.enrolment.support import Api, World, register, unique
from tests.gateway.graph.support import WRITER, Graph

REGISTER = """
mutation ($input: RegisterEnterpriseInput!) {
  registerEnterprise(input: $input) {
    __typename ... on Enterprise { id name partnerId } ... on NotFound { message }
  }
}
"""


def writer(principal: Principal) -> Principal:
    return principal.model_copy(update={"scopes": frozenset({"read", "write"})})


def profile() -> dict[str, Any]:
    return {"name": unique("Sialkot Sports"), "country": "PK", "sector": "textile"}


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_mutation_needs_the_write_scope_and_writes_nothing_without_it(
    graph: Graph, world: World, enrolment_session: AsyncSession
) -> None:
    before = await count(enrolment_session, Enterprise)
    reader = world.efp_staff.model_copy(update={"scopes": frozenset({"read"})})
    refused = await graph.post(REGISTER, {"input": profile()}, as_=reader)
    assert refused.status_code == 403, refused.text
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "'write' scope" in error["message"]
    assert graph.subgraphs.calls == []
    assert await count(enrolment_session, Enterprise) == before
    # Queries still need only read.
    assert (await graph.post("{ projects { items { id } } }", as_=reader)).status_code == 200


async def test_the_callers_identity_reaches_the_subgraph_so_tenancy_applies(
    graph: Graph, api: Api, world: World
) -> None:
    created = await graph.data(REGISTER, {"input": profile()}, as_=writer(world.efp_staff))
    assert created["registerEnterprise"]["partnerId"] == str(world.efp_id)
    foreign = await register(api, world.efp_staff)
    update = """
      mutation ($id: ID!) {
        updateEnterprise(id: $id, input: {city: "Tema"}) { __typename }
      }
    """
    answer = await graph.data(update, {"id": foreign["id"]}, as_=writer(world.mdpi_staff))
    assert answer == {"updateEnterprise": {"__typename": "NotFound"}}


async def test_root_fields_run_in_order_across_subgraphs(
    graph: Graph, world: World, indicators_session: AsyncSession
) -> None:
    before = await count(indicators_session, MeasurementRound)
    data = await graph.data(
        """
        mutation ($project: ID!, $input: RegisterEnterpriseInput!) {
          first: registerEnterprise(input: $input) { __typename }
          round: createRound(input: {projectId: $project, kind: "baseline", name: "Baseline",
                                     startsOn: "2018-09-01", endsOn: "2018-10-31"}) {
            __typename ... on MeasurementRound { kind }
          }
          last: registerEnterprise(input: $input) { __typename }
        }
        """,
        {"project": str(world.pakistan_project_id), "input": profile()},
        as_=WRITER,
    )
    assert data == {
        "first": {"__typename": "Enterprise"},
        "round": {"__typename": "MeasurementRound", "kind": "baseline"},
        "last": {"__typename": "Enterprise"},
    }
    hosts = [call.host for call in graph.subgraphs.calls]
    assert hosts == ["enrolment.test", "indicators.test", "enrolment.test"]
    assert await count(indicators_session, MeasurementRound) == before + 1


async def test_a_retried_mutation_with_its_key_is_answered_once_as_rest_does(
    graph: Graph,
    world: World,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
) -> None:
    enterprises = await count(enrolment_session, Enterprise)
    rounds = await count(indicators_session, MeasurementRound)
    document = """
      mutation ($project: ID!, $input: RegisterEnterpriseInput!) {
        registerEnterprise(input: $input) { ... on Enterprise { id } }
        createRound(input: {projectId: $project, kind: "endline", name: "Endline",
                            startsOn: "2019-09-01", endsOn: "2019-10-31"}) {
          ... on MeasurementRound { id }
        }
      }
    """
    variables = {"project": str(world.pakistan_project_id), "input": profile()}
    key = {"Idempotency-Key": f"partner-system-{uuid4()}"}
    first = await graph.post(document, variables, as_=WRITER, headers=key)
    again = await graph.post(document, variables, as_=WRITER, headers=key)
    assert first.status_code == again.status_code == 200, again.text
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await count(enrolment_session, Enterprise) == enterprises + 1
    assert await count(indicators_session, MeasurementRound) == rounds + 1
    # Every subgraph that was written to got the key.
    assert {call.host for call in graph.subgraphs.calls if "Idempotency-Key" in call.headers} == {
        "enrolment.test",
        "indicators.test",
    }

    other = await graph.post(document, {**variables, "input": profile()}, as_=WRITER, headers=key)
    assert other.status_code == 409, other.text
    assert other.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await count(enrolment_session, Enterprise) == enterprises + 1


async def test_an_unusable_key_is_refused_before_any_subgraph_is_called(graph: Graph) -> None:
    response = await graph.post(
        REGISTER, {"input": profile()}, as_=WRITER, headers={"Idempotency-Key": "k" * 201}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["extensions"]["field"] == "header.Idempotency-Key"
    assert graph.subgraphs.calls == []
