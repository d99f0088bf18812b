"""A query whose document the subgraph has already parsed and validated is answered without
Strawberry's view and extensions (shared.graphql.SubgraphRouter.run): with the same status,
headers and bytes Strawberry answers."""

from typing import Any
from uuid import uuid4

import httpx
import pytest
from strawberry.federation import Schema

from benchmarks.layers import ENTERPRISES
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.organisations.service import project_service
from shared.identity import Principal
from shared.problems import Forbidden
from tests.enrolment.support import ILO, Api, World, register

# Headers that differ between any two requests.
PER_REQUEST = {"x-request-id", "date", "traceparent"}


@pytest.fixture
def strawberry_runs(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The documents Strawberry's own execution ran, in order."""
    runs: list[str | None] = []
    execute = Schema.execute

    async def counted(self: Schema, query: str | None, *args: Any, **kwargs: Any) -> Any:
        runs.append(query)
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(Schema, "execute", counted)
    return runs


def first_sight(document: str) -> str:
    """The document as the subgraph has not seen it yet (its caches are per text)."""
    return f"# {uuid4()}\n{document}"


async def post(api: Api, body: dict[str, Any], as_: Principal) -> httpx.Response:
    return await api.post("/graphql", json=body, as_=as_)


def answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST}
    return response.status_code, headers, response.content


async def strawberry_then_direct(
    api: Api, strawberry_runs: list[str | None], body: dict[str, Any], *, as_: Principal = ILO
) -> tuple[int, dict[str, str], bytes]:
    """Strawberry's answer the first time the document is seen, which the direct path must
    give the second time, without Strawberry."""
    runs = len(strawberry_runs)
    strawberrys = await post(api, body, as_)
    assert strawberry_runs[runs:] == [body["query"]]
    direct = await post(api, body, as_)
    assert strawberry_runs[runs:] == [body["query"]], "the second request went to Strawberry"
    assert answer(direct) == answer(strawberrys)
    return answer(direct)


async def test_the_benchmark_page_is_answered_directly_as_strawberry_answers_it(
    api: Api, world: World, strawberry_runs: list[str | None]
) -> None:
    for number in range(3):
        await register(api, world.efp_staff, name=f"Direct {uuid4()} {number}")
    body = {"query": first_sight(ENTERPRISES), "variables": {"first": 50}}
    status, headers, content = await strawberry_then_direct(api, strawberry_runs, body)
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert b'"errors"' not in content
    assert content.count(b'"partnerId"') >= 3


async def test_a_named_operation_of_several_with_variables(
    api: Api, world: World, strawberry_runs: list[str | None]
) -> None:
    enterprise = await register(api, world.efp_staff)
    document = first_sight("""
    query One($id: ID!) { enterprise(id: $id) { id name enrolments { projectId stage } } }
    query Projects { projects { items { id name } } }
    """)
    body = {"query": document, "variables": {"id": enterprise["id"]}, "operationName": "One"}
    _, _, content = await strawberry_then_direct(api, strawberry_runs, body, as_=world.efp_staff)
    assert enterprise["id"].encode() in content
    other = {"query": document, "operationName": "Projects"}
    await post(api, other, ILO)
    assert strawberry_runs[-1] == document, "already validated: answered directly"


async def test_another_partners_enterprise_is_null_on_both_paths(
    api: Api, world: World, strawberry_runs: list[str | None]
) -> None:
    other = await register(api, world.mdpi_staff, country="GH", city="Accra")
    body = {
        "query": first_sight("query ($id: ID!) { enterprise(id: $id) { id name } }"),
        "variables": {"id": other["id"]},
    }
    _, _, content = await strawberry_then_direct(api, strawberry_runs, body, as_=world.efp_staff)
    assert content == b'{"data":{"enterprise":null}}'


async def test_a_domain_problem_in_a_resolver_keeps_its_code(
    api: Api, strawberry_runs: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Forbidden("A trainer cannot list projects")

    monkeypatch.setattr(project_service, "get_all", refuse)
    body = {"query": first_sight("{ projects { items { id } } }")}
    _, _, content = await strawberry_then_direct(api, strawberry_runs, body)
    assert b'"code":"FORBIDDEN"' in content


async def test_an_unexpected_error_is_masked_on_both_paths(
    api: Api, strawberry_runs: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to postgres://score:hunter2@db failed")

    monkeypatch.setattr(enterprise_service, "get_all_rows", crash)
    body = {"query": first_sight("{ enterprises { items { id } } }")}
    _, _, content = await strawberry_then_direct(api, strawberry_runs, body)
    assert b"hunter2" not in content
    assert b'"extensions":{"code":"INTERNAL_SERVER_ERROR"}' in content


@pytest.mark.parametrize(
    "variables",
    [{"first": "fifty"}, {"first": 2**40}, {}, {"first": None}],
    ids=["a string", "beyond 32 bits", "missing", "null"],
)
async def test_a_refused_variable_is_answered_as_strawberry_answers_it(
    api: Api, strawberry_runs: list[str | None], variables: dict[str, Any]
) -> None:
    body = {"query": first_sight(ENTERPRISES), "variables": variables}
    _, _, content = await strawberry_then_direct(api, strawberry_runs, body)
    assert content.startswith(b'{"data":null,"errors":[{"message":"Variable')


async def test_only_cached_valid_queries_sent_as_json_bypass_strawberry(
    api: Api, world: World, strawberry_runs: list[str | None]
) -> None:
    """Mutations, GET, invalid documents, several operations and none named, a missing one:
    Strawberry's way every time."""
    invalid = first_sight("{ enterprises { items { nope } } }")
    mutation = first_sight(
        "mutation ($id: ID!) { updateEnterprise(id: $id, input: {womenLed: true}) { __typename } }"
    )
    two = first_sight("query A { projects { items { id } } } query B { __typename }")
    for _ in range(2):
        response = await post(api, {"query": invalid}, ILO)
        assert response.status_code == 200
        assert b"nope" in response.content
        response = await post(api, {"query": mutation, "variables": {"id": str(uuid4())}}, ILO)
        assert response.status_code == 200
        response = await post(api, {"query": two}, ILO)
        assert response.status_code == 200  # Strawberry runs the first
        response = await post(api, {"query": two, "operationName": "C"}, ILO)
        assert response.status_code == 400  # no such operation: Strawberry's refusal
        response = await api.get("/graphql", params={"query": two, "operationName": "B"})
        assert response.status_code == 200
    assert strawberry_runs == [invalid, mutation, two, two, two] * 2
